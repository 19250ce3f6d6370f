// `scaleham fit DATA.csv [...]`: fits of measured relaxation times or
// viscosities (docs/design.md §1.4) by the laws of relaxation_models.hpp
// (VFT, MYEGA, Avramov–Milchev, Arrhenius; --model, several at once), with
// covariance errors, 95% profile-likelihood intervals, AIC/BIC and
// residuals, percentile bootstrap intervals computed on the backend in one
// batched launch per law, and the paper's prediction A = λ·c·B for a list of λ.
//
// Every law is fitted to ln y, y in its own units (τ in s, η in Pa·s, ...);
// --units log10 reports the parameters of ln y (a, B, K, E, their errors and
// intervals, residuals) divided by ln 10, as the viscosity literature quotes
// them. Tg is where y reaches a level that follows from the quantity the y
// column names (tg_level_of: 10^12 for η in Pa·s, 100 for τ in s) unless
// --tg-level gives it; m is the fragility at Tg.
//
// Rows: --sigma-column weights them (1/σ of ln y: csv_options), --T-range
// keeps those within a temperature range, --exclude drops rows by their line
// in the file. Dropped rows are kept in the results (their residuals too),
// marked unused.
//
// Exit policy (documented in the README): a fit that ends on a bound or fails
// (too_few_points, no_vft_minimum, not_converged, ...) is reported with its
// status and the command still exits 0; bad input (CSV, options, output path)
// is exit 2, an unusable `--backend cuda` exit 1.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "csv.hpp"
#include "fit_batch.hpp"
#include "fit_profile.hpp"

namespace scaleham {

/// Most bootstrap replicas per dataset (`--bootstrap`).
inline constexpr std::uint64_t max_bootstrap = 1000000;

struct fit_command_options {
  std::vector<std::string> files;
  csv_options csv;
  std::string backend = "auto";  ///< auto | cpu | cuda
  int device = 0;                ///< CUDA device index (among the visible ones)
  std::vector<relaxation_model> models{relaxation_model::vft};  ///< --model, in the order given
  std::uint64_t bootstrap = 0;   ///< replicas per dataset; 0: no intervals
  std::uint64_t seed = 1;        ///< of the bootstrap resampling
  double c = 1.0;                ///< g = c·(T − T0): A = λ·c·B
  double tg_level = 100.0;       ///< y at Tg, in y's own linear units (--tg-level)
  bool tg_level_given = false;   ///< false: the level follows from the y column's quantity (tg_level_of)
  std::vector<double> lambdas;   ///< λ values for the prediction A = λ·c·B
  double T_lo = 0;               ///< --T-range: rows with T_lo <= T <= T_hi are fitted
  double T_hi = std::numeric_limits<double>::infinity();
  std::vector<std::string> exclude;  ///< --exclude specs ([FILE:]LINE[,LINE...])
  bool log10_units = false;      ///< --units log10
  std::string emit_config_dir;   ///< --emit-config: a sweep configuration per dataset; empty: none
  std::string output_path;       ///< HDF5 file; empty: none
  bool force = false;            ///< overwrite an existing output file (and emitted configurations)
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

/// The quantities of a law that bootstrap intervals are given for, in
/// order: its parameters, D = B/T_vf (VFT only), Tg, m. Index into
/// quantity_value: 0..2 the parameters, 3 D, 4 Tg, 5 m.
std::vector<int> quantities_of(relaxation_model model);
const char* quantity_name(relaxation_model model, int quantity);
double quantity_value(const model_fit<double>& fit, int quantity);

/// One law fitted to one dataset.
struct model_result {
  relaxation_model model = relaxation_model::vft;
  model_fit<double> fit{};                ///< fit of the data itself (natural-log units)
  std::array<interval, 3> profile{};      ///< 95% profile-likelihood intervals of the parameters
  std::uint64_t replicas_used = 0;        ///< bootstrap replicas that succeeded (ok or at_bound)
  std::array<interval, 6> ci{};           ///< percentile 95% bootstrap intervals, by quantity index
  std::vector<double> residuals;          ///< ln y − law, at every row of the dataset (used or not)
  /// With bootstrapping: the 95% percentile band of the replicas' curves, ln y
  /// at band_points temperatures evenly over the fitted rows' range.
  std::vector<double> band_T;
  std::vector<interval> band;
  double delta_aic = 0;                   ///< AIC − the least AIC among the laws fitted to this dataset
};

struct dataset_result {
  std::string name;
  fit_dataset data;                ///< every row read: T, ln y, weights, lines
  std::vector<std::uint8_t> used;  ///< per row: 1 when fitted (in --T-range, not --exclude'd)
  std::vector<model_result> models;  ///< per options.models
  std::vector<double> A_predicted;   ///< λ·c·B of the VFT fit per λ (vft among the models)
  /// The VFT law's result, or nullptr when vft was not fitted.
  const model_result* vft() const;
};

struct fit_report {
  std::vector<dataset_result> results;
  std::string backend, device;  ///< what ran the fits
  std::string notice;           ///< e.g. why `auto` fell back to the CPU
  fit_command_options options;
  std::vector<std::string> y_columns;  ///< per file: "column (scale)"
  std::string tg_level_source;         ///< where options.tg_level came from (tg_level_of)
  bool weighted = false;               ///< the rows carry σ weights
  std::vector<std::string> emitted;    ///< --emit-config: the files written
  /// A parameter, error or interval end of ln y in the report's units
  /// (divided by ln 10 with --units log10 when it is in log units).
  double shown(relaxation_model model, int parameter, double value) const;
  const char* units_name() const { return options.log10_units ? "log10" : "ln"; }
};

/// Parses `--model`: names (vft, myega, avramov_milchev or am, arrhenius, all)
/// separated by commas; repeated names once. std::invalid_argument if unknown.
std::vector<relaxation_model> parse_model_list(const std::string& spec);

/// Parses `--T-range LO:HI` (either side may be empty: no limit).
void parse_T_range(const std::string& spec, double& lo, double& hi);

/// Parses `--lambda`: a comma list "0.05,0.1,0.2" or a range "lo:hi:count"
/// (count values from lo to hi inclusive). Values must be finite and > 0.
/// Throws std::invalid_argument with a message saying what is wrong.
std::vector<double> parse_lambda_spec(const std::string& spec);

/// The p-quantile (0 <= p <= 1) of `values` by linear interpolation between
/// order statistics (numpy's default); NaN values are ignored; NaN if none left.
double percentile(std::vector<double> values, double p);

/// Temperatures of a bootstrap band.
inline constexpr int band_points = 64;

/// Per-dataset results of one law from a batch of fits laid out as
/// fit_datasets_cpu returns them (d·(replicas+1) + r): the fit of the data,
/// the percentile 2.5/97.5 intervals over the replicas that succeeded, and
/// the band of their curves over each dataset's (fitted rows') range.
std::vector<model_result> summarize_fits(relaxation_model model, const std::vector<model_fit<double>>& fits,
                                         const std::vector<fit_dataset>& datasets, std::uint64_t replicas);

/// Reads the files, fits them on the chosen backend and, with an output
/// path, writes the HDF5 file. Throws csv_error and output_error (bad input),
/// backend_error (--backend cuda without a usable GPU) and others.
fit_report run_fit_command(const fit_command_options& options);

/// The law as a formula: of ln y, or with `log10` as the report gives its
/// parameters in log10 units (fit_report.cpp; the table and the file say it).
std::string law_formula(relaxation_model model, bool log10);

/// `--json`: one object per dataset and law (see README "scaleham fit").
nlohmann::ordered_json fit_report_json(const fit_report& report);

/// The table printed without --json.
std::string fit_report_table(const fit_report& report);

/// Writes the report to `path` (via path.partial and a rename; refuses an
/// existing file unless `force`). Throws output_error. (fit_file.cpp)
void write_fit_file(const fit_report& report, const std::string& path, bool force);
/// The bytes of the file write_fit_file would write, built in memory (the
/// Python binding's `scaleham.fit` without an output). Throws output_error.
std::vector<std::byte> fit_file_image(const fit_report& report);

/// `--emit-config DIR`: per dataset with a VFT fit that succeeded, DIR/NAME.toml,
/// the sweep whose theory is that fit (fit_emit.cpp). Returns the paths written.
std::vector<std::string> emit_sweep_configs(const fit_report& report, const std::string& directory, bool force);

}  // namespace scaleham
