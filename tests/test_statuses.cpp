// Statuses tell the truth: a non-finite number is stored only behind a status
// that says why (or under a per-field rule documented in README.md's tables).
//
// The rule, per field of point_result (and of vft_fit for `scaleham fit`):
//  - /flow g, p, S, ell_end, h_drift, p0_used: non-finite only if the flow did
//    not succeed;
//  - /hj action, action_error: only if the quadrature did not succeed;
//    consistency: NaN unless both the flow and the quadrature succeeded;
//  - /curves log_tau: only if curve_status did not succeed;
//  - /fit a, B, T_vf, *_stderr, covariances, correlation, rms: only if the
//    fit did not succeed; D: +inf on the T_vf = 0 bound (D = B/0), else as the
//    others; Tg and m: NaN when the fitted law never reaches the Tg level at a
//    finite temperature (a >= level, or Tg beyond the floating range);
//    B_rel_err: NaN when the fit did not succeed or A/(lambda c) is zero or
//    not finite, or the ratio is beyond the floating range.
// Unit tests of the cases found by hand, then a deterministic corpus of
// extreme parameter vectors and data sets.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "scaleham/point.hpp"
#include "scaleham/vft.hpp"

namespace {

using scaleham::point_result;
using scaleham::status;
using scaleham::succeeded;
using scaleham::vft_fit;

template <class Real>
bool finite(Real x) {
  return std::isfinite(x);
}

/// The per-field rule for a fit; appends a line per violation.
template <class Real>
void check_fit(const vft_fit<Real>& f, Real tg_log_level, std::vector<std::string>& bad) {
  const bool ok = succeeded(f.code);
  const auto need = [&](bool holds, const char* field) {
    if (!holds)
      bad.push_back(std::string("fit.") + field + " non-finite with fit status " +
                    scaleham::status_name(f.code));
  };
  need(!ok || finite(f.a), "a");
  need(!ok || finite(f.B), "B");
  need(!ok || finite(f.T_vf), "T_vf");
  need(!ok || finite(f.a_stderr), "a_stderr");
  need(!ok || finite(f.B_stderr), "B_stderr");
  need(!ok || finite(f.T_vf_stderr), "T_vf_stderr");
  need(!ok || finite(f.cov_a_B), "cov_a_B");
  need(!ok || finite(f.cov_a_T_vf), "cov_a_T_vf");
  need(!ok || finite(f.cov_B_T_vf), "cov_B_T_vf");
  need(!ok || finite(f.B_T_vf_correlation), "B_T_vf_correlation");
  need(!ok || finite(f.rms), "rms");
  // D = B / T_vf: +inf exactly on the T_vf = 0 (Arrhenius) bound.
  need(!ok || finite(f.D) || (f.T_vf == Real(0) && f.D > Real(0)), "D");
  // Tg, m: NaN when the law never reaches the level at a finite temperature.
  if (ok && !finite(f.Tg)) {
    const bool unreachable = !(tg_log_level > f.a) || !finite(f.T_vf + f.B / (tg_log_level - f.a));
    need(std::isnan(f.Tg) && unreachable, "Tg");
  }
  need(!ok || finite(f.m) || std::isnan(f.Tg), "m");
  if (ok && !finite(f.Tg)) need(std::isnan(f.m), "m (with Tg NaN)");
}

template <class Real>
std::vector<std::string> rule_violations(const Real* params, const scaleham::point_settings<Real>& s,
                                         const point_result<Real>& r, const Real* curve) {
  std::vector<std::string> bad;
  const bool flow_ok = succeeded(r.flow_status), action_ok = succeeded(r.action_status);
  const auto need = [&](bool holds, const std::string& what) {
    if (!holds) bad.push_back(what);
  };
  const std::string flow = std::string(" with flow status ") + scaleham::status_name(r.flow_status);
  need(!flow_ok || finite(r.g), "g non-finite" + flow);
  need(!flow_ok || finite(r.p), "p non-finite" + flow);
  need(!flow_ok || finite(r.S), "S non-finite" + flow);
  need(!flow_ok || finite(r.ell), "ell non-finite" + flow);
  need(!flow_ok || finite(r.h_drift), "h_drift non-finite" + flow);
  need(!flow_ok || finite(r.p0), "p0 non-finite" + flow);
  const std::string hj = std::string(" with hj status ") + scaleham::status_name(r.action_status);
  need(!action_ok || finite(r.action), "action non-finite" + hj);
  need(!action_ok || finite(r.action_error), "action_error non-finite" + hj);
  need(!(action_ok && flow_ok) || finite(r.hj_consistency), "consistency non-finite" + hj + flow);
  if (!s.relaxation.enabled) return bad;
  const bool curve_ok = succeeded(r.curve_status);
  for (int j = 0; j < s.relaxation.n_T; ++j)
    if (curve_ok && !finite(curve[j])) {
      need(false, std::string("log_tau non-finite with curve status ") + scaleham::status_name(r.curve_status));
      break;
    }
  if (!curve_ok) need(r.fit.code == r.curve_status, "fit status differs from the failed curve's");
  check_fit(r.fit, s.relaxation.fit.tg_log_level, bad);
  const Real predicted = params[scaleham::param_f_m1] / (params[scaleham::param_b1] * params[scaleham::param_c]);
  const bool prediction_ok = finite(predicted) && predicted != Real(0) && finite(r.fit.B / predicted);
  need(!succeeded(r.fit.code) || !prediction_ok || finite(r.B_rel_err), "B_rel_err non-finite with a fit");
  need(finite(r.B_rel_err) || std::isnan(r.B_rel_err), "B_rel_err infinite");
  return bad;
}

template <class Real>
point_result<Real> run(const Real* params, const scaleham::point_settings<Real>& s, Real* curve) {
  return scaleham::evaluate_point(params, s, curve);
}

std::string describe(const std::vector<std::string>& bad) {
  std::string out;
  for (const auto& b : bad) out += "  " + b + "\n";
  return out;
}

// The paper's model at the paper's scales, with one thing made extreme.
struct paper_point {
  double params[scaleham::param_count] = {};
  scaleham::point_settings<double> settings;
  paper_point() {
    params[scaleham::param_b1] = 0.1;
    params[scaleham::param_f_m1] = 50.0;
    params[scaleham::param_g0] = 100.0;
    params[scaleham::param_ell] = 1.0;
    params[scaleham::param_T0] = 400.0;
    params[scaleham::param_c] = 1.0;
  }
  point_result<double> evaluate(double* curve) const { return run(params, settings, curve); }
};

// ---- the cases of issue 9, item 8 ----

TEST(Statuses, HugeActionCurveIsOutOfRangeNotTooFewPoints) {
  paper_point pt;
  pt.params[scaleham::param_f_m1] = 1e300;  // ln tau ~ 1e300 at every temperature
  double curve[scaleham::max_curve_points];
  const auto r = pt.evaluate(curve);
  EXPECT_NE(r.fit.code, status::too_few_points);
  EXPECT_EQ(r.fit.code, status::out_of_range);
  EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, curve)), "");
}

TEST(Statuses, HugeTemperatureRangeIsOutOfRangeNotTooFewPoints) {
  paper_point pt;
  pt.settings.relaxation.T_max = 1e308;
  pt.settings.relaxation.T_ref = 1e308;
  double curve[scaleham::max_curve_points];
  const auto r = pt.evaluate(curve);
  EXPECT_NE(r.fit.code, status::too_few_points);
  EXPECT_EQ(r.fit.code, status::out_of_range);
  EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, curve)), "");
}

TEST(Statuses, OverflowingActionIsNotNoVftMinimum) {
  for (const double A : {1e308, DBL_MAX}) {
    paper_point pt;
    pt.params[scaleham::param_f_m1] = A;
    pt.params[scaleham::param_g0] = 1.0;
    double curve[scaleham::max_curve_points];
    const auto r = pt.evaluate(curve);
    EXPECT_NE(r.fit.code, status::no_vft_minimum) << A;
    EXPECT_NE(r.fit.code, status::too_few_points) << A;
    EXPECT_FALSE(succeeded(r.fit.code)) << A;
    EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, curve)), "") << A;
  }
}

TEST(Statuses, DataNear1e300AreOutOfRangeForTheFitter) {
  // A CSV row log10 y = 1e300 (ln y = 2.3e300) among ordinary rows.
  std::vector<double> T, y;
  for (int i = 0; i < 30; ++i) {
    T.push_back(420.0 + 10.0 * i);
    y.push_back(scaleham::vft_log_tau(-30.0, 500.0, 400.0, T.back()));
  }
  y[7] = 1e300 * 2.302585092994046;
  const auto fit = scaleham::fit_vft(scaleham::array_rows<double>{T.data(), y.data(), int(T.size())});
  EXPECT_EQ(fit.code, status::out_of_range);
  // Every row huge: also not "too few points".
  for (double& v : y) v = 1e300;
  for (int i = 0; i < 30; ++i) y[i] += 1e299 * i;
  const auto all = scaleham::fit_vft(scaleham::array_rows<double>{T.data(), y.data(), int(T.size())});
  EXPECT_EQ(all.code, status::out_of_range);
  std::vector<std::string> bad;
  check_fit(all, std::log(100.0), bad);
  EXPECT_EQ(describe(bad), "");
}

TEST(Statuses, TgOutOfReachIsTheDocumentedNaN) {
  // ln tau0 far above ln 100 s: the law stays above the Tg level at every T.
  paper_point pt;
  pt.settings.relaxation.log_tau0 = 100.0;
  double curve[scaleham::max_curve_points];
  const auto r = pt.evaluate(curve);
  ASSERT_TRUE(succeeded(r.fit.code));
  EXPECT_TRUE(std::isnan(r.fit.Tg));
  EXPECT_TRUE(std::isnan(r.fit.m));
  EXPECT_GE(r.fit.a, pt.settings.relaxation.fit.tg_log_level);
  EXPECT_TRUE(std::isfinite(r.fit.B));
  EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, curve)), "");
  // A level just above a: Tg would be beyond double's range; NaN, not inf.
  EXPECT_TRUE(std::isnan(scaleham::vft_temperature_at(1.0, 1e300, 0.0, std::nextafter(1.0, 2.0))));
}

TEST(Statuses, OverflowingHamiltonianIsNotAnOkFlowWithNaNDrift) {
  paper_point pt;
  pt.settings.p0_on_manifold = false;
  pt.settings.relaxation.enabled = false;
  for (const auto method : {scaleham::integrator::dopri5, scaleham::integrator::rk4})
  for (const double lambda : {0.1, 1e10}) {
    for (const double p0 : {-1e300, 1e300, -DBL_MAX}) {
      pt.settings.method = method;
      pt.params[scaleham::param_b1] = lambda;
      pt.params[scaleham::param_p0] = p0;
      const auto r = pt.evaluate(nullptr);
      EXPECT_TRUE(!succeeded(r.flow_status) || std::isfinite(r.h_drift))
          << "rk4 " << (method == scaleham::integrator::rk4) << " lambda " << lambda << " p0 " << p0 << ": "
          << scaleham::status_name(r.flow_status) << " drift "
          << r.h_drift;
      EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, static_cast<double*>(nullptr))), "")
          << "lambda " << lambda << " p0 " << p0;
    }
  }
}

TEST(Statuses, ConsistencyIsNaNExactlyWhenFlowOrActionFailed) {
  // The documented rule: consistency needs both; a failed flow with a good
  // quadrature keeps the action and says why consistency is missing.
  paper_point pt;
  pt.settings.events.g_min = 50.0;
  pt.params[scaleham::param_ell] = -10.0;  // g falls through g_min
  double curve[scaleham::max_curve_points];
  const auto r = pt.evaluate(curve);
  EXPECT_EQ(r.flow_status, status::left_domain);
  EXPECT_EQ(r.action_status, status::ok);
  EXPECT_TRUE(std::isfinite(r.action));
  EXPECT_TRUE(std::isnan(r.hj_consistency));
  EXPECT_EQ(describe(rule_violations(pt.params, pt.settings, r, curve)), "");
  // β so small that g_end == g0 in double: the quadrature over an empty
  // interval is 0 while S = −∫F dℓ ≈ −1.5e306; |S − 0| / ε is beyond double's
  // range. Not an ok action with an infinite consistency: out_of_range.
  paper_point flat;
  flat.settings.p0_on_manifold = false;
  flat.params[scaleham::param_b1] = 1e-150;
  flat.params[scaleham::param_f_m1] = 1e308;
  flat.params[scaleham::param_p0] = -5.0;
  flat.params[scaleham::param_ell] = 1.5;
  const auto rf = flat.evaluate(curve);
  ASSERT_EQ(rf.flow_status, status::ok);
  EXPECT_EQ(rf.action_status, status::out_of_range);
  EXPECT_TRUE(std::isnan(rf.hj_consistency));
  EXPECT_EQ(describe(rule_violations(flat.params, flat.settings, rf, curve)), "");
}

TEST(Statuses, OutOfRangeHasANameAndAFlagSlot) {
  EXPECT_EQ(static_cast<int>(status::out_of_range), 13);
  EXPECT_STREQ(scaleham::status_name(status::out_of_range), "out_of_range");
  EXPECT_EQ(scaleham::status_count, 14);
  EXPECT_FALSE(succeeded(status::out_of_range));
}

// ---- the fuzzed corpus ----

/// Deterministic generator (splitmix64 of a counter): the same corpus on every
/// platform and run.
struct corpus_rng {
  std::uint64_t state;
  std::uint64_t next() { return scaleham::splitmix64(state++); }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
  int below(int n) { return int(next() % std::uint64_t(n)); }
  /// A magnitude from ordinary to extreme, either sign if `signed_`.
  double extreme(bool signed_) {
    static const double magnitudes[] = {0.0,    5e-324, 1e-310, 1e-300, 1e-150, 1e-30, 1e-8, 0.1,
                                        1.0,    3.0,    50.0,   700.0,  1e8,    1e30,  1e150, 1e300,
                                        1e307,  1e308,  DBL_MAX};
    const int k = below(int(sizeof magnitudes / sizeof magnitudes[0]));
    const double v = magnitudes[k] * (k > 0 && k + 1 < int(sizeof magnitudes / sizeof magnitudes[0]) ? 0.5 + unit() : 1.0);
    return signed_ && (next() & 1) ? -v : v;
  }
  /// Ordinary value most of the time, extreme otherwise.
  double maybe(double ordinary, bool signed_, int one_in = 3) {
    return below(one_in) == 0 ? extreme(signed_) : ordinary * (0.5 + unit());
  }
};

/// double to Real, beyond Real's range to ±inf (a plain cast would be undefined).
template <class Real>
struct to_real {
  Real operator()(double x) const {
    const double top = double(std::numeric_limits<Real>::max());
    return x > top ? std::numeric_limits<Real>::infinity()
                   : (x < -top ? -std::numeric_limits<Real>::infinity() : static_cast<Real>(x));
  }
};

template <class Real>
void fill_extreme_point(corpus_rng& rng, Real* params, scaleham::point_settings<Real>& s) {
  const to_real<Real> Real_;
  for (int k = 0; k < scaleham::param_count; ++k) params[k] = Real(0);
  params[scaleham::param_b1] = Real_(rng.maybe(0.1, true));
  params[scaleham::param_f_m1] = Real_(rng.maybe(50.0, true));
  if (rng.below(4) == 0) params[scaleham::param_b0] = Real_(rng.extreme(true));
  if (rng.below(4) == 0) params[scaleham::param_b2] = Real_(rng.extreme(true));
  if (rng.below(4) == 0) params[scaleham::param_f_m2] = Real_(rng.extreme(true));
  if (rng.below(4) == 0) params[scaleham::param_f1] = Real_(rng.extreme(true));
  params[scaleham::param_g0] = Real_(rng.maybe(100.0, true));
  params[scaleham::param_p0] = Real_(rng.maybe(-5.0, true));
  params[scaleham::param_ell] = Real_(rng.maybe(1.0, true, 4));
  params[scaleham::param_T0] = Real_(rng.maybe(400.0, true, 4));
  params[scaleham::param_c] = Real_(rng.maybe(1.0, true, 4));
  s = scaleham::point_settings<Real>{};
  s.method = rng.below(3) == 0 ? scaleham::integrator::rk4 : scaleham::integrator::dopri5;
  s.rk4_steps = 200;
  s.dopri5.max_steps = 2000;  // keeps the corpus quick; max_steps is a status like any other
  if (s.dopri5.rtol < Real(1e-5) && sizeof(Real) == sizeof(float)) s.dopri5.rtol = Real(1e-5);
  s.p0_on_manifold = rng.below(2) == 0;
  if (rng.below(3) == 0) s.events.g_min = Real(0);
  if (rng.below(5) == 0) s.events.g_max = Real_(rng.extreme(false));
  auto& rs = s.relaxation;
  rs.enabled = rng.below(10) != 0;
  rs.n_T = 4 + rng.below(29);
  rs.T_min = Real_(rng.maybe(420.0, false, 4));
  rs.T_max = Real_(rng.maybe(700.0, false, 4));
  if (rs.T_max < rs.T_min) {
    const Real t = rs.T_max;
    rs.T_max = rs.T_min, rs.T_min = t;
  }
  rs.T_ref = rng.below(2) ? rs.T_max : Real_(rng.maybe(700.0, false, 3));
  rs.log_tau0 = Real_(rng.maybe(-32.0, true, 5));
  rs.fit.max_iterations = 60;
}

template <class Real>
void corpus_of_points(std::uint64_t seed, int count) {
  corpus_rng rng{seed};
  int reported = 0, failures = 0;
  std::vector<int> seen(scaleham::status_count, 0);
  for (int i = 0; i < count; ++i) {
    Real params[scaleham::param_count];
    scaleham::point_settings<Real> s;
    fill_extreme_point(rng, params, s);
    Real curve[scaleham::max_curve_points];
    const auto r = scaleham::evaluate_point(params, s, curve);
    ++seen[int(r.fit.code)];
    const auto bad = rule_violations(params, s, r, curve);
    if (bad.empty()) continue;
    ++failures;
    if (reported++ < 12) {
      std::string p;
      for (int k = 0; k < scaleham::param_count; ++k)
        if (params[k] != Real(0)) p += std::string(" ") + scaleham::param_name(k) + "=" + std::to_string(double(params[k]));
      char buffer[256];
      std::snprintf(buffer, sizeof buffer, " | T %g..%g ref %g n %d ln_tau0 %g manifold %d rk4 %d", double(s.relaxation.T_min),
                    double(s.relaxation.T_max), double(s.relaxation.T_ref), s.relaxation.n_T,
                    double(s.relaxation.log_tau0), int(s.p0_on_manifold), int(s.method == scaleham::integrator::rk4));
      ADD_FAILURE() << "point " << i << ":" << p << buffer << "\n" << describe(bad);
    }
  }
  EXPECT_EQ(failures, 0) << "of " << count << " points";
}

TEST(StatusCorpus, ExtremePointsDouble) { corpus_of_points<double>(0x5CA1E4A3ull, 12000); }
TEST(StatusCorpus, ExtremePointsFloat) { corpus_of_points<float>(0xF10A7ull, 6000); }

/// Data sets as `scaleham fit` reads them: VFT-like curves scaled and shifted
/// to extremes, with single wild rows.
TEST(StatusCorpus, ExtremeDataSetsForTheFitter) {
  corpus_rng rng{0xDA7Aull};
  int failures = 0;
  for (int i = 0; i < 20000; ++i) {
    const int n = 4 + rng.below(40);
    const double T_lo = rng.below(3) == 0 ? rng.extreme(false) : 300.0 + 200.0 * rng.unit();
    const double T_span = rng.below(3) == 0 ? rng.extreme(false) : 300.0 * rng.unit();
    const double scale = rng.below(3) == 0 ? rng.extreme(true) : 1.0;
    const double shift = rng.below(4) == 0 ? rng.extreme(true) : 0.0;
    const double B = 500.0 + 3000.0 * rng.unit(), T_vf = 0.9 * rng.unit() * T_lo;
    std::vector<double> T(n), y(n);
    for (int k = 0; k < n; ++k) {
      T[k] = T_lo + T_span * k / (n - 1);
      y[k] = scale * scaleham::vft_log_tau(-30.0, B, T_vf, T[k]) + shift;
      if (rng.below(20) == 0) y[k] = rng.extreme(true);
      if (rng.below(40) == 0) T[k] = rng.extreme(false);
    }
    const double level = rng.below(4) == 0 ? rng.extreme(true) : std::log(100.0);
    scaleham::vft_options<double> opt;
    opt.tg_log_level = level;
    opt.max_iterations = 60;
    const auto fit = scaleham::fit_vft(scaleham::array_rows<double>{T.data(), y.data(), n}, opt);
    std::vector<std::string> bad;
    check_fit(fit, level, bad);
    if (!bad.empty() && failures++ < 12)
      ADD_FAILURE() << "data set " << i << " (n " << n << ", T " << T_lo << " + " << T_span << ", scale " << scale
                    << ", shift " << shift << ")\n"
                    << describe(bad);
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
