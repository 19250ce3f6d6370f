// The parsed sweep configuration: what `scaleham run` computes and writes.
// Produced by parse_config (config.hpp) from TOML; turned into the device-side
// sweep_spec<Real> by make_sweep_spec (sweep.hpp). Plain data, host only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "scaleham/expression.hpp"
#include "scaleham/grid.hpp"
#include "scaleham/parameters.hpp"
#include "scaleham/point.hpp"

namespace scaleham {

/// One sweep axis as the user wrote it.
struct axis_config {
  std::string name;      ///< user-facing name: "lambda", "A", "b2", "g0", ... (dimension name in HDF5)
  int slot = -1;         ///< parameter slot it sets (parameters.hpp)
  axis_kind kind = axis_kind::linspace;
  std::int64_t count = 0;         ///< points of a cartesian axis (values: values.size(); Halton: 0)
  double lo = 0, hi = 0;          ///< linspace/logspace (and the box of random sampling)
  std::vector<double> values;     ///< kind == values
  std::string unit;               ///< units attribute of the dimension scale ("1" = dimensionless)

  /// All coordinates of a cartesian axis (for the dimension-scale dataset).
  std::vector<double> coordinates() const;
};

/// Which groups go into the output file.
struct output_config {
  bool flow = true;    ///< /flow: end state, H drift, steps, status
  bool hj = true;      ///< /hj: action, error, consistency, status
  bool fit = true;     ///< /fit: VFT parameters, errors, derived D, Tg, m, status (needs relaxation.enabled)
  bool curves = false; ///< /curves: ln τ on the temperature grid /curves/T (n_T values per point)
  int compression = 4; ///< deflate level 0..9 (0 = none), with byte shuffle
  /// The fields written of each group (output.flow = ["g", "status"]); empty:
  /// all of them. Names as in output_fields.hpp, checked by the config reader.
  std::vector<std::string> flow_fields, hj_fields, fit_fields;
  bool float32 = false;  ///< store real-valued results and curves as float32 (integers and codes as they are)
};

/// β and F written as formulas (`[model] beta = "...", F = "..."` with
/// `[model.parameters]`), or none: the built-in models of slots b0..f4.
struct formula_config {
  std::string beta, F;                  ///< as written
  std::vector<std::string> parameters;  ///< declared names: parameter i is slot param_x0 + i
  /// The compiled formulas (shared: sweep_spec points into them), or null.
  std::shared_ptr<const model_formulas> programs;
  /// Whether they run as the built-in model (formula_lowering.hpp): each
  /// parameter then sits in the coefficient slot it multiplies, not in x0..
  bool runs_as_builtin = false;
  /// The slot of each declared parameter (param_x0 + i, or its coefficient slot).
  std::vector<int> slots;
};

struct sweep_config {
  std::string source_name;   ///< file path, or "<built-in example>"
  /// The configuration as run (stored as a root attribute, compared on
  /// resume): the source's text, or, with --set overrides, the resolved
  /// TOML of both (comments dropped).
  std::string source_text;
  std::string file_text;               ///< the source's text as written
  std::vector<std::string> overrides;  ///< --set KEY=VALUE, in order

  /// Base value of every parameter slot (overridden by the axes); defaults and
  /// units in docs/config.md. g is in kelvin: g = c (T − T0) with c dimensionless.
  std::array<double, param_count> base{};
  std::array<std::string, param_count> units{};  ///< unit of each slot ("1" = dimensionless)

  std::vector<axis_config> axes;  ///< at most max_axes
  /// One point per sample (random_points of them, output over `point`):
  /// Halton sampling of the axes' box, or with `paired` point i taking
  /// coordinate i of every axis (sampling = "paired").
  bool random = false;
  bool paired = false;
  std::uint64_t random_points = 0;

  point_settings<double> settings;  ///< integrator, tolerances, domain, p0 mode, quadrature
  formula_config formulas;          ///< β and F as formulas, if written so

  /// Whether β and F are written as formulas (else the built-in models).
  bool uses_formulas() const { return formulas.programs != nullptr; }
  /// Whether the formulas are interpreted (not run as the built-in model).
  bool interprets_formulas() const { return uses_formulas() && !formulas.runs_as_builtin; }
  /// The name of a parameter slot: a formula parameter's declared name, else param_name.
  std::string parameter_name(int slot) const;

  output_config output;

  /// Number of grid points.
  std::uint64_t size() const;
  /// Dataset shape: the axes' counts (cartesian) or {random_points} (random).
  std::vector<std::uint64_t> shape() const;
};

}  // namespace scaleham
