// scaleham: parameter sweeps of the scale-Hamiltonian theory of RG flow.
//   scaleham run [CONFIG.toml] [-o OUT.h5] [--backend auto|cuda|cpu] [--precision double|float]
//   scaleham inspect OUT.h5
// Exit codes: 0 ok, 2 bad input (command line, config, output path), 1 failure.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>

#include "config.hpp"
#include "driver.hpp"
#include "output.hpp"
#include "scaleham/config.hpp"

namespace {

constexpr int exit_ok = 0, exit_failure = 1, exit_bad_input = 2;

int report(const char* what, const std::exception& e, int code) {
  std::fprintf(stderr, "scaleham: %s%s\n", what, e.what());
  return code;
}

std::string default_output(const std::string& config_path) {
  if (config_path.empty()) return "scaleham-example.h5";
  return std::filesystem::path(config_path).stem().string() + ".h5";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scaleham " SCALEHAM_VERSION_STRING
               " — parameter sweeps of the scale-Hamiltonian theory of RG flow"};
  app.set_version_flag("--version", SCALEHAM_VERSION_STRING);
  app.require_subcommand(1);

  std::string config_path;
  scaleham::run_options options;
  bool json = false;
  CLI::App* run = app.add_subcommand("run", "Run a sweep (the built-in example without CONFIG)");
  run->add_option("config", config_path, "TOML sweep configuration (see docs/config.md)")
      ->check(CLI::ExistingFile);
  run->add_option("-o,--output", options.output_path,
                  "HDF5 output file (default: CONFIG's name with .h5, or scaleham-example.h5)");
  run->add_option("--backend", options.backend, "auto picks the GPU when one is usable")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}))
      ->capture_default_str();
  run->add_option("--precision", options.precision, "floating type of the computation")
      ->check(CLI::IsMember({"double", "float"}))
      ->capture_default_str();
  run->add_flag("--force", options.force, "overwrite an existing output file");
  run->add_flag("-q,--quiet", options.quiet, "no progress bar or notices on stderr");
  run->add_flag("--json", json, "print a machine-readable summary on stdout");
  run->add_option("--batch-points", options.batch_points,
                  "points per batch (default: 65536 on the CPU, 2097152 on the GPU)")
      ->check(CLI::PositiveNumber);

  std::string inspect_path;
  CLI::App* inspect = app.add_subcommand("inspect", "Describe what a scaleham output file holds");
  inspect->add_option("file", inspect_path, "scaleham HDF5 output")
      ->required()
      ->check(CLI::ExistingFile);

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
      const scaleham::run_summary summary = scaleham::run_sweep(config, options);
      if (json) {
        std::cout << summary.to_json().dump(2) << '\n';
      } else if (!options.quiet) {
        std::fprintf(stderr, "scaleham: wrote %s: %llu points on %s (%s, %s) in %.3g s\n",
                     summary.output_path.c_str(),
                     static_cast<unsigned long long>(summary.points), summary.backend.c_str(),
                     summary.device.c_str(), summary.precision.c_str(), summary.seconds_total);
      }
      return exit_ok;
    }
    if (*inspect) {
      std::cout << scaleham::describe_file(inspect_path);
      return exit_ok;
    }
  } catch (const scaleham::config_error& e) {
    return report("error in configuration: ", e, exit_bad_input);
  } catch (const scaleham::output_error& e) {
    return report("error: ", e, exit_bad_input);
  } catch (const scaleham::backend_error& e) {
    return report("error: ", e, exit_failure);
  } catch (const std::exception& e) {
    return report("failed: ", e, exit_failure);
  }
  return exit_failure;
}
