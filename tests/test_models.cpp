// The four laws of relaxation_models.hpp and their weighted fit: exact data
// recovered, Tg and m where their definitions put them, the Arrhenius limit on
// every lower bound, weights that behave as 1/σ, the weighted Arrhenius fit
// against its normal equations, and unit weights against fit_vft.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "scaleham/relaxation_models.hpp"

namespace {

using scaleham::model_fit;
using scaleham::relaxation_model;
using scaleham::status;

struct data {
  std::vector<double> T, y, w;
  scaleham::weighted_rows<double> rows() const {
    return {T.data(), y.data(), w.empty() ? nullptr : w.data(), int(T.size())};
  }
};

data law_data(relaxation_model m, const double p[3], double T_lo, double T_hi, int n, double noise = 0,
              unsigned seed = 1) {
  data d;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  for (int i = 0; i < n; ++i) {
    d.T.push_back(T_lo + (T_hi - T_lo) * i / (n - 1));
    d.y.push_back(scaleham::model_log_y(m, d.T.back(), p) + noise * normal(rng));
  }
  return d;
}

double relative(double got, double want) { return std::fabs(got - want) / std::fabs(want); }

struct law_case {
  relaxation_model model;
  double p[3];
};

// Melts of the viscosity literature's sizes: ln η from about −5 to 30 over the range.
const law_case laws[] = {
    {relaxation_model::vft, {-10.0, 9000.0, 700.0}},
    {relaxation_model::myega, {-4.0, 800.0, 3700.0}},
    {relaxation_model::avramov_milchev, {-2.5, 2000.0, 4.8}},
    {relaxation_model::arrhenius, {-30.0, 60000.0, std::nan("")}},
};

TEST(Models, ExactDataOfEveryLawAreRecovered) {
  for (const law_case& c : laws) {
    const data d = law_data(c.model, c.p, 1000, 1700, 30);
    const model_fit<double> f = scaleham::fit_model(d.rows(), c.model, {});
    ASSERT_EQ(f.code, status::ok) << scaleham::model_name(c.model);
    for (int j = 0; j < scaleham::model_parameter_count(c.model); ++j)
      EXPECT_LT(relative(f.p[j], c.p[j]), 1e-8) << scaleham::model_name(c.model) << " p" << j;
    EXPECT_LT(f.rms, 1e-10);
  }
}

TEST(Models, TgIsWhereTheLawReachesTheLevelAndMItsSlopeThere) {
  const double level = std::log(1e12);
  for (const law_case& c : laws) {
    const double Tg = scaleham::model_temperature_at(c.model, c.p, level);
    ASSERT_TRUE(std::isfinite(Tg)) << scaleham::model_name(c.model);
    EXPECT_NEAR(scaleham::model_log_y(c.model, Tg, c.p), level, 1e-12 * level);
    // m = d log10 y / d(Tg/T) at T = Tg, by a central difference in x = Tg/T.
    double slope = 0;
    scaleham::model_term(c.model, Tg, c.p, &slope);
    const double h = 1e-5;
    const double up = scaleham::model_log_y(c.model, Tg / (1 + h), c.p);
    const double down = scaleham::model_log_y(c.model, Tg / (1 - h), c.p);
    const double m_difference = (up - down) / (2 * h) / std::log(10.0);
    EXPECT_LT(relative(slope / std::log(10.0), m_difference), 1e-7) << scaleham::model_name(c.model);
  }
  const double below[3] = {30.0, 1000.0, 2.0};  // a above the level: never reached
  EXPECT_TRUE(std::isnan(scaleham::model_temperature_at(relaxation_model::myega, below, level)));
}

TEST(Models, OnTheLowerBoundEveryLawIsTheArrheniusFit) {
  // Arrhenius data bent the way no law allows (the unbounded optimum is past
  // the bound): VFT (T_vf = 0), MYEGA (C = 0), Avramov–Milchev (α = 1) all
  // end at_bound with the Arrhenius fit itself.
  const double p[3] = {-20.0, 45000.0, 0.0};
  data d = law_data(relaxation_model::arrhenius, p, 1000, 1700, 25);
  for (std::size_t i = 0; i < d.T.size(); ++i) d.y[i] -= 2e-2 * std::pow((d.T[i] - 1350) / 350, 2);
  const model_fit<double> arrhenius = scaleham::fit_model(d.rows(), relaxation_model::arrhenius, {});
  ASSERT_EQ(arrhenius.code, status::ok);
  for (relaxation_model m : {relaxation_model::vft, relaxation_model::myega, relaxation_model::avramov_milchev}) {
    const model_fit<double> f = scaleham::fit_model(d.rows(), m, {});
    EXPECT_EQ(f.code, status::at_bound) << scaleham::model_name(m);
    EXPECT_EQ(f.p[2], m == relaxation_model::avramov_milchev ? 1.0 : 0.0);
    EXPECT_LT(relative(f.p[1], arrhenius.p[1]), 1e-12) << scaleham::model_name(m);
    EXPECT_LT(relative(f.p[0], arrhenius.p[0]), 1e-12);
    EXPECT_LT(relative(f.chi2, arrhenius.chi2), 1e-9);
    EXPECT_GT(f.stderr_[2], 0.0);  // the curvature along the bounded parameter, every parameter free
    EXPECT_NEAR(f.aic - arrhenius.aic, 2.0, 1e-6) << "one parameter more, the same χ²";
  }
}

TEST(Models, WeightedArrheniusIsTheWeightedLinearLeastSquaresSolution) {
  const double p[3] = {-25.0, 50000.0, 0.0};
  data d = law_data(relaxation_model::arrhenius, p, 900, 1500, 20, 0.05, 3);
  for (std::size_t i = 0; i < d.T.size(); ++i) d.w.push_back(1.0 / (0.02 + 0.01 * (i % 5)));
  scaleham::model_options<double> absolute;
  absolute.absolute_sigma = true;
  const model_fit<double> f = scaleham::fit_model(d.rows(), relaxation_model::arrhenius, absolute);
  ASSERT_EQ(f.code, status::ok);
  // Normal equations of Σ w² (a + E x − y)², x = 1/T, by hand.
  double s = 0, sx = 0, sxx = 0, sy = 0, sxy = 0;
  for (std::size_t i = 0; i < d.T.size(); ++i) {
    const double w2 = d.w[i] * d.w[i], x = 1 / d.T[i];
    s += w2, sx += w2 * x, sxx += w2 * x * x, sy += w2 * d.y[i], sxy += w2 * x * d.y[i];
  }
  const double det = s * sxx - sx * sx;
  const double E = (s * sxy - sx * sy) / det, a = (sxx * sy - sx * sxy) / det;
  EXPECT_LT(relative(f.p[1], E), 1e-9);
  EXPECT_LT(relative(f.p[0], a), 1e-9);
  // Known σ: the covariance is (JᵀWJ)⁻¹ itself.
  EXPECT_LT(relative(f.stderr_[1], std::sqrt(s / det)), 1e-9);
  EXPECT_LT(relative(f.stderr_[0], std::sqrt(sxx / det)), 1e-9);
  double chi2 = 0;
  for (std::size_t i = 0; i < d.T.size(); ++i) chi2 += std::pow(d.w[i] * (a + E / d.T[i] - d.y[i]), 2);
  EXPECT_LT(relative(f.chi2, chi2), 1e-9);
  EXPECT_LT(relative(f.aic, 20 * std::log(chi2 / 20) + 4), 1e-9);
  EXPECT_LT(relative(f.bic, 20 * std::log(chi2 / 20) + 2 * std::log(20.0)), 1e-9);
}

TEST(Models, WeightsActAsOneOverSigma) {
  // Every σ k times larger: the same parameters, χ²/k², known-σ errors × k,
  // and relative-σ errors (rescaled by χ²/dof) unchanged.
  for (const law_case& c : laws) {
    data d = law_data(c.model, c.p, 1000, 1700, 25, 0.03, 5);
    for (std::size_t i = 0; i < d.T.size(); ++i) d.w.push_back(1.0 / (0.03 + 0.002 * i));
    data wider = d;
    for (double& w : wider.w) w /= 4;
    for (bool absolute : {true, false}) {
      scaleham::model_options<double> o;
      o.absolute_sigma = absolute;
      const model_fit<double> f = scaleham::fit_model(d.rows(), c.model, o);
      const model_fit<double> g = scaleham::fit_model(wider.rows(), c.model, o);
      ASSERT_EQ(f.code, status::ok) << scaleham::model_name(c.model);
      ASSERT_EQ(g.code, status::ok);
      for (int j = 0; j < scaleham::model_parameter_count(c.model); ++j) {
        EXPECT_LT(relative(g.p[j], f.p[j]), 1e-7) << scaleham::model_name(c.model) << j;
        EXPECT_LT(relative(g.stderr_[j], absolute ? 4 * f.stderr_[j] : f.stderr_[j]), 1e-6);
      }
      EXPECT_LT(relative(g.chi2, f.chi2 / 16), 1e-9);
    }
  }
}

TEST(Models, UnitWeightsAgreeWithTheSweepsVftFitter) {
  // The same least-squares problem by two solvers (fit_vft: centred sums or
  // QR; fit_model: QR of the weighted Jacobian) on noisy data.
  const double p[3] = {std::log(1e-14), 2000.0, 200.0};
  for (unsigned seed = 0; seed < 20; ++seed) {
    data d = law_data(relaxation_model::vft, p, 250, 400, 20 + seed, 0.05, seed);
    const auto v = scaleham::fit_vft(d.rows());
    d.w.assign(d.T.size(), 1.0);
    const model_fit<double> f = scaleham::fit_model(d.rows(), relaxation_model::vft, {});
    ASSERT_EQ(v.code, f.code) << seed;
    if (!scaleham::succeeded(v.code)) continue;
    EXPECT_LT(relative(f.p[1], v.B), 1e-6) << seed;
    EXPECT_LT(relative(f.p[2], v.T_vf), 1e-6) << seed;
    EXPECT_LT(relative(f.stderr_[1], v.B_stderr), 1e-5) << seed;
    EXPECT_LT(relative(f.rms, v.rms), 1e-9) << seed;
  }
}

TEST(Models, BadRowsEndInAStatus) {
  const double p[3] = {-4.0, 800.0, 3700.0};
  data d = law_data(relaxation_model::myega, p, 1000, 1700, 10);
  d.w.assign(d.T.size(), 1.0);
  d.w[3] = 0;  // σ = ∞ is no weight the fit takes
  EXPECT_EQ(scaleham::fit_model(d.rows(), relaxation_model::myega, {}).code, status::non_finite);
  data three = law_data(relaxation_model::myega, p, 1000, 1700, 3);
  EXPECT_EQ(scaleham::fit_model(three.rows(), relaxation_model::myega, {}).code, status::too_few_points);
  data falling;  // y rises on heating: no law with a positive amplitude fits
  for (int i = 0; i < 10; ++i) falling.T.push_back(1000 + 50 * i), falling.y.push_back(0.01 * i);
  for (const law_case& c : laws) {
    const status code = scaleham::fit_model(falling.rows(), c.model, {}).code;
    EXPECT_TRUE(code == status::no_vft_minimum) << scaleham::model_name(c.model) << " " << scaleham::status_name(code);
  }
}

}  // namespace
