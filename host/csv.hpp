// Measured relaxation data for `scaleham fit`: CSV tables of temperature and
// a relaxation quantity (τ, η, ...), read into fit_datasets with y = ln(value).
//
// Format: lines whose first non-blank character is '#' are comments, blank
// lines are skipped; the first other line is the header; fields are separated
// by commas, with whitespace around them ignored (and one pair of surrounding
// double quotes stripped). Every row has as many fields as the header. Rows
// may come in any order.
//
// Columns (names match exactly):
//   T:       --T-column, else the first of T, T_K, temperature (case
//            insensitive), else the first column that is not the dataset column.
//   y:       --y-column, else the first of tau, tau_s, log10_tau, log10_tau_s
//            (case insensitive), else the first remaining column.
//   dataset: --dataset-column, else a column named `dataset` if there is one.
//            Rows with the same value form one dataset, named
//            "STEM:VALUE" (STEM: the file name without directory and suffix);
//            without a dataset column the whole file is one dataset, "STEM".
//   σ:       --sigma-column (none by default): uncertainties, see csv_options.
// Scale of y: --y-scale, else log10 when the y column's name starts with
// "log10", ln when it starts with "ln_", otherwise linear. The fit works in
// natural log: y = ln(value) (linear), ln(10)·value (log10), value (ln).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fit_batch.hpp"

namespace scaleham {

/// A measured-data file cannot be used: unreadable, no header, an unknown
/// column, a bad value, too few rows. The message starts with "FILE:LINE: ".
/// Bad input in the sense of docs/design.md §3.1: exit code 2.
struct csv_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class y_scale { linear, log10, ln };

/// "linear", "log10" or "ln".
const char* y_scale_name(y_scale s);
/// The scale named by `name` ("linear", "log10", "ln"); std::invalid_argument otherwise.
y_scale parse_y_scale(const std::string& name);
/// The scale a column name implies: log10 for "log10…", ln for "ln_…", else linear.
y_scale y_scale_of_column(const std::string& column_name);

struct csv_options {
  std::string T_column;                ///< empty: default (see above)
  std::string y_column;                ///< empty: default
  std::string dataset_column;          ///< empty: `dataset` if present
  std::optional<y_scale> scale;        ///< empty: from the y column's name
  /// Column of per-row uncertainties σ (empty: none). Absolute σ are in the y
  /// column's units (Pa·s for a linear η column, decades for log10); relative
  /// σ are fractions of the value (0.05 = 5 %) whatever the scale. Either way
  /// the row's weight is 1/σ of ln y: σ/value, ln 10·σ, σ; or σ relative.
  std::string sigma_column;
  bool sigma_relative = false;
};

/// What was read from one file: its datasets (y already in natural log) and
/// the columns and scale that were used.
struct csv_file {
  std::string path;
  std::vector<fit_dataset> datasets;
  std::vector<int> first_line;         ///< line of each dataset's first row (1-based)
  std::string T_column, y_column, dataset_column;  ///< dataset_column empty: none
  std::string sigma_column;                        ///< empty: none
  y_scale scale = y_scale::linear;
};

/// Parses CSV text; `source` names it in messages and gives the dataset names
/// (its stem). Throws csv_error.
csv_file parse_fit_csv(const std::string& text, const std::string& source, const csv_options& options);

/// Reads and parses the file at `path`. Throws csv_error (also when the file
/// cannot be read).
csv_file read_fit_csv(const std::string& path, const csv_options& options);

/// Reads several files; the datasets of all of them, in order. When two files
/// have the same stem, their datasets are named after the path as given
/// instead, so every name is unique.
std::vector<csv_file> read_fit_csvs(const std::vector<std::string>& paths, const csv_options& options);

}  // namespace scaleham
