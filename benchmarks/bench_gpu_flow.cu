// The plain flow kernel of bench_gpu: the paper ensemble integrated with the
// core's steppers, one thread per trajectory, nothing else (no HJ action, no
// result copy to the host inside the timed region). What the peers
// (benchmarks/peers/*.py) time is the same work.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_gpu_flow.hpp"
#include "scaleham/flow.hpp"
#include "scaleham/model.hpp"
#include "scaleham/status.hpp"
#include "scaleham/steppers.hpp"

namespace scaleham::bench {

namespace {

constexpr int block_size = 128;

struct cuda_failure {
  std::string what;
};

void check(cudaError_t code, const char* call) {
  if (code != cudaSuccess)
    throw cuda_failure{std::string(call) + ": " + cudaGetErrorName(code) + ": " + cudaGetErrorString(code)};
}
#define BENCH_CUDA(call) check((call), #call)

template <class T>
struct device_array {
  T* p = nullptr;
  explicit device_array(std::uint64_t n) { BENCH_CUDA(cudaMalloc(&p, std::max<std::uint64_t>(n, 1) * sizeof(T))); }
  ~device_array() { cudaFree(p); }
  device_array(const device_array&) = delete;
  device_array& operator=(const device_array&) = delete;
};

struct event {
  cudaEvent_t e = nullptr;
  event() { BENCH_CUDA(cudaEventCreate(&e)); }
  ~event() { cudaEventDestroy(e); }
  event(const event&) = delete;
  event& operator=(const event&) = delete;
};

/// Trajectory i of the ensemble: parameters generated in double (as the peers
/// do), converted to Real, then the core's own integrator.
template <class Real, flow_method Method>
__global__ void __launch_bounds__(block_size)
    paper_flow(std::uint64_t n, int rk4_steps, dopri5_options<Real> options, Real* g, Real* p,
               Real* S, std::int32_t* steps, std::int32_t* attempts, std::uint8_t* code) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    double lambda, A;
    paper_point(n, i, lambda, A);
    const model<Real> m = paper_model<Real>(Real(lambda), Real(A));
    const Real g0 = Real(paper_g0);
    const phase_point<Real> y0{g0, on_manifold_momentum(m, g0), Real(0)};
    const path_result<Real> r = Method == flow_method::rk4
                                    ? integrate_rk4(m, y0, Real(paper_ell), rk4_steps)
                                    : integrate_dopri5(m, y0, Real(paper_ell), options);
    g[i] = r.end.g;
    p[i] = r.end.p;
    S[i] = r.end.S;
    steps[i] = r.steps;
    attempts[i] = r.steps + r.rejected;
    code[i] = static_cast<std::uint8_t>(r.code);
  }
}

template <class Real, flow_method Method>
flow_timing run(const flow_request& q) {
  flow_timing t;
  BENCH_CUDA(cudaSetDevice(q.device));
  const std::uint64_t n = q.n;
  device_array<Real> g(n), p(n), S(n);
  device_array<std::int32_t> steps(n), attempts(n);
  device_array<std::uint8_t> code(n);
  dopri5_options<Real> options;
  options.rtol = Real(q.rtol);
  options.atol = Real(q.atol);

  cudaFuncAttributes attributes{};
  BENCH_CUDA(cudaFuncGetAttributes(&attributes, paper_flow<Real, Method>));
  t.registers = attributes.numRegs;
  t.local_bytes = static_cast<int>(attributes.localSizeBytes);
  t.threads_per_block = block_size;
  // One thread per trajectory (up to 2^31 − 1 blocks; the loop covers the rest).
  const std::uint64_t blocks = std::min<std::uint64_t>((n + block_size - 1) / block_size, 0x7fffffffu);
  auto launch = [&] {
    paper_flow<Real, Method><<<static_cast<unsigned>(std::max<std::uint64_t>(blocks, 1)), block_size>>>(
        n, q.rk4_steps, options, g.p, p.p, S.p, steps.p, attempts.p, code.p);
    BENCH_CUDA(cudaGetLastError());
  };
  launch();  // warm-up: module load, clocks up
  BENCH_CUDA(cudaDeviceSynchronize());
  event start, stop;
  for (int r = 0; r < q.repeats; ++r) {
    BENCH_CUDA(cudaEventRecord(start.e));
    launch();
    BENCH_CUDA(cudaEventRecord(stop.e));
    BENCH_CUDA(cudaEventSynchronize(stop.e));
    float ms = 0;
    BENCH_CUDA(cudaEventElapsedTime(&ms, start.e, stop.e));
    t.seconds.push_back(double(ms) * 1e-3);
  }

  // The end states of the last launch against the closed form (H = 0 on the manifold).
  std::vector<Real> hg(n), hp(n), hS(n);
  std::vector<std::int32_t> hsteps(n), hattempts(n);
  std::vector<std::uint8_t> hcode(n);
  BENCH_CUDA(cudaMemcpy(hg.data(), g.p, n * sizeof(Real), cudaMemcpyDeviceToHost));
  BENCH_CUDA(cudaMemcpy(hp.data(), p.p, n * sizeof(Real), cudaMemcpyDeviceToHost));
  BENCH_CUDA(cudaMemcpy(hS.data(), S.p, n * sizeof(Real), cudaMemcpyDeviceToHost));
  BENCH_CUDA(cudaMemcpy(hsteps.data(), steps.p, n * sizeof(std::int32_t), cudaMemcpyDeviceToHost));
  BENCH_CUDA(cudaMemcpy(hattempts.data(), attempts.p, n * sizeof(std::int32_t), cudaMemcpyDeviceToHost));
  BENCH_CUDA(cudaMemcpy(hcode.data(), code.p, n, cudaMemcpyDeviceToHost));
  double sum_steps = 0, sum_attempts = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    double lambda, A;
    paper_point(n, i, lambda, A);
    // The closed form for the coefficients the kernel used (rounded to Real).
    lambda = double(Real(lambda));
    A = double(Real(A));
    const double g0 = paper_g0;
    const double g_exact = g0 * std::exp(lambda * paper_ell);
    const double p_exact = -A / (lambda * g_exact * g_exact);
    const double S_exact = A / (lambda * g_exact) - A / (lambda * g0);
    auto rel = [](double got, double want) { return std::fabs(got - want) / std::fabs(want); };
    const double eg = rel(double(hg[i]), g_exact), ep = rel(double(hp[i]), p_exact),
                 eS = rel(double(hS[i]), S_exact);
    // NaN (a failed path) must show, so no std::max (it drops NaN).
    if (!(eg <= t.max_rel_err_g)) t.max_rel_err_g = eg;
    if (!(ep <= t.max_rel_err_p)) t.max_rel_err_p = ep;
    if (!(eS <= t.max_rel_err_S)) t.max_rel_err_S = eS;
    sum_steps += hsteps[i];
    sum_attempts += hattempts[i];
    t.not_ok += hcode[i] != static_cast<std::uint8_t>(status::ok);
  }
  t.mean_steps = n > 0 ? sum_steps / double(n) : 0;
  t.mean_attempts = n > 0 ? sum_attempts / double(n) : 0;
  return t;
}

}  // namespace

flow_timing time_paper_flow(const flow_request& q) {
  try {
    if (q.method == flow_method::rk4)
      return q.fp64 ? run<double, flow_method::rk4>(q) : run<float, flow_method::rk4>(q);
    return q.fp64 ? run<double, flow_method::dopri5>(q) : run<float, flow_method::dopri5>(q);
  } catch (const cuda_failure& f) {
    flow_timing t;
    t.error = f.what;
    return t;
  }
}

}  // namespace scaleham::bench
