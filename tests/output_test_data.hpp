// Test helpers of the HDF5 writer's tests (test_output.cpp,
// test_output_storage.cpp): a scratch-directory fixture, small grids,
// synthetic results (a function of the point index: no integrator runs) and
// plain-C-API readers of what was written.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "batches.hpp"
#include "config.hpp"
#include "h5.hpp"
#include "h5_contents.hpp"
#include "output.hpp"
#include "scratch_directory.hpp"
#include "sweep.hpp"

namespace scaleham::output_test {

namespace fs = std::filesystem;
using namespace scaleham;

// --- fixtures -------------------------------------------------------------------

/// A fresh directory per test, removed afterwards.
class Output : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  scaleham::testing::scratch_directory scratch_{"scaleham_output"};
  const fs::path& dir_ = scratch_.path();
};

inline axis_config make_axis(const std::string& name, int slot, axis_kind kind, std::int64_t count, double lo,
                              double hi, const std::string& unit) {
  axis_config a;
  a.name = name;
  a.slot = slot;
  a.kind = kind;
  a.count = count;
  a.lo = lo;
  a.hi = hi;
  a.unit = unit;
  return a;
}

/// The paper's model over a 3 × 4 × 2 grid (lambda, A, and explicit g0 values).
inline sweep_config cartesian_config() {
  sweep_config c;
  c.source_name = "<test>";
  c.source_text = "[flow]\ng0 = 1.0\nell = 2.0\n";
  c.base[param_b1] = 0.1;
  c.base[param_f_m1] = 50.0;
  c.base[param_g0] = 1.0;
  c.base[param_ell] = 2.0;
  c.base[param_T0] = 400.0;
  c.base[param_c] = 1.0;
  c.units[param_f_m1] = "K";
  c.units[param_g0] = "K";
  c.units[param_p0] = "1/K";
  c.units[param_T0] = "K";
  c.units[param_c] = "1/K";
  c.axes.push_back(make_axis("lambda", param_b1, axis_kind::linspace, 3, 0.05, 0.15, ""));
  c.axes.push_back(make_axis("A", param_f_m1, axis_kind::logspace, 4, 25.0, 75.0, "K"));
  axis_config g0 = make_axis("g0", param_g0, axis_kind::values, 0, 0, 0, "");
  g0.values = {0.5, 2.0};
  c.axes.push_back(g0);
  return c;
}

inline sweep_config random_config(std::uint64_t points) {
  sweep_config c = cartesian_config();
  c.axes.pop_back();  // Halton sampling of the (lambda, A) box
  c.random = true;
  c.random_points = points;
  return c;
}

/// Deterministic, distinct, partly non-finite values for point i.
template <class Real>
point_result<Real> synthetic(std::uint64_t i) {
  point_result<Real> r{};
  const Real x = Real(i);
  r.g = Real(1.5) + x * Real(0.25);
  r.p = -x / Real(7);
  r.S = std::sin(x) * Real(1e3);
  r.ell = Real(2) - x * Real(1e-3);
  r.h_drift = Real(1e-12) * x;
  r.p0 = -Real(50) / (x + Real(1));
  r.action = std::cos(x);
  r.action_error = Real(1e-14) * (x + Real(1));
  r.hj_consistency = i % 5 == 3 ? std::numeric_limits<Real>::quiet_NaN() : Real(1e-11) * x;
  r.steps = static_cast<std::int32_t>(100 + 3 * i);
  r.rejected = static_cast<std::int32_t>(i % 4);
  r.flow_status = static_cast<status>(i % status_count);
  r.action_status = static_cast<status>((7 * i) % status_count);
  r.curve_status = static_cast<status>((5 * i + 2) % status_count);
  r.B_rel_err = i % 7 == 2 ? std::numeric_limits<Real>::quiet_NaN() : Real(1e-13) * (x - Real(3));
  vft_fit<Real>& f = r.fit;
  f.a = Real(-32) - x / Real(3);
  f.B = Real(500) + x;
  f.T_vf = Real(400) - x / Real(11);
  f.a_stderr = Real(1e-9) * x;
  f.B_stderr = Real(2e-9) * x;
  f.T_vf_stderr = Real(3e-9) * x;
  f.cov_a_B = f.cov_a_T_vf = f.cov_B_T_vf = Real(-1);  // not written
  f.B_T_vf_correlation = -Real(0.999) + x * Real(1e-5);
  f.rms = Real(1e-15) * (x + Real(2));
  f.D = f.B / f.T_vf;
  f.Tg = i % 6 == 1 ? std::numeric_limits<Real>::quiet_NaN() : Real(410) + std::cos(x);
  f.m = Real(100) + x * Real(2);
  f.iterations = static_cast<std::int32_t>(4 + i % 9);
  f.n_points = 32;
  f.code = static_cast<status>((3 * i + 1) % status_count);
  return r;
}

/// ln tau of point i at temperature j (distinct for every pair).
template <class Real>
Real synthetic_curve(std::uint64_t i, int j) {
  return Real(-30) + Real(i) * Real(0.125) + std::sin(Real(j)) * Real(5);
}

template <class Real>
std::vector<point_result<Real>> synthetic_range(std::uint64_t first, std::uint64_t count) {
  std::vector<point_result<Real>> out;
  for (std::uint64_t i = first; i < first + count; ++i) out.push_back(synthetic<Real>(i));
  return out;
}

inline run_info test_run_info(std::uint64_t points) {
  run_info info;
  info.backend = "cpu";
  info.device = "test device";
  info.precision = "double";
  info.version = "9.9.9";
  info.seconds_compute = 1.25;
  info.seconds_total = 2.5;
  info.points = points;
  return info;
}

/// The curves of points [first, first + count), point-major as the backends give them.
template <class Real>
std::vector<Real> synthetic_curves(std::uint64_t first, std::uint64_t count, int n_T) {
  std::vector<Real> out;
  for (std::uint64_t i = first; i < first + count; ++i)
    for (int j = 0; j < n_T; ++j) out.push_back(synthetic_curve<Real>(i, j));
  return out;
}

/// Writes a whole sweep of synthetic results in batches of at most max_points
/// (with curves when the config asks for them).
template <class Real>
void write_sweep(const std::string& path, const sweep_config& config, std::uint64_t max_points,
                 bool force = false) {
  result_writer<Real> writer(path, config, force);
  for (const batch& b : plan_batches(config.shape(), max_points)) {
    const std::vector<Real> curves = synthetic_curves<Real>(b.first, b.count, config.settings.relaxation.n_T);
    writer.write(b, synthetic_range<Real>(b.first, b.count).data(), config.output.curves ? curves.data() : nullptr);
  }
  writer.finish(test_run_info(config.size()));
}

// --- reading back with the plain C API --------------------------------------------

template <class T>
std::vector<T> read_all(hid_t file, const std::string& name, hid_t memory_type) {
  const h5::dataset set(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  EXPECT_TRUE(set) << name;
  const h5::dataspace space(H5Dget_space(set.get()));
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  EXPECT_GE(H5Dread(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0) << name;
  return values;
}

inline std::vector<hsize_t> dims_of(hid_t file, const std::string& name) {
  const h5::dataset set(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  const h5::dataspace space(H5Dget_space(set.get()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

inline std::string string_attribute(hid_t object, const std::string& name) {
  const h5::attribute attr(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!attr) return "<missing " + name + ">";
  const h5::datatype type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  char* text = nullptr;
  EXPECT_GE(H5Aread(attr.get(), type.get(), &text), 0) << name;
  std::string value = text ? text : "";
  H5free_memory(text);
  return value;
}

template <class T>
std::vector<T> numeric_attribute(hid_t object, const std::string& name, hid_t memory_type) {
  const h5::attribute attr(H5Aopen(object, name.c_str(), H5P_DEFAULT));
  if (!attr) return {};
  const h5::dataspace space(H5Aget_space(attr.get()));
  std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space.get())));
  EXPECT_GE(H5Aread(attr.get(), memory_type, values.data()), 0) << name;
  return values;
}

/// Bitwise equality (NaN == NaN), with the first difference in the message.
template <class T>
::testing::AssertionResult bitwise_equal(const std::vector<T>& actual, const std::vector<T>& expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << "size " << actual.size() << " != " << expected.size();
  for (std::size_t i = 0; i < actual.size(); ++i)
    if (std::memcmp(&actual[i], &expected[i], sizeof(T)) != 0)
      return ::testing::AssertionFailure() << "element " << i << ": " << +actual[i] << " != " << +expected[i];
  return ::testing::AssertionSuccess();
}

/// The expected contents of a result dataset, from the synthetic results.
template <class T, class Real, class Member>
std::vector<T> expected_field(std::uint64_t points, Member member) {
  std::vector<T> out;
  for (std::uint64_t i = 0; i < points; ++i) out.push_back(static_cast<T>(synthetic<Real>(i).*member));
  return out;
}

/// Same for a field of the VFT fit (point_result::fit).
template <class T, class Real, class Member>
std::vector<T> expected_fit_field(std::uint64_t points, Member member) {
  std::vector<T> out;
  for (std::uint64_t i = 0; i < points; ++i) out.push_back(static_cast<T>(synthetic<Real>(i).fit.*member));
  return out;
}

/// cartesian_config() with curves on a 5-point temperature grid.
inline sweep_config curves_config() {
  sweep_config c = cartesian_config();
  c.output.curves = true;
  relaxation_settings<double>& r = c.settings.relaxation;
  r.n_T = 5;
  r.T_min = 300.1;
  r.T_max = 340.7;
  r.T_ref = 350.0;
  return c;
}

}  // namespace scaleham::output_test
