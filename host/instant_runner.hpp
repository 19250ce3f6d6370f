// The producer of benchmark mode (run_options::instant_producer, used by
// benchmarks/bench_writer.cpp): batches ready at once, so a run measures the
// writer path alone. Private to the driver.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu_backend.hpp"
#include "scaleham/point.hpp"

namespace scaleham {

/// The producer of benchmark mode (run_options::instant_producer): the runner
/// interface, batches ready at once. Its one buffer holds min(capacity, 1024)
/// real points of the grid, computed once, and copies of them whose real
/// values are scaled by 1 + d, |d| < 2^-16, from a hash of the index: their
/// low mantissa bits vary from point to point as in real results, so they
/// compress about as real results do (not as a repeated pattern would).
template <class Real>
class instant_runner {
 public:
  instant_runner(const sweep_spec<Real>& spec, std::uint64_t capacity, bool write_curves) {
    const std::uint64_t n_T =
        write_curves && spec.settings.relaxation.enabled ? std::uint64_t(spec.settings.relaxation.n_T) : 0;
    const std::uint64_t pool = std::min<std::uint64_t>({capacity, 1024, spec.grid.size()});
    results_.resize(capacity);
    curves_.resize(capacity * n_T);
    evaluate_points(spec, 0, pool, results_.data(), n_T > 0 ? curves_.data() : nullptr);
    for (std::uint64_t i = pool; i < capacity; ++i) {
      std::uint64_t h = i * 0x9E3779B97F4A7C15ull;
      h = (h ^ (h >> 31)) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 29;
      const Real f = Real(1) + (Real(double(h >> 11) * 0x1p-53) - Real(0.5)) * Real(0x1p-15);
      point_result<Real>& r = results_[i];
      r = results_[i % pool];
      for (Real* v : {&r.g, &r.p, &r.S, &r.ell, &r.h_drift, &r.p0, &r.action, &r.action_error, &r.hj_consistency,
                      &r.B_rel_err, &r.fit.a, &r.fit.B, &r.fit.T_vf, &r.fit.a_stderr, &r.fit.B_stderr,
                      &r.fit.T_vf_stderr, &r.fit.B_T_vf_correlation, &r.fit.rms, &r.fit.D, &r.fit.Tg, &r.fit.m})
        *v *= f;
      for (std::uint64_t j = 0; j < n_T; ++j) curves_[i * n_T + j] = curves_[(i % pool) * n_T + j] * f;
    }
  }
  void start(int, std::uint64_t, std::uint64_t) {}
  const point_result<Real>* finish(int) { return results_.data(); }
  const Real* curves(int) const { return curves_.empty() ? nullptr : curves_.data(); }

 private:
  std::vector<point_result<Real>> results_;
  std::vector<Real> curves_;
};

}  // namespace scaleham
