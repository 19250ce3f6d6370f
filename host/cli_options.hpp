// The options of `scaleham run` and `scaleham fit`, defined once: the command
// line (main.cpp) and the Python binding (python/engine_module.cpp) parse the
// same arguments with them, so both check them alike (same messages) and give
// them one meaning. Also what a failure means as an exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <exception>
#include <string>
#include <vector>

#include "driver.hpp"
#include "fit_command.hpp"
#include "sweep_config.hpp"

namespace scaleham {

inline constexpr int exit_ok = 0, exit_failure = 1, exit_bad_input = 2;
/// `scaleham run` finished and wrote its file, but every point failed.
inline constexpr int exit_all_failed = 3;

/// `scaleham run`'s arguments as parsed (add_run_command binds them).
struct run_arguments {
  std::string config_path;  ///< empty: the built-in example
  run_options options;
  bool json = false;
  bool dry_run = false;  ///< --dry-run: estimate_run instead of run_sweep
  std::string devices_text, shard_text;
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, in order
  CLI::App* command = nullptr;

  /// After parsing: the default output name (CONFIG's stem .h5, or
  /// scaleham-example.h5), --shard, --devices, whether --device was given,
  /// and the command line for the file's provenance. Throws std::invalid_argument.
  void resolve(const std::string& command_line);
  /// The configuration: the file's, or the built-in example, with the
  /// overrides. Throws config_error.
  sweep_config config() const;
};
/// Adds the `run` subcommand to `app`, its options bound to `arguments`.
CLI::App* add_run_command(CLI::App& app, run_arguments& arguments);

/// `scaleham fit`'s arguments as parsed (add_fit_command binds them).
struct fit_arguments {
  fit_command_options options;
  std::string y_scale_text, lambda_spec, model_spec, T_range_spec, sigma_kind = "absolute", units = "ln";
  bool json = false;
  CLI::App* command = nullptr;

  /// After parsing: the texts turned into options. Throws std::invalid_argument.
  void resolve(const std::string& command_line);
};
/// Adds the `fit` subcommand to `app`, its options bound to `arguments`.
CLI::App* add_fit_command(CLI::App& app, fit_arguments& arguments);

/// Refuses an empty value (paths, names).
extern const CLI::Validator non_empty;

/// "0,1,3" as device indices (0 to 1023); std::invalid_argument saying what is wrong.
std::vector<int> parse_device_list(const std::string& text);

/// An option written `--name=` with nothing after the '=' among `args`; CLI11
/// would take the next argument as the value (`--lambda= --json` reads
/// "--json" as the lambda list). Returns the error message ("error: --name=
/// has an empty value; ..."), or empty when there is none.
std::string empty_option_value(const std::vector<std::string>& args);

/// What a failure means: exit 2 for bad input (config_error, csv_error,
/// output_error, std::invalid_argument), else 1; the message as printed after
/// "scaleham: " ("error in configuration: ...", "error: ...", "failed: ...").
struct failure {
  int exit_code;
  std::string message;
};
failure describe_failure(const std::exception& e);

}  // namespace scaleham
