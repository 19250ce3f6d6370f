// scaleham: parameter sweeps of the scale-Hamiltonian theory of RG flow.
//   scaleham run [CONFIG.toml] [-o OUT.h5] [--backend auto|cuda|cpu] [--device N] [--precision double|float]
//   scaleham inspect OUT.h5
//   scaleham fit DATA.csv [DATA2.csv ...] [--model LAWS] [--json] [--bootstrap N] [--lambda LIST|LO:HI:N]
//                [--emit-config DIR] [-o FIT.h5]
// Exit codes: 0 ok, 2 bad input (command line, config, output path), 1 failure.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "driver.hpp"
#include "fit_command.hpp"
#include "interrupt.hpp"
#include "merge.hpp"
#include "output.hpp"
#include "plot_command.hpp"
#include "ranks.hpp"
#include "scaleham/config.hpp"

namespace {

using scaleham::exit_bad_input, scaleham::exit_failure, scaleham::exit_ok;

int report(const scaleham::failure& failed) {
  scaleham::process_group& group = scaleham::sweep_processes();
  if (group.size() == 1) {
    std::fprintf(stderr, "scaleham: %s\n", failed.message.c_str());
    return failed.exit_code;
  }
  // One rank of an MPI job cannot go on: the others would wait for it, so
  // the job ends here, with this code.
  std::fprintf(stderr, "scaleham: rank %d of %d: %s\n", group.rank(), group.size(), failed.message.c_str());
  std::fflush(stderr);
  group.abort(failed.exit_code);  // never returns
  return failed.exit_code;
}

/// MPI finalized however main returns.
struct processes_guard {
  ~processes_guard() { scaleham::stop_processes(); }
};

/// Standard output could not take what we wrote (a full disk, /dev/full, a
/// closed descriptor): the results did not reach the user, so this is not a
/// success. Exit 2, as for any output that cannot be written.
struct stdout_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Writes `text` to standard output and flushes it; throws stdout_error with
/// the system's reason when any of it fails.
void write_stdout(const std::string& text) {
  errno = 0;
  const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  if (!written || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int code = errno;
    throw stdout_error(std::string("cannot write to standard output: ") +
                       (code != 0 ? std::strerror(code) : "write error"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  scaleham::process_group& group = scaleham::start_processes(argc, argv);
  const processes_guard finalize_at_exit;
  CLI::App app{"scaleham " SCALEHAM_VERSION_STRING
               " — parameter sweeps of the scale-Hamiltonian theory of RG flow"};
  // The version, and what this build can do beyond the CPU backend.
  app.set_version_flag("--version", std::string(SCALEHAM_VERSION_STRING) +
                                        (scaleham::built_with_mpi() ? " (MPI ranks)" : " (no MPI)"));
  app.require_subcommand(1);

  scaleham::run_arguments run_args;
  const scaleham::run_options& options = run_args.options;
  CLI::App* run = scaleham::add_run_command(app, run_args);
  scaleham::merge_options merge_options;
  bool merge_json = false, merge_quiet = false;
  CLI::App* merge = app.add_subcommand(
      "merge", "Join the files of `scaleham run --shard K/N` (all N of them) into the file of the whole sweep");
  merge->add_option("parts", merge_options.parts, "the shards' output files, in any order")
      ->required()
      ->check(scaleham::non_empty);
  merge->add_option("-o,--output", merge_options.output_path, "the merged HDF5 file")->required()->check(scaleham::non_empty);
  merge->add_flag("--force", merge_options.force, "overwrite an existing output file");
  merge->add_flag("--virtual", merge_options.virtual_file,
                  "write a small file of HDF5 virtual datasets over the parts instead of a copy (the parts must "
                  "stay where they are, relative to it)");
  merge->add_flag("-q,--quiet", merge_quiet, "no summary on stderr");
  merge->add_flag("--json", merge_json, "print a machine-readable summary on stdout");

  std::string inspect_path;
  CLI::App* inspect = app.add_subcommand("inspect", "Describe what a scaleham output file holds");
  inspect->add_option("file", inspect_path, "scaleham HDF5 output")
      ->required()
      ->check(scaleham::non_empty);

  CLI::App* plot = app.add_subcommand(
      "plot", "The usual plots of a result file: FILE --kind map|angell|departure|fit [-o FIG.png] (Python, matplotlib)");
  plot->prefix_command();  // every argument goes to `python3 -m scaleham plot`

  scaleham::fit_arguments fit_args;
  const scaleham::fit_command_options& fit_options = fit_args.options;
  CLI::App* fit = scaleham::add_fit_command(app, fit_args);

  if (const std::string message = scaleham::empty_option_value(std::vector<std::string>(argv + 1, argv + argc));
      !message.empty()) {
    std::fprintf(stderr, "scaleham: %s\n", message.c_str());
    return exit_bad_input;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 would exit with 100-127 on parse errors; we promise 2 for bad input.
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_bad_input;
  }

  try {
    if (*run) {
      const scaleham::sweep_config config = run_args.config();
      run_args.resolve(scaleham::quoted_command_line(argc, argv));
      if (run_args.dry_run) {
        const scaleham::run_estimate estimate = scaleham::estimate_run(config, options);
        write_stdout(run_args.json ? estimate.to_json().dump(2) + "\n" : estimate.to_text());
        return exit_ok;
      }
      scaleham::run_summary summary;
      try {
        summary = scaleham::run_sweep(config, options);
      } catch (const scaleham::interrupted& e) {
        if (group.rank() != 0) return 128 + e.signal_number;  // rank 0 says how to resume
        std::string resume = "scaleham run";
        if (!run_args.config_path.empty()) resume += " " + scaleham::shell_quoted(run_args.config_path);
        for (const std::string& o : run_args.overrides) resume += " --set " + scaleham::shell_quoted(o);
        resume += " -o " + options.output_path + " --resume";
        if (options.precision != "double") resume += " --precision " + options.precision;
        if (!options.shard.whole()) resume += " --shard " + options.shard.text();
        std::fprintf(stderr, "scaleham: %s\nscaleham: to finish it: %s\n", e.what(), resume.c_str());
        return 128 + e.signal_number;
      }
      if (group.rank() != 0) return exit_ok;  // rank 0 reports for the job
      if (run_args.json) {
        write_stdout(summary.to_json().dump(2) + "\n");
      } else if (!options.quiet) {
        std::fprintf(stderr, "scaleham: wrote %s: %llu points on %s (%s, %s) in %.3g s\n",
                     summary.output_path.c_str(),
                     static_cast<unsigned long long>(summary.points), summary.backend.c_str(),
                     summary.device.c_str(), summary.precision.c_str(), summary.seconds_total);
        std::istringstream failures(summary.failure_report());
        for (std::string line; std::getline(failures, line);) std::fprintf(stderr, "scaleham: %s\n", line.c_str());
      }
      if (summary.all_failed()) {
        // Said even with --quiet or --json: the run did not give what it was for.
        std::fprintf(stderr, "scaleham: every one of the %llu points failed (see the counts above, or --json's "
                             "\"failures\"); %s holds their statuses. Exit code %d.\n",
                     static_cast<unsigned long long>(summary.points), summary.output_path.c_str(),
                     scaleham::exit_all_failed);
        return scaleham::exit_all_failed;
      }
      return exit_ok;
    }
    if (*fit) {
      fit_args.resolve(scaleham::quoted_command_line(argc, argv));
      const scaleham::fit_report fitted = scaleham::run_fit_command(fit_options);
      if (fit_args.json)
        write_stdout(scaleham::fit_report_json(fitted).dump(2, ' ', false,
                                                           nlohmann::json::error_handler_t::replace) +
                     "\n");
      else
        write_stdout(scaleham::fit_report_table(fitted));
      if (!fit_options.quiet) {
        int failed = 0, fits = 0;
        for (const auto& r : fitted.results)
          for (const auto& m : r.models) failed += !scaleham::succeeded(m.fit.code), ++fits;
        if (failed > 0)
          std::fprintf(stderr, "scaleham: %d of %d fits could not be done (see their status)\n", failed, fits);
        if (!fitted.emitted.empty())
          std::fprintf(stderr, "scaleham: wrote %zu sweep configuration%s to %s (scaleham run FILE gives back each fit)\n",
                       fitted.emitted.size(), fitted.emitted.size() == 1 ? "" : "s",
                       fit_options.emit_config_dir.c_str());
        if (!fit_options.output_path.empty())
          std::fprintf(stderr, "scaleham: wrote %s (%zu datasets)\n", fit_options.output_path.c_str(),
                       fitted.results.size());
      }
      return exit_ok;
    }
    if (*merge) {
      merge_options.command_line = scaleham::quoted_command_line(argc, argv);
      const scaleham::merge_summary merged = scaleham::merge_shards(merge_options);
      if (merge_json)
        write_stdout(nlohmann::json{{"output", merged.output_path},
                                    {"points", merged.points},
                                    {"parts", merged.parts},
                                    {"seconds_total", merged.seconds_total}}
                         .dump(2) +
                     "\n");
      else if (!merge_quiet)
        std::fprintf(stderr, "scaleham: wrote %s: %llu points from %llu parts in %.3g s\n",
                     merged.output_path.c_str(), static_cast<unsigned long long>(merged.points),
                     static_cast<unsigned long long>(merged.parts), merged.seconds_total);
      return exit_ok;
    }
    if (*plot) return scaleham::run_plot_command(plot->remaining());
    if (*inspect) {
      write_stdout(scaleham::describe_file(inspect_path));
      return exit_ok;
    }
  } catch (const stdout_error& e) {
    return report({exit_bad_input, std::string("error: ") + e.what()});
  } catch (const std::exception& e) {
    return report(scaleham::describe_failure(e));
  }
  return exit_failure;
}
