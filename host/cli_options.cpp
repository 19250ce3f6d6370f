#include "cli_options.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "backend_choice.hpp"
#include "config.hpp"
#include "csv.hpp"
#include "input_file.hpp"
#include "output.hpp"
#include "shards.hpp"

namespace scaleham {

// Validators of option values. CLI11's own ones print CLI::PositiveNumber's
// range with a 309-digit maximum, accept hexadecimal (0x2BC) and clamp
// integers beyond 2^64, so the values that need it are checked as text here.
// Every message quotes the value through shown() (capped, escaped).

const CLI::Validator non_empty(
    [](std::string& text) { return text.empty() ? std::string("must not be empty") : std::string(); }, "");

namespace {

/// A finite decimal number > 0 (--c, --tg-level).
const CLI::Validator positive_number(
    [](std::string& text) {
      double value = 0;
      if (!parse_decimal(text, value) || !std::isfinite(value) || !(value > 0))
        return "must be a finite decimal number > 0, not '" + shown(text) + "'";
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
      return fits ? std::string() : "must be an integer from 0 to " + max + ", not '" + shown(text) + "'";
    },
    "UINT64");

/// Decimal digits only, checked before CLI::Range: CLI11 2.1 converts integers
/// with base 0, so "0x10" would be 16 and "010" would be 8.
const CLI::Validator decimal_digits(
    [](std::string& text) {
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      const bool octal_looking = text.size() > 1 && text[0] == '0';
      return digits && !octal_looking ? std::string()
                                      : "must be written in decimal digits, not '" + shown(text) + "'";
    },
    "");

template <class T>
bool is_a(const std::exception& e) {
  return dynamic_cast<const T*>(&e) != nullptr;
}

/// A CLI11 check that runs a parser and reports its std::invalid_argument.
CLI::Validator valid(std::function<void(const std::string&)> parse, const char* what) {
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
}

}  // namespace

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

std::string empty_option_value(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--") break;  // what follows is positional
    if (arg.size() > 3 && arg.rfind("--", 0) == 0 && arg.back() == '=' && arg.find('=') == arg.size() - 1) {
      const std::string option = shown(arg.substr(0, arg.size() - 1));
      return "error: " + option + "= has an empty value; give one (" + option + "=VALUE) or leave the option out";
    }
  }
  return {};
}

CLI::App* add_run_command(CLI::App& app, run_arguments& a) {
  CLI::App* run = app.add_subcommand("run", "Run a sweep (the built-in example without CONFIG)");
  // No CLI::ExistingFile: it says "File does not exist" of a symlink loop or
  // an unreadable file; the reader gives the system's reason.
  run->add_option("config", a.config_path, "TOML sweep configuration (see docs/config.md)")->check(non_empty);
  // Empty is refused rather than taken as "the default name".
  run->add_option("-o,--output", a.options.output_path,
                  "HDF5 output file (default: CONFIG's name with .h5, or scaleham-example.h5)")
      ->check(non_empty);
  run->add_option("--backend", a.options.backend, "auto picks the GPU when one is usable")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}))
      ->capture_default_str();
  run->add_option("--precision", a.options.precision, "floating type of the computation")
      ->check(CLI::IsMember({"double", "float"}))
      ->capture_default_str();
  run->add_flag("--force", a.options.force,
                "overwrite an existing output file, or start an unfinished run over");
  run->add_flag("--resume", a.options.resume,
                "finish an interrupted run of the same CONFIG into the same output");
  run->add_flag("-q,--quiet", a.options.quiet, "no progress bar, progress lines or notices on stderr");
  run->add_option("--progress-interval", a.options.progress_interval,
                  "seconds between progress lines when stderr is not a terminal (a log file): points done, rate, "
                  "ETA")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  run->add_flag("--json", a.json, "print a machine-readable summary on stdout");
  run->add_option("--set", a.overrides,
                  "replace or add a setting of the configuration: KEY=VALUE, e.g. --set flow.rtol=1e-10 --set "
                  "output.curves=true (repeatable; checked like the file; the file stores the resolved configuration)")
      ->allow_extra_args(false)  // one KEY=VALUE per --set: the config path after it stays the config path
      ->check(non_empty);
  run->add_flag("--dry-run", a.dry_run,
                "create no file: print the grid, the batches, the bytes to write and the compute time estimated "
                "from a timed sample of points");
  run->add_option("--batch-points", a.options.batch_points,
                  "points per batch (default: 65536 on the CPU, 2097152 on the GPU; lowered to what memory holds)")
      ->check(decimal_digits)
      ->check(CLI::Range(std::uint64_t(1), std::uint64_t(1) << 40, "at least 1"));
  run->add_flag("--no-space-check", a.options.no_space_check,
                "run even when the journal of the sweep will not fit the free disk space");
  run->add_option("--device", a.options.device,
                  "CUDA device index among those CUDA_VISIBLE_DEVICES leaves visible")
      ->check(decimal_digits)
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  run->add_option("--devices", a.devices_text,
                  "spread the batches over these CUDA devices, e.g. 0,1,2,3 (a thread and a batch in flight per "
                  "device; a device listed twice runs two)")
      ->check(valid([](const std::string& text) { parse_device_list(text); }, "LIST"));
  run->add_option("--shard", a.shard_text,
                  "compute only shard K of N (0 <= K < N): consecutive, balanced parts of the grid, joined by "
                  "`scaleham merge`")
      ->check(valid([](const std::string& text) { parse_shard(text); }, "K/N"));
  a.command = run;
  return run;
}

void run_arguments::resolve(const std::string& command_line) {
  if (options.output_path.empty())
    options.output_path = config_path.empty() ? "scaleham-example.h5"
                                              : std::filesystem::path(config_path).stem().string() + ".h5";
  if (!shard_text.empty()) options.shard = parse_shard(shard_text);
  if (!devices_text.empty()) options.devices = parse_device_list(devices_text);
  options.command_line = command_line;
  options.device_given = command->count("--device") > 0;
}

sweep_config run_arguments::config() const {
  return config_path.empty() ? parse_config_text(builtin_example_config(), "<built-in example>", overrides)
                             : parse_config_file(config_path, overrides);
}

CLI::App* add_fit_command(CLI::App& app, fit_arguments& a) {
  CLI::App* fit = app.add_subcommand(
      "fit", "Fits of VFT, MYEGA, Avramov-Milchev or Arrhenius laws to measured relaxation times or viscosities (CSV)");
  fit->add_option("data", a.options.files,
                  "CSV files: a header line, then T (K) and tau, log10_tau, eta, ... per row")
      ->required();
  fit->add_option("-o,--output", a.options.output_path, "also write the results to this HDF5 file")
      ->check(non_empty);
  fit->add_flag("--force", a.options.force, "overwrite an existing output file");
  fit->add_flag("--json", a.json, "print a JSON array (one object per dataset and law) instead of the table");
  fit->add_flag("-q,--quiet", a.options.quiet, "no notices on stderr");
  fit->add_option("--backend", a.options.backend, "auto picks the GPU when one is usable")
      ->check(CLI::IsMember({"auto", "cuda", "cpu"}))
      ->capture_default_str();
  fit->add_option("--device", a.options.device,
                  "CUDA device index among those CUDA_VISIBLE_DEVICES leaves visible")
      ->check(decimal_digits)
      ->check(CLI::Range(0, 1023))
      ->capture_default_str();
  // CLI11 2.1 reads "-3" into an unsigned as 2^64 - 3: check the text first.
  const CLI::Validator count_up_to_max(
      [](std::string& text) {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || text.size() > 7 || std::stoull(text) > max_bootstrap)
          return "must be an integer from 0 to " + std::to_string(max_bootstrap) + ", not '" +
                 shown(text) + "'";
        return std::string();
      },
      "0.." + std::to_string(max_bootstrap));
  fit->add_option("--bootstrap", a.options.bootstrap,
                  "bootstrap replicas per dataset for 95% percentile intervals (0: none)")
      ->check(count_up_to_max)
      ->capture_default_str();
  fit->add_option("--seed", a.options.seed, "seed of the bootstrap resampling")
      ->check(uint64_text)
      ->capture_default_str();
  fit->add_option("--lambda", a.lambda_spec,
                  "lambda values for the prediction A = lambda*c*B: a list 0.05,0.1 or a range lo:hi:count")
      ->check(valid([](const std::string& s) { parse_lambda_spec(s); }, "LIST|LO:HI:COUNT"));
  fit->add_option("--c", a.options.c, "c of g = c (T - T0), for A = lambda*c*B")
      ->check(positive_number)
      ->capture_default_str();
  fit->add_option("--tg-level", a.options.tg_level,
                  "value of y at Tg in its own linear units (default: from the y column's quantity, 1e12 for eta "
                  "in Pa s, 1e13 in poise, 100 for tau in s; else 100 with a warning)")
      ->check(positive_number);
  // Empty names are refused: an empty value means "the default" inside.
  fit->add_option("--T-column", a.options.csv.T_column,
                  "temperature column (default: T, T_K, temperature, or the first column)")
      ->check(non_empty);
  fit->add_option("--y-column", a.options.csv.y_column,
                  "relaxation column (default: tau, tau_s, log10_tau, log10_tau_s, or the next column)")
      ->check(non_empty);
  fit->add_option("--dataset-column", a.options.csv.dataset_column,
                  "column whose values split a file into datasets (default: `dataset` if present)")
      ->check(non_empty);
  fit->add_option("--y-scale", a.y_scale_text,
                  "scale of the y column (default: log10 for names log10*, ln for ln_*, else linear)")
      ->check(CLI::IsMember({"linear", "log10", "ln"}));
  fit->add_option("--model", a.model_spec,
                  "laws to fit, with commas: vft, myega, avramov_milchev (am), arrhenius, or all (default: vft)")
      ->check(valid([](const std::string& s) { parse_model_list(s); }, "LAW[,LAW...]"));
  fit->add_option("--sigma-column", a.options.csv.sigma_column,
                  "column of per-row uncertainties sigma: rows are weighted by 1/sigma (of ln y)")
      ->check(non_empty);
  fit->add_option("--sigma", a.sigma_kind,
                  "absolute: sigma in the y column's units, taken as known (errors not rescaled); relative: "
                  "sigma as a fraction of y, errors scaled by chi2/dof")
      ->check(CLI::IsMember({"absolute", "relative"}))
      ->capture_default_str();
  fit->add_option("--T-range", a.T_range_spec, "fit only rows with LO <= T <= HI (K); either side may be empty")
      ->check(valid([](const std::string& s) { double lo, hi; parse_T_range(s, lo, hi); }, "LO:HI"));
  fit->add_option("--exclude", a.options.exclude,
                  "leave out rows by their line in the file: [FILE:]LINE[,LINE...] (repeatable)")
      ->allow_extra_args(false)  // one value per --exclude, so data files after it stay data files
      ->check(non_empty);
  fit->add_option("--units", a.units, "logarithm of the reported parameters of ln y, rms and residuals")
      ->check(CLI::IsMember({"ln", "log10"}))
      ->capture_default_str();
  fit->add_option("--emit-config", a.options.emit_config_dir,
                  "write DIR/DATASET.toml per VFT fit: the sweep of the paper's model (A = lambda*c*B over the "
                  "--lambda values) whose curve is the fit")
      ->check(non_empty);
  a.command = fit;
  return fit;
}

void fit_arguments::resolve(const std::string& command_line) {
  options.tg_level_given = command->count("--tg-level") > 0;
  if (!y_scale_text.empty()) options.csv.scale = parse_y_scale(y_scale_text);
  if (!lambda_spec.empty()) options.lambdas = parse_lambda_spec(lambda_spec);
  if (!model_spec.empty()) options.models = parse_model_list(model_spec);
  if (!T_range_spec.empty()) parse_T_range(T_range_spec, options.T_lo, options.T_hi);
  options.csv.sigma_relative = sigma_kind == "relative";
  options.log10_units = units == "log10";
  if (command->count("--sigma") > 0 && options.csv.sigma_column.empty())
    throw std::invalid_argument("--sigma says how to read --sigma-column, which is not given");
  options.command_line = command_line;
}

failure describe_failure(const std::exception& e) {
  if (is_a<config_error>(e)) return {exit_bad_input, std::string("error in configuration: ") + e.what()};
  // An argument that passed the command-line parser but not its meaning
  // (--tg-level nan, --c nan, an unknown precision) is bad input too.
  if (is_a<csv_error>(e) || is_a<output_error>(e) || is_a<std::invalid_argument>(e))
    return {exit_bad_input, std::string("error: ") + e.what()};
  if (is_a<backend_error>(e)) return {exit_failure, std::string("error: ") + e.what()};
  return {exit_failure, std::string("failed: ") + e.what()};
}

}  // namespace scaleham
