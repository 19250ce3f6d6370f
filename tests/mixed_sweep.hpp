// The test sweep that goes everywhere at once, shared by the backend and
// equivalence tests: a 3-axis grid (or its Halton version) whose corners
// include failing points — g0 <= 0 (outside the domain), a β zero for b0 < 0
// (paths that stop at the domain edge), p = ±inf on the manifold where β(g0)
// = 0, and a tight step budget that some points exhaust.
#pragma once

#include "sweep_config.hpp"

namespace scaleham::testing {

inline sweep_config mixed_sweep(bool random) {
  sweep_config c;
  c.base[param_b1] = 0.1;
  c.base[param_f_m1] = 50.0;
  c.base[param_g0] = 1.0;
  c.base[param_ell] = 8.0;
  c.base[param_T0] = 400.0;
  c.base[param_c] = 1.0;
  axis_config lambda{"lambda", param_b1, axis_kind::linspace, 7, -0.2, 0.4, {}, "1"};
  axis_config b0{"b0", param_b0, axis_kind::values, 4, 0, 0, {-0.5, 0.0, 0.1, 2.0}, "K"};
  axis_config g0{"g0", param_g0, axis_kind::linspace, 9, -0.5, 3.5, {}, "K"};
  if (random) b0 = {"b0", param_b0, axis_kind::linspace, 2, -0.5, 2.0, {}, "K"};
  c.axes = {lambda, b0, g0};
  c.random = random;
  c.random_points = random ? 500 : 0;
  c.settings.events.g_min = 0.0;
  c.settings.events.g_max = 1e6;
  c.settings.dopri5.max_steps = 60;
  return c;
}

}  // namespace scaleham::testing
