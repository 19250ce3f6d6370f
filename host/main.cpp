// scaleham: parameter sweeps of the scale-Hamiltonian theory of RG flow.
//   scaleham run [CONFIG.toml] [-o OUT.h5] [--backend auto|cuda|cpu] [--device N] [--precision double|float]
//   scaleham inspect OUT.h5
//   scaleham fit DATA.csv [DATA2.csv ...] [--model LAWS] [--json] [--bootstrap N] [--lambda LIST|LO:HI:N]
//                [--emit-config DIR] [-o FIT.h5]
// Exit codes: 0 ok, 2 bad input (command line, config, output path), 1 failure.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "csv.hpp"
#include "driver.hpp"
#include "fit_command.hpp"
#include "input_file.hpp"
#include "interrupt.hpp"
#include "merge.hpp"
#include "output.hpp"
#include "plot_command.hpp"
#include "ranks.hpp"
#include "scaleham/config.hpp"

namespace {

constexpr int exit_ok = 0, exit_failure = 1, exit_bad_input = 2;

int report(const char* what, const std::exception& e, int code) {
  scaleham::process_group& group = scaleham::sweep_processes();
  if (group.size() == 1) {
    std::fprintf(stderr, "scaleham: %s%s\n", what, e.what());
    return code;
  }
  // One rank of an MPI job cannot go on: the others would wait for it, so
  // the job ends here, with this code.
  std::fprintf(stderr, "scaleham: rank %d of %d: %s%s\n", group.rank(), group.size(), what, e.what());
  std::fflush(stderr);
  group.abort(code);  // never returns
  return code;
}

/// "0,1,3" as device indices (0 to 1023); std::invalid_argument saying what is wrong.
std::vector<int> parse_device_list(const std::string& text) {
  std::vector<int> devices;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = text.find(',', at);
    const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    int device = -1;
    const auto [stop, error] = std::from_chars(item.data(), item.data() + item.size(), device);
    if (item.empty() || error != std::errc() || stop != item.data() + item.size() || device < 0 || device > 1023)
      throw std::invalid_argument("expected device indices from 0 to 1023 separated by commas (e.g. 0,1), not '" +
                                  text + "'");
    devices.push_back(device);
    if (comma == std::string::npos) return devices;
    at = comma + 1;
  }
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

/// Validators of option values. CLI11's own ones print CLI::PositiveNumber's
/// range with a 309-digit maximum, accept hexadecimal (0x2BC) and clamp
/// integers beyond 2^64, so the values that need it are checked as text here.
/// Every message quotes the value through shown() (capped, escaped).
const CLI::Validator non_empty(
    [](std::string& text) { return text.empty() ? std::string("must not be empty") : std::string(); }, "");

/// A finite decimal number > 0 (--c, --tg-level).
const CLI::Validator positive_number(
    [](std::string& text) {
      double value = 0;
      if (!scaleham::parse_decimal(text, value) || !std::isfinite(value) || !(value > 0))
        return "must be a finite decimal number > 0, not '" + scaleham::shown(text) + "'";
      return std::string();
    },
    "NUMBER > 0");

/// An unsigned 64-bit integer in decimal digits (--seed): CLI11 2.1 reads "-3"
/// as 2^64 - 3 and clamps 10^30 to 2^64 - 1.
const CLI::Validator uint64_text(
    [](std::string& text) {
      const std::string max = std::to_string(std::numeric_limits<std::uint64_t>::max());
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      const std::size_t first = digits ? std::min(text.find_first_not_of('0'), text.size()) : 0;
      const std::string_view significant = std::string_view(text).substr(first);
      const bool fits = digits && (significant.size() < max.size() ||
                                   (significant.size() == max.size() && significant <= max));
      return fits ? std::string() : "must be an integer from 0 to " + max + ", not '" + scaleham::shown(text) + "'";
    },
    "UINT64");

/// Decimal digits only, checked before CLI::Range: CLI11 2.1 converts integers
/// with base 0, so "0x10" would be 16 and "010" would be 8.
const CLI::Validator decimal_digits(
    [](std::string& text) {
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      const bool octal_looking = text.size() > 1 && text[0] == '0';
      return digits && !octal_looking ? std::string()
                                      : "must be written in decimal digits, not '" + scaleham::shown(text) + "'";
    },
    "");

/// An option written `--name=` with nothing after the '=', or empty; CLI11
/// then takes the next argument as the value (`--lambda= --json` reads
/// "--json" as the lambda list). Returns the option, or empty.
std::string empty_equals_option(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;  // what follows is positional
    if (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=' && arg.find('=') == arg.size() - 1)
      return arg.substr(0, arg.size() - 1);
  }
  return {};
}

std::string default_output(const std::string& config_path) {
  if (config_path.empty()) return "scaleham-example.h5";
  return std::filesystem::path(config_path).stem().string() + ".h5";
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

  std::string config_path;
  scaleham::run_options options;
  bool json = false;
  // A CLI11 check that runs a parser and reports its std::invalid_argument.
  const auto valid = [](auto parse, const char* what) {
    return CLI::Validator(
        [parse](std::string& spec) {
          try {
            parse(spec);
            return std::string();
          } catch (const std::invalid_argument& e) {
            return std::string(e.what());
          }
        },
        what);
  };

  CLI::App* run = app.add_subcommand("run", "Run a sweep (the built-in example without CONFIG)");
  // No CLI::ExistingFile: it says "File does not exist" of a symlink loop or
  // an unreadable file; the reader gives the system's reason.
  run->add_option("config", config_path, "TOML sweep configuration (see docs/config.md)")->check(non_empty);
  // Empty is refused rather than taken as "the default name".
  run->add_option("-o,--output", options.output_path,
                  "HDF5 output file (default: CONFIG's name with .h5, or scaleham-example.h5)")
      ->check(non_empty);
  run->add_option("--backend", options.backend, "auto picks the GPU when one is usable")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}))
      ->capture_default_str();
  run->add_option("--precision", options.precision, "floating type of the computation")
      ->check(CLI::IsMember({"double", "float"}))
      ->capture_default_str();
  run->add_flag("--force", options.force,
                "overwrite an existing output file, or start an unfinished run over");
  run->add_flag("--resume", options.resume,
                "finish an interrupted run of the same CONFIG into the same output");
  run->add_flag("-q,--quiet", options.quiet, "no progress bar, progress lines or notices on stderr");
  run->add_option("--progress-interval", options.progress_interval,
                  "seconds between progress lines when stderr is not a terminal (a log file): points done, rate, "
                  "ETA")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  run->add_flag("--json", json, "print a machine-readable summary on stdout");
  run->add_option("--batch-points", options.batch_points,
                  "points per batch (default: 65536 on the CPU, 2097152 on the GPU; lowered to what memory holds)")
      ->check(decimal_digits)
      ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 40, "at least 1"));
  run->add_flag("--no-space-check", options.no_space_check,
                "run even when the journal of the sweep will not fit the free disk space");
  run->add_option("--device", options.device,
                  "CUDA device index among those CUDA_VISIBLE_DEVICES leaves visible")
      ->check(decimal_digits)
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  std::string devices_text;
  run->add_option("--devices", devices_text,
                  "spread the batches over these CUDA devices, e.g. 0,1,2,3 (a thread and a batch in flight per "
                  "device; a device listed twice runs two)")
      ->check(valid([](const std::string& text) { parse_device_list(text); }, "LIST"));
  std::string shard_text;
  run->add_option("--shard", shard_text,
                  "compute only shard K of N (0 <= K < N): consecutive, balanced parts of the grid, joined by "
                  "`scaleham merge`")
      ->check(valid([](const std::string& text) { scaleham::parse_shard(text); }, "K/N"));

  scaleham::merge_options merge_options;
  bool merge_json = false, merge_quiet = false;
  CLI::App* merge = app.add_subcommand(
      "merge", "Join the files of `scaleham run --shard K/N` (all N of them) into the file of the whole sweep");
  merge->add_option("parts", merge_options.parts, "the shards' output files, in any order")
      ->required()
      ->check(non_empty);
  merge->add_option("-o,--output", merge_options.output_path, "the merged HDF5 file")->required()->check(non_empty);
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
      ->check(non_empty);

  CLI::App* plot = app.add_subcommand(
      "plot", "The usual plots of a result file: FILE --kind map|angell|departure|fit [-o FIG.png] (Python, matplotlib)");
  plot->prefix_command();  // every argument goes to `python3 -m scaleham plot`

  scaleham::fit_command_options fit_options;
  std::string y_scale_text, lambda_spec, model_spec, T_range_spec, sigma_kind = "absolute", units = "ln";
  bool fit_json = false;
  CLI::App* fit = app.add_subcommand(
      "fit", "Fits of VFT, MYEGA, Avramov-Milchev or Arrhenius laws to measured relaxation times or viscosities (CSV)");
  fit->add_option("data", fit_options.files,
                  "CSV files: a header line, then T (K) and tau, log10_tau, eta, ... per row")
      ->required();
  fit->add_option("-o,--output", fit_options.output_path, "also write the results to this HDF5 file")
      ->check(non_empty);
  fit->add_flag("--force", fit_options.force, "overwrite an existing output file");
  fit->add_flag("--json", fit_json, "print a JSON array (one object per dataset and law) instead of the table");
  fit->add_flag("-q,--quiet", fit_options.quiet, "no notices on stderr");
  fit->add_option("--backend", fit_options.backend, "auto picks the GPU when one is usable")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}))
      ->capture_default_str();
  fit->add_option("--device", fit_options.device,
                  "CUDA device index among those CUDA_VISIBLE_DEVICES leaves visible")
      ->check(decimal_digits)
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  // CLI11 2.1 reads "-3" into an unsigned as 2^64 - 3: check the text first.
  const CLI::Validator count_up_to_max(
      [](std::string& text) {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || text.size() > 7 || std::stoull(text) > scaleham::max_bootstrap)
          return "must be an integer from 0 to " + std::to_string(scaleham::max_bootstrap) + ", not '" +
                 scaleham::shown(text) + "'";
        return std::string();
      },
      "0.." + std::to_string(scaleham::max_bootstrap));
  fit->add_option("--bootstrap", fit_options.bootstrap,
                  "bootstrap replicas per dataset for 95% percentile intervals (0: none)")
      ->check(count_up_to_max)
      ->capture_default_str();
  fit->add_option("--seed", fit_options.seed, "seed of the bootstrap resampling")
      ->check(uint64_text)
      ->capture_default_str();
  fit->add_option("--lambda", lambda_spec,
                  "lambda values for the prediction A = lambda*c*B: a list 0.05,0.1 or a range lo:hi:count")
      ->check(valid([](const std::string& s) { scaleham::parse_lambda_spec(s); }, "LIST|LO:HI:COUNT"));
  fit->add_option("--c", fit_options.c, "c of g = c (T - T0), for A = lambda*c*B")
      ->check(positive_number)
      ->capture_default_str();
  fit->add_option("--tg-level", fit_options.tg_level,
                  "value of y at Tg in its own linear units (default: from the y column's quantity, 1e12 for eta "
                  "in Pa s, 1e13 in poise, 100 for tau in s; else 100 with a warning)")
      ->check(positive_number);
  // Empty names are refused: an empty value means "the default" inside.
  fit->add_option("--T-column", fit_options.csv.T_column,
                  "temperature column (default: T, T_K, temperature, or the first column)")
      ->check(non_empty);
  fit->add_option("--y-column", fit_options.csv.y_column,
                  "relaxation column (default: tau, tau_s, log10_tau, log10_tau_s, or the next column)")
      ->check(non_empty);
  fit->add_option("--dataset-column", fit_options.csv.dataset_column,
                  "column whose values split a file into datasets (default: `dataset` if present)")
      ->check(non_empty);
  fit->add_option("--y-scale", y_scale_text,
                  "scale of the y column (default: log10 for names log10*, ln for ln_*, else linear)")
      ->check(CLI::IsMember({"linear", "log10", "ln"}));
  fit->add_option("--model", model_spec,
                  "laws to fit, with commas: vft, myega, avramov_milchev (am), arrhenius, or all (default: vft)")
      ->check(valid([](const std::string& s) { scaleham::parse_model_list(s); }, "LAW[,LAW...]"));
  fit->add_option("--sigma-column", fit_options.csv.sigma_column,
                  "column of per-row uncertainties sigma: rows are weighted by 1/sigma (of ln y)")
      ->check(non_empty);
  fit->add_option("--sigma", sigma_kind,
                  "absolute: sigma in the y column's units, taken as known (errors not rescaled); relative: "
                  "sigma as a fraction of y, errors scaled by chi2/dof")
      ->check(CLI::IsMember({"absolute", "relative"}))
      ->capture_default_str();
  fit->add_option("--T-range", T_range_spec, "fit only rows with LO <= T <= HI (K); either side may be empty")
      ->check(valid([](const std::string& s) { double lo, hi; scaleham::parse_T_range(s, lo, hi); }, "LO:HI"));
  fit->add_option("--exclude", fit_options.exclude,
                  "leave out rows by their line in the file: [FILE:]LINE[,LINE...] (repeatable)")
      ->allow_extra_args(false)  // one value per --exclude, so data files after it stay data files
      ->check(non_empty);
  fit->add_option("--units", units, "logarithm of the reported parameters of ln y, rms and residuals")
      ->check(CLI::IsMember({"ln", "log10"}))
      ->capture_default_str();
  fit->add_option("--emit-config", fit_options.emit_config_dir,
                  "write DIR/DATASET.toml per VFT fit: the sweep of the paper's model (A = lambda*c*B over the "
                  "--lambda values) whose curve is the fit")
      ->check(non_empty);

  if (const std::string option = empty_equals_option(argc, argv); !option.empty()) {
    std::fprintf(stderr, "scaleham: error: %s= has an empty value; give one (%s=VALUE) or leave the option out\n",
                 scaleham::shown(option).c_str(), scaleham::shown(option).c_str());
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
      const scaleham::sweep_config config =
          config_path.empty()
              ? scaleham::parse_config_text(scaleham::builtin_example_config(), "<built-in example>")
              : scaleham::parse_config_file(config_path);
      if (options.output_path.empty()) options.output_path = default_output(config_path);
      if (!shard_text.empty()) options.shard = scaleham::parse_shard(shard_text);
      if (!devices_text.empty()) options.devices = parse_device_list(devices_text);
      options.command_line = scaleham::quoted_command_line(argc, argv);
      options.device_given = run->count("--device") > 0;
      scaleham::run_summary summary;
      try {
        summary = scaleham::run_sweep(config, options);
      } catch (const scaleham::interrupted& e) {
        if (group.rank() != 0) return 128 + e.signal_number;  // rank 0 says how to resume
        std::string resume = "scaleham run";
        if (!config_path.empty()) resume += " " + config_path;
        resume += " -o " + options.output_path + " --resume";
        if (options.precision != "double") resume += " --precision " + options.precision;
        if (!options.shard.whole()) resume += " --shard " + options.shard.text();
        std::fprintf(stderr, "scaleham: %s\nscaleham: to finish it: %s\n", e.what(), resume.c_str());
        return 128 + e.signal_number;
      }
      if (group.rank() != 0) return exit_ok;  // rank 0 reports for the job
      if (json) {
        write_stdout(summary.to_json().dump(2) + "\n");
      } else if (!options.quiet) {
        std::fprintf(stderr, "scaleham: wrote %s: %llu points on %s (%s, %s) in %.3g s\n",
                     summary.output_path.c_str(),
                     static_cast<unsigned long long>(summary.points), summary.backend.c_str(),
                     summary.device.c_str(), summary.precision.c_str(), summary.seconds_total);
      }
      return exit_ok;
    }
    if (*fit) {
      fit_options.tg_level_given = fit->count("--tg-level") > 0;
      if (!y_scale_text.empty()) fit_options.csv.scale = scaleham::parse_y_scale(y_scale_text);
      if (!lambda_spec.empty()) fit_options.lambdas = scaleham::parse_lambda_spec(lambda_spec);
      if (!model_spec.empty()) fit_options.models = scaleham::parse_model_list(model_spec);
      if (!T_range_spec.empty()) scaleham::parse_T_range(T_range_spec, fit_options.T_lo, fit_options.T_hi);
      fit_options.csv.sigma_relative = sigma_kind == "relative";
      fit_options.log10_units = units == "log10";
      if (fit->count("--sigma") > 0 && fit_options.csv.sigma_column.empty())
        throw std::invalid_argument("--sigma says how to read --sigma-column, which is not given");
      fit_options.command_line = scaleham::quoted_command_line(argc, argv);
      const scaleham::fit_report fitted = scaleham::run_fit_command(fit_options);
      if (fit_json)
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
  } catch (const scaleham::config_error& e) {
    return report("error in configuration: ", e, exit_bad_input);
  } catch (const scaleham::csv_error& e) {
    return report("error: ", e, exit_bad_input);
  } catch (const scaleham::output_error& e) {
    return report("error: ", e, exit_bad_input);
  } catch (const stdout_error& e) {
    return report("error: ", e, exit_bad_input);
  } catch (const std::invalid_argument& e) {
    // An argument that passed the command-line parser but not its meaning
    // (--tg-level nan, --c nan, an unknown precision): bad input.
    return report("error: ", e, exit_bad_input);
  } catch (const scaleham::backend_error& e) {
    return report("error: ", e, exit_failure);
  } catch (const std::exception& e) {
    return report("failed: ", e, exit_failure);
  }
  return exit_failure;
}
