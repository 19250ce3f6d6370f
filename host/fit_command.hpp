// `scaleham fit DATA.csv [...]`: VFT fits of measured relaxation times or
// viscosities (docs/design.md §1.4), with covariance errors, percentile bootstrap
// intervals computed on the backend in one batched launch, and the paper's
// prediction A = λ·c·B for a list of λ.
//
// The fitted law is ln y = a + B/(T − T_vf) in natural log of the y quantity
// in its own units (τ in s, η in Pa·s, ...), so a = ln y0; B, T_vf, Tg in the
// units of the T column (K). Tg is where y reaches a level that follows from
// the quantity the y column names (tg_level_of: 10^12 for η in Pa·s, 100 for
// τ in s) unless --tg-level gives it; m is the fragility at Tg.
//
// Exit policy (documented in the README): a fit that ends on a bound or fails
// (too_few_points, no_vft_minimum, not_converged, ...) is reported with its
// status and the command still exits 0; bad input (CSV, options, output path)
// is exit 2, an unusable `--backend cuda` exit 1.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv.hpp"
#include "fit_batch.hpp"

namespace scaleham {

/// Most bootstrap replicas per dataset (`--bootstrap`).
inline constexpr std::uint64_t max_bootstrap = 1000000;

struct fit_command_options {
  std::vector<std::string> files;
  csv_options csv;
  std::string backend = "auto";  ///< auto | cpu | cuda
  int device = 0;                ///< CUDA device index (among the visible ones)
  std::uint64_t bootstrap = 0;   ///< replicas per dataset; 0: no intervals
  std::uint64_t seed = 1;        ///< of the bootstrap resampling
  double c = 1.0;                ///< g = c·(T − T0): A = λ·c·B
  double tg_level = 100.0;       ///< y at Tg, in y's own linear units (--tg-level)
  bool tg_level_given = false;   ///< false: the level follows from the y column's quantity (tg_level_of)
  std::vector<double> lambdas;   ///< λ values for the prediction A = λ·c·B
  std::string output_path;       ///< HDF5 file; empty: none
  bool force = false;            ///< overwrite an existing output file
  bool quiet = false;            ///< no notices on stderr
  std::string command_line;      ///< for the file's attributes
};

/// What a y column's name says it measures, and the level that defines Tg for
/// it: a viscosity in Pa·s (log10_eta_Pa_s, eta_Pa_s, viscosity_Pa.s, ...) is
/// 10^12 Pa·s at Tg, in poise or dPa·s 10^13; a relaxation time in seconds
/// (tau_s, log10_tau_s; tau alone is read as seconds) 100 s. Anything else
/// names no quantity scaleham knows (level 0).
struct column_quantity {
  std::string what;   ///< "viscosity in Pa s", ...; empty when unknown
  double level = 0;   ///< y at Tg in the column's linear units; 0 when unknown
};
column_quantity quantity_of_column(const std::string& y_column);

/// The Tg level of a fit of `y_columns` and where it comes from: --tg-level
/// when given; else the columns' quantity when they all name one with the same
/// level; else 100 (the τ = 100 s convention) with a warning in `note`. Columns
/// whose quantities have different levels are refused (std::invalid_argument:
/// fit them separately or give --tg-level).
struct tg_level_choice {
  double level = 100.0;
  std::string source;  ///< "--tg-level", "the quantity: viscosity in Pa s", "default"
  std::string note;    ///< a warning for stderr, or empty
};
tg_level_choice tg_level_of(const std::vector<std::string>& y_columns, double given_level, bool given);

/// A 95% percentile interval [lo, hi] (NaN when no replica gave a value).
struct interval {
  double lo, hi;
};

/// The derived quantities in the order of the *_ci keys.
inline constexpr std::array<const char*, 6> ci_quantities = {"a", "B", "T_vf", "D", "Tg", "m"};

struct dataset_result {
  std::string name;
  vft_fit<double> fit;                 ///< fit of the data itself
  std::uint64_t replicas_used = 0;     ///< bootstrap replicas that succeeded (ok or at_bound)
  std::array<interval, 6> ci{};        ///< per ci_quantities; only when bootstrapping
  std::vector<double> A_predicted;     ///< λ·c·B per λ
};

struct fit_report {
  std::vector<dataset_result> results;
  std::string backend, device;  ///< what ran the fits
  std::string notice;           ///< e.g. why `auto` fell back to the CPU
  fit_command_options options;
  std::vector<std::string> y_columns;  ///< per file: "column (scale)"
  std::string tg_level_source;         ///< where options.tg_level came from (tg_level_of)
};

/// Parses `--lambda`: a comma list "0.05,0.1,0.2" or a range "lo:hi:count"
/// (count values from lo to hi inclusive). Values must be finite and > 0.
/// Throws std::invalid_argument with a message saying what is wrong.
std::vector<double> parse_lambda_spec(const std::string& spec);

/// The p-quantile (0 <= p <= 1) of `values` by linear interpolation between
/// order statistics (numpy's default); NaN values are ignored; NaN if none left.
double percentile(std::vector<double> values, double p);

/// Per-dataset results from a batch of fits laid out as fit_datasets_cpu
/// returns them (d·(replicas+1) + r): the fit of the data, the percentile
/// 2.5/97.5 intervals over the replicas that succeeded, and A = λ·c·B.
std::vector<dataset_result> summarize_fits(const std::vector<fit_dataset>& datasets,
                                           const std::vector<vft_fit<double>>& fits, std::uint64_t replicas,
                                           const std::vector<double>& lambdas, double c);

/// Reads the files, fits them on the chosen backend and, with an output
/// path, writes the HDF5 file. Throws csv_error and output_error (bad input),
/// backend_error (--backend cuda without a usable GPU) and others.
fit_report run_fit_command(const fit_command_options& options);

/// `--json`: one object per dataset (see README "scaleham fit").
nlohmann::ordered_json fit_report_json(const fit_report& report);

/// The table printed without --json.
std::string fit_report_table(const fit_report& report);

/// Writes the report to `path` (via path.partial and a rename; refuses an
/// existing file unless `force`). Throws output_error.
void write_fit_file(const fit_report& report, const std::string& path, bool force);

}  // namespace scaleham
