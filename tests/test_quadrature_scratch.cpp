// The device's quadrature layout on the host (issue 10, goal 4): the first
// Room subintervals in the thread's frame, the rest in a strided scratch
// (integrate_adaptive_in). It must give bitwise the result of the host's
// quadrature_capacity-entry list, for any Room and stride, since the GPU runs
// it with Room = device_quadrature_intervals and its threads interleaved.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "scaleham/action.hpp"
#include "scaleham/model.hpp"
#include "scaleham/quadrature.hpp"

namespace {

using scaleham::quadrature_capacity;
using scaleham::quadrature_options;
using scaleham::quadrature_result;
using scaleham::status;

template <class Real>
::testing::AssertionResult identical(const quadrature_result<Real>& a, const quadrature_result<Real>& b) {
  if (std::memcmp(&a.value, &b.value, sizeof(Real)) == 0 && std::memcmp(&a.error, &b.error, sizeof(Real)) == 0 &&
      a.evaluations == b.evaluations && a.intervals == b.intervals && a.code == b.code)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a.value << " ± " << a.error << " (" << a.intervals << ", "
                                       << int(a.code) << ") vs " << b.value << " ± " << b.error << " ("
                                       << b.intervals << ", " << int(b.code) << ")";
}

template <int Room, class Real, class F>
void expect_same_as_full(F make, Real a, Real b, quadrature_options<Real> opt, int min_intervals) {
  auto f_full = make();
  const quadrature_result<Real> full = scaleham::integrate_adaptive(f_full, a, b, opt);
  ASSERT_GE(full.intervals, min_intervals) << "the case must need the scratch";
  for (const std::uint64_t stride : {1, 3}) {
    std::vector<Real> scratch(5 * quadrature_capacity * stride, Real(-1));
    opt.scratch = scratch.data() + (stride - 1);  // the last of `stride` interleaved threads
    opt.scratch_stride = stride;
    auto f = make();
    EXPECT_TRUE(identical(scaleham::integrate_adaptive_in<Room>(f, a, b, opt), full)) << "stride " << stride;
  }
  opt.scratch = nullptr;  // no scratch: ends at Room subintervals
  auto f = make();
  const quadrature_result<Real> cut = scaleham::integrate_adaptive_in<Room>(f, a, b, opt);
  EXPECT_EQ(cut.code, full.intervals > Room ? status::not_converged : full.code);
  EXPECT_LE(cut.intervals, Room);
}

TEST(QuadratureScratch, OscillatoryAndSteepIntegralsBitwiseForAnyRoom) {
  auto oscillatory = [] { return [](double x) { return std::sin(x) * std::exp(-0.1 * x); }; };
  quadrature_options<double> opt;
  opt.rtol = 1e-12;
  expect_same_as_full<1>(oscillatory, 0.0, 60.0, opt, 8);
  expect_same_as_full<4>(oscillatory, 0.0, 60.0, opt, 8);
  expect_same_as_full<7>(oscillatory, 60.0, 0.0, opt, 8);
  // A budget-limited case: not_converged at max_intervals, beyond the room.
  opt.max_intervals = 9;
  expect_same_as_full<4>(oscillatory, 0.0, 200.0, opt, 9);
  auto steep = [] { return [](double x) { return 1.0 / std::sqrt(x); }; };
  quadrature_options<double> s;
  s.rtol = 1e-13;
  expect_same_as_full<4>(steep, 1e-12, 1.0, s, 10);
  auto steep_f = [] { return [](float x) { return 1.0f / std::sqrt(x); }; };
  quadrature_options<float> sf;
  sf.rtol = 1e-6f;
  expect_same_as_full<4>(steep_f, 1e-9f, 1.0f, sf, 6);
}

}  // namespace
