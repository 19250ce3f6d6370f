// The paper ensemble of bench_gpu (and of the peer scripts in benchmarks/peers/)
// and the plain flow kernel that times it: plain C++, no CUDA types, so
// bench_gpu.cpp compiles with the host compiler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scaleham/config.hpp"

namespace scaleham::bench {

/// The paper's model β = λ g, F = A / g over λ ∈ [0.05, 0.15] × A ∈ [25, 75],
/// g0 = 100, p0 on the manifold (p0 = −A/(λ g0²)), S0 = 0, ℓ from 0 to −10.
/// Trajectory k of an ensemble of n: A varies fastest over `paper_ensemble_A`
/// values, λ over ceil(n / that) values (a linspace each, both ends included).
/// The peers (benchmarks/peers/*.py) generate the same ensemble.
inline constexpr double paper_lambda_lo = 0.05, paper_lambda_hi = 0.15;
inline constexpr double paper_A_lo = 25.0, paper_A_hi = 75.0;
inline constexpr double paper_g0 = 100.0, paper_ell = -10.0;
inline constexpr std::uint64_t paper_ensemble_A = 1000;

enum class flow_method { rk4, dopri5 };

struct flow_request {
  flow_method method = flow_method::rk4;
  bool fp64 = true;
  std::uint64_t n = 1000000;  ///< trajectories
  int rk4_steps = 1000;
  double rtol = 1e-8, atol = 1e-10;  ///< DOPRI5 (scaleham's defaults)
  int repeats = 5;                   ///< timed launches after one warm-up launch
  int device = 0;
};

struct flow_timing {
  std::string error;             ///< non-empty when a CUDA call failed (the rest is then unset)
  std::vector<double> seconds;   ///< kernel time of each timed launch (CUDA events)
  double mean_steps = 0;         ///< accepted steps per trajectory
  double mean_attempts = 0;      ///< accepted + rejected
  std::uint64_t not_ok = 0;      ///< trajectories whose status is not `ok`
  double max_rel_err_g = 0, max_rel_err_p = 0, max_rel_err_S = 0;  ///< vs the closed form
  int registers = 0;             ///< per thread, of the kernel as loaded (cudaFuncGetAttributes)
  int local_bytes = 0;           ///< local memory per thread (spills, arrays)
  int threads_per_block = 0;
};

/// Integrates the ensemble on the GPU with the core's integrate_rk4 /
/// integrate_dopri5 (one thread per trajectory, end state to device memory),
/// times `repeats` launches after a warm-up and checks the end states once
/// against the closed form g = g0 e^{λℓ}, p = −A/(λ g²), S = A/(λ g) − A/(λ g0).
flow_timing time_paper_flow(const flow_request& request);

/// λ and A of trajectory k of an ensemble of n (host and device use the same formula).
SCALEHAM_HD inline void paper_point(std::uint64_t n, std::uint64_t k, double& lambda, double& A) {
  const std::uint64_t n_A = n < paper_ensemble_A ? n : paper_ensemble_A;
  const std::uint64_t n_lambda = (n + n_A - 1) / n_A;
  const std::uint64_t i = k / n_A, j = k % n_A;
  lambda = n_lambda > 1 ? paper_lambda_lo + (paper_lambda_hi - paper_lambda_lo) *
                                                (double(i) / double(n_lambda - 1))
                        : paper_lambda_lo;
  A = n_A > 1 ? paper_A_lo + (paper_A_hi - paper_A_lo) * (double(j) / double(n_A - 1)) : paper_A_lo;
}

}  // namespace scaleham::bench
