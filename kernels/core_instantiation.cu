// Instantiates every per-point function of the physics core in device code,
// in double and float. Nothing here is launched: the kernels exist so that the
// compiler must generate (and type-check) device code for the whole core.
#include "scaleham/scaleham.hpp"

namespace scaleham::device_check {

template <class Real>
__global__ void all_of_the_core(const model<Real>* models, const phase_point<Real>* starts,
                                path_result<Real>* rk4_out, path_result<Real>* dopri5_out,
                                quadrature_result<Real>* action_out, Real* scalars, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const model<Real> m = models[i];
  const phase_point<Real> y0 = starts[i];
  stop_events<Real> events;
  events.g_min = Real(0);
  events.use_target = true;
  events.g_target = Real(2) * y0.g;
  rk4_out[i] = integrate_rk4(m, y0, Real(1), 100, events);
  dopri5_out[i] = integrate_dopri5(m, y0, Real(1), dopri5_options<Real>{}, events);
  action_out[i] = hj_action(m, y0.g, Real(2) * y0.g);
  const phase_point<Real> f = flow_rhs(m, y0);
  scalars[i] = hamiltonian(m, y0.g, y0.p) + on_manifold_momentum(m, y0.g) + f.p +
               relative_h_drift(m, y0, rk4_out[i].end) +
               Real(succeeded(rk4_out[i].code)) + Real(status_name(rk4_out[i].code)[0]) +
               paper_model(Real(0.1), Real(50)).F.coeff(-1);
}

template __global__ void all_of_the_core<double>(const model<double>*, const phase_point<double>*,
                                                 path_result<double>*, path_result<double>*,
                                                 quadrature_result<double>*, double*, int);
template __global__ void all_of_the_core<float>(const model<float>*, const phase_point<float>*,
                                                path_result<float>*, path_result<float>*,
                                                quadrature_result<float>*, float*, int);

}  // namespace scaleham::device_check
