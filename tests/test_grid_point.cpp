// Grid points from their index, and the fused per-point pipeline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "paper_closed_form.hpp"
#include "scaleham/point.hpp"

namespace {

using scaleham::axis_kind;
using scaleham::grid_spec;
using scaleham::status;
using scaleham::testing::relative_error;

grid_spec<double> two_axis_grid() {
  grid_spec<double> g{};
  g.base[scaleham::param_g0] = 1.0;
  g.n_axes = 2;
  g.axes[0] = {scaleham::param_b1, axis_kind::linspace, 3, 0.1, 0.3, 0.0, nullptr};
  g.axes[1] = {scaleham::param_f_m1, axis_kind::logspace, 4, 1.0, 1000.0, scaleham::log_ratio_of(1.0, 1000.0),
               nullptr};
  return g;
}

TEST(Grid, CartesianIndexIsCOrderLastAxisFastest) {
  const auto g = two_axis_grid();
  ASSERT_EQ(g.size(), 12u);
  double p[scaleham::param_count];
  g.parameters(0, p);
  EXPECT_EQ(p[scaleham::param_b1], 0.1);
  EXPECT_EQ(p[scaleham::param_f_m1], 1.0);
  EXPECT_EQ(p[scaleham::param_g0], 1.0);  // base value kept
  g.parameters(1, p);
  EXPECT_EQ(p[scaleham::param_b1], 0.1);
  EXPECT_NEAR(p[scaleham::param_f_m1], 10.0, 1e-12);
  g.parameters(4 * 2 + 3, p);  // last point: both ends exact
  EXPECT_EQ(p[scaleham::param_b1], 0.3);
  EXPECT_EQ(p[scaleham::param_f_m1], 1000.0);
}

TEST(Grid, ValuesAxisReadsItsArray) {
  const double values[] = {5.0, -2.0, 7.5};
  grid_spec<double> g{};
  g.n_axes = 1;
  g.axes[0] = {scaleham::param_g0, axis_kind::values, 3, 0, 0, 0, values};
  double p[scaleham::param_count];
  for (int i = 0; i < 3; ++i) {
    g.parameters(i, p);
    EXPECT_EQ(p[scaleham::param_g0], values[i]);
  }
}

TEST(Grid, HaltonPointsAreDistinctAndInsideTheBox) {
  auto g = two_axis_grid();
  g.random = true;
  g.n_points = 1000;
  std::set<std::pair<double, double>> seen;
  double p[scaleham::param_count];
  int low_half = 0;
  for (std::uint64_t i = 0; i < g.size(); ++i) {
    g.parameters(i, p);
    const double l = p[scaleham::param_b1], A = p[scaleham::param_f_m1];
    ASSERT_GE(l, 0.1);
    ASSERT_LT(l, 0.3);
    ASSERT_GE(A, 1.0);
    ASSERT_LT(A, 1000.0);
    seen.insert({l, A});
    low_half += l < 0.2;
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_NEAR(low_half, 500, 2);  // base-2 Halton splits any prefix evenly
}

TEST(Grid, RadicalInverseIsExact) {
  EXPECT_EQ(scaleham::radical_inverse(1, 2), 0.5);
  EXPECT_EQ(scaleham::radical_inverse(2, 2), 0.25);
  EXPECT_EQ(scaleham::radical_inverse(3, 2), 0.75);
  EXPECT_EQ(scaleham::radical_inverse(5, 3), 7.0 / 9);  // digits 12 -> 0.21 in base 3
  // 2^40 + 1 in base 2: 0.1000...0001 (41 digits), exact in double.
  EXPECT_EQ(scaleham::radical_inverse((std::uint64_t(1) << 40) + 1, 2), 0.5 + std::ldexp(1.0, -41));
  // Huge indices stay in [0, 1) (digits below 2^-62 are dropped, never overflow).
  for (std::uint64_t base : {2u, 3u, 19u}) {
    const double u = scaleham::radical_inverse(~std::uint64_t(0), base);
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(Grid, PortableExpIsWithinTwoUlpOfLibm) {
  // It exists to give the same bits on every backend; it must also be right.
  for (double x = -700.0; x <= 700.0; x += 0.37) {
    const double want = std::exp(x), got = scaleham::portable_exp(x);
    ASSERT_LE(std::fabs(got - want), 2 * std::fabs(std::nextafter(want, 0.0) - want)) << "x = " << x;
  }
  EXPECT_EQ(scaleham::portable_exp(0.0), 1.0);
  // Beyond double's range: inf and 0 as libm gives, no undefined conversion
  // (a fuzzed config with a 600-decade Halton axis reached it).
  EXPECT_EQ(scaleham::portable_exp(1e4), std::numeric_limits<double>::infinity());
  EXPECT_EQ(scaleham::portable_exp(std::numeric_limits<double>::infinity()), std::numeric_limits<double>::infinity());
  EXPECT_EQ(scaleham::portable_exp(-1e4), 0.0);
  EXPECT_TRUE(std::isnan(scaleham::portable_exp(std::nan(""))));
  EXPECT_NEAR(scaleham::portable_exp(709.0) / std::exp(709.0), 1.0, 1e-15);
  EXPECT_NEAR(scaleham::portable_exp(-745.0) / std::exp(-745.0), 1.0, 1e-2);  // subnormal result
}

// Positions are computed in double and rounded to the sweep's precision last:
// a float sweep evaluates float(the double coordinate the file records), also
// beyond 2^24 points, where a float index or a float radical inverse would
// give other (and duplicate) coordinates.
TEST(Grid, FloatCoordinatesAreTheRoundedDoubleCoordinates) {
  const std::int64_t count = (std::int64_t(1) << 25) + 1;
  for (const bool random : {false, true}) {
    grid_spec<double> d{};
    grid_spec<float> f{};
    d.n_axes = f.n_axes = 2;
    d.axes[0] = {scaleham::param_b1, axis_kind::linspace, count, 0.0, 3.0, 0.0, nullptr};
    f.axes[0] = {scaleham::param_b1, axis_kind::linspace, count, 0.0, 3.0, 0.0, nullptr};
    d.axes[1] = {scaleham::param_f_m1, axis_kind::logspace, 3, 1.0, 1e3, scaleham::log_ratio_of(1.0, 1e3), nullptr};
    f.axes[1] = {scaleham::param_f_m1, axis_kind::logspace, 3, 1.0, 1e3, scaleham::log_ratio_of(1.0, 1e3), nullptr};
    d.random = f.random = random;
    d.n_points = f.n_points = std::uint64_t(1) << 40;
    const std::uint64_t first = random ? (std::uint64_t(1) << 33) : (std::uint64_t(1) << 24) * 3;
    for (std::uint64_t i = first; i < first + 64; ++i) {
      double pd[scaleham::param_count];
      float pf[scaleham::param_count];
      d.parameters(i, pd);
      f.parameters(i, pf);
      for (int slot : {scaleham::param_b1, scaleham::param_f_m1})
        ASSERT_EQ(pf[slot], static_cast<float>(pd[slot])) << "random " << random << " index " << i;
    }
  }
}

TEST(Grid, LogspaceHitsItsEndsAndDecadesExactly) {
  const auto g = two_axis_grid();
  for (int i = 0; i < 4; ++i) EXPECT_DOUBLE_EQ(g.axes[1].position(i), std::pow(10.0, i));
  EXPECT_EQ(g.axes[1].position(0), 1.0);
  EXPECT_EQ(g.axes[1].position(3), 1000.0);
}

TEST(Grid, ParameterSlotsMapOntoTheModel) {
  double p[scaleham::param_count] = {};
  p[scaleham::param_b1] = 0.1;
  p[scaleham::param_f_m1] = 50.0;
  p[scaleham::param_f2] = 3.0;
  const auto m = scaleham::model_from(p);
  EXPECT_EQ(m.beta.b[1], 0.1);
  EXPECT_EQ(m.F.coeff(-1), 50.0);
  EXPECT_EQ(m.F.coeff(2), 3.0);
  EXPECT_STREQ(scaleham::param_name(scaleham::param_f_m1), "f_m1");
  EXPECT_STREQ(scaleham::param_name(scaleham::param_ell), "ell");
}

TEST(Point, PaperModelMatchesClosedFormAndTheActionAgrees) {
  const double lambda = 0.1, A = 50.0, g0 = 100.0, ell = 10.0;
  double p[scaleham::param_count] = {};
  p[scaleham::param_b1] = lambda;
  p[scaleham::param_f_m1] = A;
  p[scaleham::param_g0] = g0;
  p[scaleham::param_ell] = ell;
  scaleham::point_settings<double> s;
  s.dopri5.rtol = 1e-12;
  s.dopri5.atol = 1e-14;
  const auto r = scaleham::evaluate_point(p, s);
  ASSERT_EQ(r.flow_status, status::ok);
  ASSERT_EQ(r.action_status, status::ok);
  const scaleham::testing::paper_solution ref{lambda, A, g0, r.p0, 0.0};
  EXPECT_LE(relative_error(r.g, ref.g(ell)), 1e-10);
  EXPECT_LE(relative_error(r.p, -A / (lambda * r.g * r.g)), 1e-10);
  EXPECT_LE(relative_error(r.S, ref.S(ell)), 1e-10);
  EXPECT_LE(relative_error(r.action, scaleham::testing::paper_action(lambda, A, g0, r.g)), 1e-10);
  EXPECT_LE(r.hj_consistency, 1e-9);
  EXPECT_LE(r.h_drift, 1e-10);
}

TEST(Point, ConsistencyHoldsOffTheManifoldToo) {
  // dS/dℓ = −F and dg/dℓ = β on every path, so the check needs no manifold.
  double p[scaleham::param_count] = {};
  p[scaleham::param_b1] = 0.2;
  p[scaleham::param_b2] = 0.01;
  p[scaleham::param_f_m1] = 3.0;
  p[scaleham::param_f1] = 0.5;
  p[scaleham::param_g0] = 0.7;
  p[scaleham::param_p0] = 12.0;
  p[scaleham::param_ell] = 5.0;
  scaleham::point_settings<double> s;
  s.p0_on_manifold = false;
  const auto r = scaleham::evaluate_point(p, s);
  ASSERT_EQ(r.flow_status, status::ok);
  EXPECT_EQ(r.p0, 12.0);
  EXPECT_LE(r.hj_consistency, 1e-8);
}

TEST(Point, BadPointsGetStatusesAndNaNDiagnosticsNotGarbage) {
  double p[scaleham::param_count] = {};
  p[scaleham::param_b1] = 0.1;
  p[scaleham::param_f_m1] = 50.0;
  p[scaleham::param_g0] = -1.0;  // outside the physical domain g > 0
  p[scaleham::param_ell] = 1.0;
  scaleham::point_settings<double> s;
  s.events.g_min = 0.0;
  const auto r = scaleham::evaluate_point(p, s);
  EXPECT_EQ(r.flow_status, status::invalid_initial_state);
  EXPECT_TRUE(std::isnan(r.hj_consistency));
  EXPECT_TRUE(std::isnan(r.action));
  EXPECT_TRUE(std::isfinite(r.g));
  // β = g − 1 drives g from 0.5 down through g_min = 0.25 at ℓ = ln 1.5: the
  // path stops exactly on the edge and the action is taken up to there.
  p[scaleham::param_g0] = 0.5;
  p[scaleham::param_b0] = -1.0;
  p[scaleham::param_b1] = 1.0;
  p[scaleham::param_ell] = 3.0;
  s.events.g_min = 0.25;
  const auto stopped = scaleham::evaluate_point(p, s);
  EXPECT_EQ(stopped.flow_status, status::left_domain);
  EXPECT_EQ(stopped.g, 0.25);
  EXPECT_NEAR(stopped.ell, std::log(1.5), 1e-9);
  EXPECT_EQ(stopped.action_status, status::ok);
  EXPECT_TRUE(std::isnan(stopped.hj_consistency));  // the flow did not succeed
}

}  // namespace
