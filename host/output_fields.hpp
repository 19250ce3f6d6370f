// The result fields of a sweep: ONE table, from which the writer creates the
// datasets, the config checks `[output]` field selections, and the record
// layout packs a batch's results into what the journal keeps and the HDF5
// writer writes (docs/design.md §2.4, §6).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "scaleham/point.hpp"
#include "sweep_config.hpp"

namespace scaleham {

// --- the result fields: ONE table, used to create the datasets and to write them

enum class result_group { flow, hj, fit };

inline const char* group_name(result_group g) {
  switch (g) {
    case result_group::flow: return "flow";
    case result_group::hj: return "hj";
    case result_group::fit: return "fit";
  }
  return "?";
}

/// Where a field lives: a member of point_result, or of its VFT fit
/// (point_result::fit). Status codes are stored as uint8.
template <class Real>
using field_member =
    std::variant<Real point_result<Real>::*, std::int32_t point_result<Real>::*, status point_result<Real>::*,
                 Real vft_fit<Real>::*, std::int32_t vft_fit<Real>::*, status vft_fit<Real>::*>;

template <class Real, class T>
const T& value_of(const point_result<Real>& r, T point_result<Real>::*member) {
  return r.*member;
}
template <class Real, class T>
const T& value_of(const point_result<Real>& r, T vft_fit<Real>::*member) {
  return r.fit.*member;
}

template <class Real>
struct field {
  result_group group;
  const char* name;       ///< dataset name in the group
  int unit_slot;          ///< has the units of this parameter slot (config.units), or dimensionless
  const char* long_name;  ///< what it is, in words
  field_member<Real> member;
};

constexpr int dimensionless = -1;

// Units come from the config's parameter table where a result is in the
// units of a parameter (g like g0, p like p0, temperatures like T0); the
// action is dimensionless (ln tau = ln tau0 + S, docs/design.md §1.4), and so
// are logarithms, counts and codes. `ell` and `p0` are parameter names, so
// they can be sweep axes (whose coordinates live in every group): the fields
// reporting them are ell_end and p0_used.
template <class Real>
const std::vector<field<Real>>& result_fields() {
  using r = point_result<Real>;
  using v = vft_fit<Real>;
  static const std::vector<field<Real>> fields{
      {result_group::flow, "g", param_g0, "coupling g at the end of the flow", &r::g},
      {result_group::flow, "p", param_p0, "momentum p at the end of the flow", &r::p},
      {result_group::flow, "S", dimensionless, "action accumulated along the flow, S(ell_end) - S(0)", &r::S},
      {result_group::flow, "ell_end", param_ell, "RG time ell where the flow stopped", &r::ell},
      {result_group::flow, "h_drift", dimensionless, "relative drift of the scale Hamiltonian H along the path",
       &r::h_drift},
      {result_group::flow, "p0_used", param_p0,
       "initial momentum p0 of the flow (on the HJ manifold, or as given)", &r::p0},
      {result_group::flow, "steps", dimensionless, "accepted integrator steps", &r::steps},
      {result_group::flow, "rejected", dimensionless, "rejected integrator steps", &r::rejected},
      {result_group::flow, "status", dimensionless, "how the flow ended", &r::flow_status},
      {result_group::hj, "action", dimensionless,
       "HJ action S(g_end) - S(g0) = -integral of F/beta dg, by quadrature", &r::action},
      {result_group::hj, "action_error", dimensionless, "error estimate of the quadrature action",
       &r::action_error},
      {result_group::hj, "consistency", dimensionless,
       "|S_flow - action| / max(|action|, eps): agreement of flow and HJ action "
       "(NaN unless both the flow and the action succeeded)",
       &r::hj_consistency},
      {result_group::hj, "status", dimensionless, "how the action quadrature ended", &r::action_status},
      {result_group::fit, "a", dimensionless,
       "VFT a = ln tau0 of the fitted law ln tau = a + B/(T - T_vf) (natural log of seconds)", &v::a},
      {result_group::fit, "B", param_T0, "VFT B in ln tau = a + B/(T - T_vf) (B = D T_vf)", &v::B},
      {result_group::fit, "T_vf", param_T0, "VFT temperature T_vf, where tau diverges", &v::T_vf},
      {result_group::fit, "D", dimensionless, "strength D = B / T_vf (+inf on the T_vf = 0 bound)", &v::D},
      {result_group::fit, "Tg", param_T0,
       "glass transition Tg: where the fit reaches tau = tg_tau (root attribute ln_tg_tau = ln(tg_tau / 1 s)); "
       "NaN when the fitted law never comes down to tg_tau at a finite temperature (a >= ln_tg_tau)",
       &v::Tg},
      {result_group::fit, "m", dimensionless, "fragility m = B Tg / (ln 10 (Tg - T_vf)^2) (NaN where Tg is)",
       &v::m},
      {result_group::fit, "a_stderr", dimensionless, "standard error of a", &v::a_stderr},
      {result_group::fit, "B_stderr", param_T0, "standard error of B", &v::B_stderr},
      {result_group::fit, "T_vf_stderr", param_T0, "standard error of T_vf (every parameter free, also on the T_vf = 0 bound)",
       &v::T_vf_stderr},
      {result_group::fit, "B_T_vf_correlation", dimensionless, "correlation of the errors of B and T_vf",
       &v::B_T_vf_correlation},
      {result_group::fit, "rms", dimensionless,
       "RMS residual of the fit in ln tau: how far the curve departs from the VFT law", &v::rms},
      {result_group::fit, "iterations", dimensionless, "Levenberg-Marquardt iterations", &v::iterations},
      {result_group::fit, "status", dimensionless, "how the VFT fit ended (the curve's status if it failed)",
       &v::code},
      {result_group::fit, "curve_status", dimensionless,
       "worst quadrature status along the ln tau(T) curve", &r::curve_status},
      {result_group::fit, "B_rel_err", dimensionless,
       "B / (A/(lambda c)) - 1: departure from the paper's prediction "
       "(NaN unless the fit succeeded and A/(lambda c) is finite and nonzero)",
       &r::B_rel_err},
  };
  return fields;
}

/// The type a member is stored as in the file.
template <class T>
using stored_t = std::conditional_t<std::is_same_v<T, status>, std::uint8_t, T>;

/// Calls visitor with a null pointer of the stored type of the field's member
/// (for its HDF5 type) and the member pointer itself (read it with value_of).
template <class Real, class F>
decltype(auto) visit_member(const field<Real>& f, F&& visitor) {
  return std::visit(
      [&](auto member) -> decltype(auto) {
        using value_t = std::remove_cv_t<
            std::remove_reference_t<decltype(value_of(std::declval<const point_result<Real>&>(), member))>>;
        return visitor(static_cast<stored_t<value_t>*>(nullptr), member);
      },
      f.member);
}

template <class Real>
bool is_status(const field<Real>& f) {
  return visit_member(f, [](auto* stored, auto) { return std::is_same_v<decltype(stored), std::uint8_t*>; });
}

/// The /fit group is written only where the curves and fits are computed.
inline bool writes_fit(const sweep_config& config) {
  return config.output.fit && config.settings.relaxation.enabled;
}

/// The result dataset a name would clash with in the output ("/fit/B"), or
/// "" (an axis, or a parameter an axis may sweep, is a dataset beside them).
inline std::string result_dataset_named(const std::string& name) {
  for (const auto& f : result_fields<double>())
    if (name == f.name) return std::string("/") + group_name(f.group) + "/" + f.name;
  return "";
}

/// The datasets of /curves besides the grid's scales.
inline constexpr const char* curve_dataset_names[] = {"T", "T_index", "log_tau"};

/// The names of the fields of group `group` ("flow", "hj", "fit"), in table
/// order; empty for any other name.
std::vector<std::string> field_names(const std::string& group);

/// Whether the config writes field `name` of `group`: the group is written
/// and its field list (output.<group> = [...]) is empty or names it.
bool field_selected(const sweep_config& config, result_group group, const std::string& name);

/// What a sweep keeps of one point, column by column: every field it writes,
/// in its stored type (float32 where [output] float32 is set), the three
/// status codes the run summary counts (kept even where their datasets are
/// not written), and the ln tau curve. A batch of n points packs into
/// n * bytes_per_point() bytes: column c at n * columns[c].offset, the
/// curves (point-major) at n * column_bytes. That packed batch is what the
/// journal records and what the datasets are written from, so a file
/// rebuilt from the journal holds the very bytes of the uninterrupted run.
template <class Real>
struct record_layout {
  struct column {
    const field<Real>* f = nullptr;
    std::size_t bytes = 0;   ///< stored size of one value: 1, 4 or 8
    std::size_t offset = 0;  ///< bytes per point of the columns before it
    bool written = true;     ///< a dataset of the file (else only counted in the summary)
    bool as_float = false;   ///< a Real field stored as float
  };
  std::vector<column> columns;
  std::size_t column_bytes = 0;       ///< per point, all columns
  std::uint64_t n_T = 0;              ///< curve values per point (0: curves not written)
  std::size_t curve_value_bytes = 0;  ///< 4 or 8
  int flow_status = -1, action_status = -1, fit_status = -1;  ///< their columns

  explicit record_layout(const sweep_config& config);
  std::size_t bytes_per_point() const { return column_bytes + std::size_t(n_T) * curve_value_bytes; }

  /// Packs n points (results, and curves when n_T > 0) into `out`
  /// (n * bytes_per_point() bytes), on up to `threads` threads (0: all cores).
  void pack(const point_result<Real>* results, const Real* curves, std::size_t n, std::byte* out,
            unsigned threads) const;
};

extern template struct record_layout<double>;
extern template struct record_layout<float>;

}  // namespace scaleham
