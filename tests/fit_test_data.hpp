// Shared by the tests of the fitters of measured data (test_fit*.cpp):
// synthetic VFT datasets, and model_fit results in vft_fit's form.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fit_batch.hpp"
#include "scaleham/vft.hpp"

namespace fit_testing {

using scaleham::fit_dataset;
using scaleham::status;
using scaleham::vft_fit;

struct truth {
  double a, B, T_vf;
};

inline fit_dataset vft_data(const truth& t, std::vector<double> T, double noise = 0, std::uint64_t seed = 0,
                     const char* name = "synthetic") {
  fit_dataset d{name, std::move(T), {}, {}, {}};
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (double temperature : d.T) d.y.push_back(t.a + t.B / (temperature - t.T_vf) + noise * normal(generator));
  return d;
}

inline std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = lo + (hi - lo) * i / (n - 1);
  return v;
}

/// A model_fit of the VFT law back in vft_fit's form (D and the correlation
/// from the parameters and covariance), for the checks written for fit_vft.
inline vft_fit<double> as_vft(const scaleham::model_fit<double>& f) {
  vft_fit<double> v;
  v.a = f.p[0], v.B = f.p[1], v.T_vf = f.p[2];
  v.a_stderr = f.stderr_[0], v.B_stderr = f.stderr_[1], v.T_vf_stderr = f.stderr_[2];
  v.cov_a_B = f.cov01, v.cov_a_T_vf = f.cov02, v.cov_B_T_vf = f.cov12;
  v.B_T_vf_correlation = f.correlation12;
  v.rms = f.rms, v.D = f.p[1] / f.p[2], v.Tg = f.Tg, v.m = f.m;
  v.iterations = f.iterations, v.n_points = f.n_points, v.code = f.code;
  return v;
}

/// VFT fits of every dataset and its replicas by the batched CPU backend.
inline std::vector<vft_fit<double>> vft_batch(const std::vector<fit_dataset>& sets, std::uint64_t replicas,
                                       std::uint64_t seed, const scaleham::vft_options<double>& options = {}) {
  scaleham::model_options<double> o;
  o.base = options;
  std::vector<vft_fit<double>> out;
  for (const auto& f : scaleham::fit_datasets_cpu(sets, scaleham::relaxation_model::vft, replicas, seed, o))
    out.push_back(as_vft(f));
  return out;
}

inline vft_fit<double> fit(const fit_dataset& d, const scaleham::vft_options<double>& options = {}) {
  return scaleham::fit_vft(scaleham::array_rows<double>{d.T.data(), d.y.data(), int(d.T.size())}, options);
}

inline double relative(double value, double expected) { return std::fabs(value - expected) / std::fabs(expected); }

inline bool all_finite(const vft_fit<double>& f) {
  for (double v : {f.a, f.B, f.T_vf, f.a_stderr, f.B_stderr, f.T_vf_stderr, f.cov_a_B, f.cov_a_T_vf, f.cov_B_T_vf,
                   f.B_T_vf_correlation, f.rms, f.D, f.Tg, f.m})
    if (!std::isfinite(v)) return false;
  return true;
}


}  // namespace fit_testing
