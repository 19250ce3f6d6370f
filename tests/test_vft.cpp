// The VFT fitter of the core, and the relaxation-time curve of a grid point.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "paper_closed_form.hpp"
#include "scaleham/point.hpp"
#include "equivalence.hpp"
#include "scaleham/vft.hpp"
#include "vft_reference.hpp"

namespace {

using scaleham::array_rows;
using scaleham::status;
using scaleham::testing::relative_error;

struct table {
  std::vector<double> T, y;
  array_rows<double> rows() const { return {T.data(), y.data(), int(T.size())}; }
};

table vft_data(double a, double B, double T_vf, double T_lo, double T_hi, int n) {
  table t;
  for (int i = 0; i < n; ++i) {
    const double T = T_lo + (T_hi - T_lo) * i / (n - 1);
    t.T.push_back(T);
    t.y.push_back(scaleham::vft_log_tau(a, B, T_vf, T));
  }
  return t;
}

TEST(Vft, ExactDataIsRecoveredToRoundingAcrossFragilities) {
  // Strong (B/T_vf large) to fragile (T_vf close to the data) liquids.
  for (auto [B, T_vf] : {std::pair{3000.0, 100.0}, std::pair{500.0, 400.0},
                         std::pair{1500.0, 250.0}, std::pair{200.0, 410.0}}) {
    const table t = vft_data(-30.0, B, T_vf, 420.0, 700.0, 32);
    const auto fit = scaleham::fit_vft(t.rows());
    ASSERT_EQ(fit.code, status::ok) << B << " " << T_vf;
    EXPECT_LE(relative_error(fit.B, B), 1e-9) << B << " " << T_vf;
    EXPECT_LE(relative_error(fit.T_vf, T_vf), 1e-9) << B << " " << T_vf;
    EXPECT_LE(relative_error(fit.a, -30.0), 1e-9) << B << " " << T_vf;
    EXPECT_LT(fit.rms, 1e-10);
  }
}

TEST(Vft, DerivedQuantitiesFollowTheirDefinitions) {
  const table t = vft_data(-30.0, 500.0, 400.0, 420.0, 700.0, 16);
  const auto fit = scaleham::fit_vft(t.rows());
  ASSERT_EQ(fit.code, status::ok);
  EXPECT_NEAR(fit.D, 500.0 / 400.0, 1e-9);
  // ln τ(Tg) = ln 100 s.
  EXPECT_NEAR(scaleham::vft_log_tau(fit.a, fit.B, fit.T_vf, fit.Tg), std::log(100.0), 1e-9);
  EXPECT_NEAR(fit.m, fit.B * fit.Tg / (std::log(10.0) * std::pow(fit.Tg - fit.T_vf, 2)), 1e-9);
  // B and T_vf are strongly (anti)correlated for VFT data.
  EXPECT_LT(fit.B_T_vf_correlation, -0.9);
}

TEST(Vft, CovarianceMatchesTheInverseNormalMatrix) {
  // Independent check: s² (JᵀJ)⁻¹ by Cramer's rule in long double.
  table t = vft_data(-25.0, 800.0, 300.0, 350.0, 600.0, 20);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (double& y : t.y) y += noise(rng);
  const auto fit = scaleham::fit_vft(t.rows());
  ASSERT_EQ(fit.code, status::ok);
  long double M[3][3] = {}, sse = 0;
  for (std::size_t i = 0; i < t.T.size(); ++i) {
    const long double x = 1.0L / (t.T[i] - fit.T_vf);
    const long double J[3] = {1.0L, x, fit.B * x * x};
    const long double r = fit.a + fit.B * x - t.y[i];
    sse += r * r;
    for (int p = 0; p < 3; ++p)
      for (int q = 0; q < 3; ++q) M[p][q] += J[p] * J[q];
  }
  const long double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                          M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                          M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
  const long double s2 = sse / (t.T.size() - 3);
  const long double var_B = s2 * (M[0][0] * M[2][2] - M[0][2] * M[2][0]) / det;
  const long double var_T = s2 * (M[0][0] * M[1][1] - M[0][1] * M[1][0]) / det;
  EXPECT_LE(relative_error(fit.B_stderr, std::sqrt(double(var_B))), 1e-6);
  EXPECT_LE(relative_error(fit.T_vf_stderr, std::sqrt(double(var_T))), 1e-6);
}

TEST(Vft, NearlyArrheniusDataEndOnTheLowerBound) {
  // Curved the "wrong" way (the unbounded optimum is T_vf = −100 K), as
  // nearly Arrhenius melts can be: the best fit within T_vf >= 0 is Arrhenius.
  table t;
  for (int i = 0; i < 20; ++i) {
    t.T.push_back(1000.0 + 30.0 * i);
    t.y.push_back(-20.0 + 40000.0 / (t.T.back() + 100.0));
  }
  const auto fit = scaleham::fit_vft(t.rows());
  EXPECT_EQ(fit.code, status::at_bound);
  EXPECT_EQ(fit.T_vf, 0.0);
  EXPECT_GT(fit.T_vf_stderr, 0.0);  // every parameter free in the covariance, also on the bound
  EXPECT_GT(fit.B, 0.0);
  EXPECT_GT(fit.rms, 0.0);
  EXPECT_TRUE(scaleham::succeeded(fit.code));
  EXPECT_TRUE(std::isinf(fit.D));  // D = B / T_vf → ∞: the strong limit
}

TEST(Vft, UnorderedRowsGiveTheSameFit) {
  table t = vft_data(-30.0, 700.0, 350.0, 380.0, 650.0, 25);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (double& y : t.y) y += noise(rng);
  table shuffled = t;
  for (std::size_t i = 0; i < t.T.size(); ++i) {
    const std::size_t j = (i * 7) % t.T.size();
    shuffled.T[i] = t.T[j], shuffled.y[i] = t.y[j];
  }
  const auto a = scaleham::fit_vft(t.rows()), b = scaleham::fit_vft(shuffled.rows());
  ASSERT_EQ(a.code, status::ok);
  ASSERT_EQ(b.code, status::ok);
  EXPECT_LE(relative_error(a.B, b.B), 1e-9);
  EXPECT_LE(relative_error(a.T_vf, b.T_vf), 1e-9);
}

TEST(Vft, HardInputsEndInAStatusNotNaNResults) {
  table few = vft_data(-30.0, 500.0, 400.0, 420.0, 700.0, 3);
  EXPECT_EQ(scaleham::fit_vft(few.rows()).code, status::too_few_points);
  table flat;
  for (int i = 0; i < 10; ++i) flat.T.push_back(500.0 + i), flat.y.push_back(1.0);
  const auto f = scaleham::fit_vft(flat.rows());
  EXPECT_FALSE(f.code == status::ok) << scaleham::status_name(f.code);
  table falling;  // τ shrinks on cooling: no VFT with B > 0
  for (int i = 0; i < 10; ++i) falling.T.push_back(500.0 + 10 * i), falling.y.push_back(0.01 * i);
  EXPECT_EQ(scaleham::fit_vft(falling.rows()).code, status::no_vft_minimum);
  table same_T;  // two distinct temperatures only
  for (int i = 0; i < 8; ++i) same_T.T.push_back(i % 2 ? 500.0 : 600.0), same_T.y.push_back(i % 2 ? 3.0 : 1.0);
  const auto s = scaleham::fit_vft(same_T.rows());
  EXPECT_EQ(s.code, status::too_few_points);
  table bad = vft_data(-30.0, 500.0, 400.0, 420.0, 700.0, 8);
  bad.T[2] = -5.0;
  EXPECT_EQ(scaleham::fit_vft(bad.rows()).code, status::non_finite);
  // Whatever the status, a successful one comes with finite numbers.
  for (const auto& fit : {f, s}) {
    if (scaleham::succeeded(fit.code)) {
      EXPECT_TRUE(std::isfinite(fit.B) && std::isfinite(fit.a));
    }
  }
}

TEST(Vft, FourPointsAreEnough) {
  const table t = vft_data(-30.0, 500.0, 400.0, 420.0, 700.0, 4);
  const auto fit = scaleham::fit_vft(t.rows());
  ASSERT_EQ(fit.code, status::ok);
  EXPECT_LE(relative_error(fit.B, 500.0), 1e-8);
}

TEST(Vft, FloatPrecisionFit) {
  std::vector<float> T, y;
  for (int i = 0; i < 32; ++i) {
    T.push_back(420.0f + 280.0f * i / 31);
    y.push_back(float(scaleham::vft_log_tau(-30.0, 500.0, 400.0, double(T.back()))));
  }
  const auto fit = scaleham::fit_vft(array_rows<float>{T.data(), y.data(), 32});
  ASSERT_TRUE(scaleham::succeeded(fit.code));
  EXPECT_LE(relative_error(fit.B, 500.0), 1e-3);
  EXPECT_LE(relative_error(fit.T_vf, 400.0), 1e-3);
}

TEST(Bootstrap, ReplicasAreReproducibleAndResample) {
  const table t = vft_data(-30.0, 500.0, 400.0, 420.0, 700.0, 16);
  const scaleham::bootstrap_rows<array_rows<double>> r1{t.rows(), 42, 1}, r1_again{t.rows(), 42, 1},
      r2{t.rows(), 42, 2};
  int same = 0, repeated = 0;
  std::vector<int> used(16, 0);
  for (int i = 0; i < 16; ++i) {
    double T1, y1, T1b, y1b, T2, y2;
    r1.row(i, T1, y1);
    r1_again.row(i, T1b, y1b);
    r2.row(i, T2, y2);
    EXPECT_EQ(T1, T1b);
    same += T1 == T2;
    for (int k = 0; k < 16; ++k)
      if (t.T[k] == T1) repeated += used[k]++ > 0;
  }
  EXPECT_LT(same, 8);     // another replica draws other rows
  EXPECT_GT(repeated, 0);  // with replacement
}

// --- The per-point relaxation curve and its fit --------------------------------

double params_for(double* p, double lambda, double A, double T0, double c) {
  for (int s = 0; s < scaleham::param_count; ++s) p[s] = 0.0;
  p[scaleham::param_b1] = lambda;
  p[scaleham::param_f_m1] = A;
  p[scaleham::param_g0] = 100.0;
  p[scaleham::param_ell] = -5.0;
  p[scaleham::param_T0] = T0;
  p[scaleham::param_c] = c;
  return A / (lambda * c);  // the paper's B
}

TEST(PointFit, PaperModelGivesExactVftAcrossASweep) {
  scaleham::point_settings<double> s;
  s.relaxation.n_T = 24;
  double p[scaleham::param_count];
  for (double lambda : {0.05, 0.1, 0.2})
    for (double A : {20.0, 50.0, 90.0})
      for (double T0 : {300.0, 400.0}) {
        const double B = params_for(p, lambda, A, T0, 1.5);
        double curve[scaleham::max_curve_points];
        const auto r = scaleham::evaluate_point(p, s, curve);
        ASSERT_EQ(r.curve_status, status::ok);
        ASSERT_EQ(r.fit.code, status::ok) << scaleham::status_name(r.fit.code);
        EXPECT_LE(relative_error(r.fit.B, B), 1e-9) << lambda << " " << A << " " << T0;
        EXPECT_LE(relative_error(r.fit.T_vf, T0), 1e-9) << lambda << " " << A << " " << T0;
        EXPECT_LE(std::fabs(r.B_rel_err), 1e-9);
        const double g_ref = 1.5 * (s.relaxation.T_ref - T0);
        EXPECT_NEAR(r.fit.a, s.relaxation.log_tau0 - A / (lambda * g_ref), 1e-8);
        // The curve itself: ln τ0 + A/(λ g) − A/(λ g_ref).
        for (int j = 0; j < s.relaxation.n_T; ++j) {
          const double g = 1.5 * (s.relaxation.temperature(j) - T0);
          EXPECT_NEAR(curve[j], s.relaxation.log_tau0 + A / (lambda * g) - A / (lambda * g_ref), 1e-9);
        }
      }
}

TEST(PointFit, FastFitterMatchesTheOldOneOnSweepCurves) {
  // The per-point fit (32- and 64-temperature curves of the paper's model and
  // of nonlinear β, exact to the quadrature and not VFT at all) against the
  // fitter before issue 10 (tests/vft_reference.hpp), in double and float:
  // the same status, and the numbers within docs/numerics.md §6 for the same
  // rows (tests/equivalence.hpp).
  double p[scaleham::param_count];
  int compared = 0;
  for (int n_T : {32, 64})
    for (double b2 : {0.0, 1e-3, 1e-2})
      for (double lambda : {0.05, 0.2})
        for (double A : {20.0, 90.0})
          for (double T0 : {100.0, 300.0, 410.0}) {
            scaleham::point_settings<double> s;
            s.relaxation.n_T = n_T;
            params_for(p, lambda, A, T0, 1.5);
            p[scaleham::param_b2] = b2;
            double curve[scaleham::max_curve_points];
            const auto r = scaleham::evaluate_point(p, s, curve);
            if (!scaleham::succeeded(r.curve_status)) continue;
            std::vector<double> T(n_T);
            double y_max = 0;
            for (int j = 0; j < n_T; ++j) T[j] = s.relaxation.temperature(j), y_max = std::max(y_max, std::fabs(curve[j]));
            const array_rows<double> rows{T.data(), curve, n_T};
            const auto old = scaleham::reference::fit_vft(rows, s.relaxation.fit);
            EXPECT_TRUE(scaleham::testing::equivalent(r.fit, old, y_max, T[0]))
                << n_T << " " << b2 << " " << lambda << " " << A << " " << T0;
            std::vector<float> Tf(T.begin(), T.end()), yf(curve, curve + n_T);
            const array_rows<float> rows_f{Tf.data(), yf.data(), n_T};
            const auto got_f = scaleham::fit_vft(rows_f), old_f = scaleham::reference::fit_vft(rows_f);
            EXPECT_TRUE(scaleham::testing::equivalent(got_f, old_f, y_max, T[0]))
                << "float " << n_T << " " << b2 << " " << lambda << " " << A << " " << T0;
            ++compared;
          }
  EXPECT_GT(compared, 60);
}

TEST(PointFit, PapersWorkedExampleDT0IsAOverLambda) {
  // D·T0 ≈ 500 K with λ = 0.1 → A = 50 K (c = 1: g in kelvin).
  scaleham::point_settings<double> s;
  double p[scaleham::param_count];
  params_for(p, 0.1, 50.0, 400.0, 1.0);
  const auto r = scaleham::evaluate_point(p, s);
  ASSERT_EQ(r.fit.code, status::ok);
  EXPECT_NEAR(r.fit.D * r.fit.T_vf, 50.0 / 0.1, 1e-6);
}

TEST(PointFit, NonlinearBetaDepartsFromVft) {
  // β = λg + b2 g²: the action is no longer A/(λg) and the fit shows it.
  scaleham::point_settings<double> s;
  double p[scaleham::param_count];
  params_for(p, 0.1, 50.0, 400.0, 1.0);
  double previous = 0.0;
  for (double b2 : {1e-4, 1e-3, 1e-2}) {
    p[scaleham::param_b2] = b2;
    const auto r = scaleham::evaluate_point(p, s);
    ASSERT_TRUE(scaleham::succeeded(r.fit.code)) << scaleham::status_name(r.fit.code);
    EXPECT_GT(std::fabs(r.B_rel_err), previous) << b2;  // grows with the nonlinearity
    EXPECT_GT(r.fit.rms, 1e-8);
    previous = std::fabs(r.B_rel_err);
  }
}

TEST(PointFit, TemperaturesBelowT0GiveACurveStatus) {
  scaleham::point_settings<double> s;
  double p[scaleham::param_count];
  params_for(p, 0.1, 50.0, 500.0, 1.0);  // T0 = 500 K inside the grid 420..700 K
  const auto r = scaleham::evaluate_point(p, s);
  EXPECT_EQ(r.curve_status, status::singular_integrand);
  EXPECT_EQ(r.fit.code, status::singular_integrand);
  EXPECT_TRUE(std::isnan(r.fit.B));
}

}  // namespace
