// The HDF5 result writer: layout, values, dimension scales, attributes,
// the checks that protect existing files, and `scaleham inspect`.
// Results are synthetic (a function of the point index): no integrator runs.
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

namespace {

namespace fs = std::filesystem;
using namespace scaleham;
using scaleham::testing::all_datasets;

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

axis_config make_axis(const std::string& name, int slot, axis_kind kind, std::int64_t count, double lo, double hi,
                      const std::string& unit) {
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
sweep_config cartesian_config() {
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

sweep_config random_config(std::uint64_t points) {
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

run_info test_run_info(std::uint64_t points) {
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

std::vector<hsize_t> dims_of(hid_t file, const std::string& name) {
  const h5::dataset set(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
  const h5::dataspace space(H5Dget_space(set.get()));
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.get())));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

std::string string_attribute(hid_t object, const std::string& name) {
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

// --- layout and values -------------------------------------------------------------

TEST_F(Output, CartesianValuesRoundTripBitwise) {
  const sweep_config config = cartesian_config();
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 5);  // batches of 2 x 2 points: chunks and batches do not line up
  EXPECT_EQ(entries(), std::vector<std::string>{"out.h5"});

  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  using r = point_result<double>;
  const std::uint64_t n = config.size();
  ASSERT_EQ(n, 24u);
  const auto real = [&](const char* name, double r::*member) {
    EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), name, H5T_NATIVE_DOUBLE),
                              expected_field<double, double>(n, member)))
        << name;
  };
  real("/flow/g", &r::g);
  real("/flow/p", &r::p);
  real("/flow/S", &r::S);
  real("/flow/ell_end", &r::ell);
  real("/flow/h_drift", &r::h_drift);
  real("/flow/p0_used", &r::p0);
  real("/hj/action", &r::action);
  real("/hj/action_error", &r::action_error);
  real("/hj/consistency", &r::hj_consistency);
  EXPECT_TRUE(bitwise_equal(read_all<std::int32_t>(file.get(), "/flow/steps", H5T_NATIVE_INT32),
                            expected_field<std::int32_t, double>(n, &r::steps)));
  EXPECT_TRUE(bitwise_equal(read_all<std::int32_t>(file.get(), "/flow/rejected", H5T_NATIVE_INT32),
                            expected_field<std::int32_t, double>(n, &r::rejected)));
  EXPECT_TRUE(bitwise_equal(read_all<std::uint8_t>(file.get(), "/flow/status", H5T_NATIVE_UINT8),
                            expected_field<std::uint8_t, double>(n, &r::flow_status)));
  EXPECT_TRUE(bitwise_equal(read_all<std::uint8_t>(file.get(), "/hj/status", H5T_NATIVE_UINT8),
                            expected_field<std::uint8_t, double>(n, &r::action_status)));

  // /fit: members of point_result::fit, and two of point_result itself.
  using v = vft_fit<double>;
  const std::pair<const char*, double v::*> fit_reals[] = {
      {"/fit/a", &v::a},
      {"/fit/B", &v::B},
      {"/fit/T_vf", &v::T_vf},
      {"/fit/D", &v::D},
      {"/fit/Tg", &v::Tg},
      {"/fit/m", &v::m},
      {"/fit/a_stderr", &v::a_stderr},
      {"/fit/B_stderr", &v::B_stderr},
      {"/fit/T_vf_stderr", &v::T_vf_stderr},
      {"/fit/B_T_vf_correlation", &v::B_T_vf_correlation},
      {"/fit/rms", &v::rms}};
  for (const auto& [name, member] : fit_reals)
    EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), name, H5T_NATIVE_DOUBLE),
                              expected_fit_field<double, double>(n, member)))
        << name;
  EXPECT_TRUE(bitwise_equal(read_all<std::int32_t>(file.get(), "/fit/iterations", H5T_NATIVE_INT32),
                            expected_fit_field<std::int32_t, double>(n, &v::iterations)));
  EXPECT_TRUE(bitwise_equal(read_all<std::uint8_t>(file.get(), "/fit/status", H5T_NATIVE_UINT8),
                            expected_fit_field<std::uint8_t, double>(n, &v::code)));
  EXPECT_TRUE(bitwise_equal(read_all<std::uint8_t>(file.get(), "/fit/curve_status", H5T_NATIVE_UINT8),
                            expected_field<std::uint8_t, double>(n, &r::curve_status)));
  real("/fit/B_rel_err", &r::B_rel_err);
  // Only the listed fields: no covariances, no n_points.
  EXPECT_EQ(H5Lexists(file.get(), "/fit/cov_a_B", H5P_DEFAULT), 0);
  EXPECT_EQ(H5Lexists(file.get(), "/fit/n_points", H5P_DEFAULT), 0);
  EXPECT_EQ(H5Lexists(file.get(), "/curves", H5P_DEFAULT), 0);  // output.curves is off by default

  // Stored types: what the results are, not what they are read as.
  const auto stored_type_is = [&](const char* name, hid_t type) {
    const h5::dataset set(H5Dopen2(file.get(), name, H5P_DEFAULT));
    const h5::datatype stored(H5Dget_type(set.get()));
    return H5Tequal(stored.get(), type) > 0;
  };
  EXPECT_TRUE(stored_type_is("/flow/g", H5T_NATIVE_DOUBLE));
  EXPECT_TRUE(stored_type_is("/flow/steps", H5T_NATIVE_INT32));
  EXPECT_TRUE(stored_type_is("/flow/status", H5T_NATIVE_UINT8));
  EXPECT_TRUE(stored_type_is("/fit/iterations", H5T_NATIVE_INT32));
  EXPECT_TRUE(stored_type_is("/fit/status", H5T_NATIVE_UINT8));
  EXPECT_TRUE(stored_type_is("/fit/curve_status", H5T_NATIVE_UINT8));
}

TEST_F(Output, DimensionScalesCoordinatesAndShapes) {
  const sweep_config config = cartesian_config();
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 7);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);

  const std::vector<hsize_t> grid{3, 4, 2};
  for (const std::string location : {"", "/flow", "/hj", "/fit"}) {
    for (std::size_t d = 0; d < config.axes.size(); ++d) {
      const axis_config& axis = config.axes[d];
      const std::string name = location + "/" + axis.name;
      SCOPED_TRACE(name);
      EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), name, H5T_NATIVE_DOUBLE), axis.coordinates()));
      const h5::dataset scale(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
      EXPECT_GT(H5DSis_scale(scale.get()), 0);
      char scale_name[64] = {};
      H5DSget_scale_name(scale.get(), scale_name, sizeof scale_name);
      EXPECT_EQ(std::string(scale_name), axis.name);
      EXPECT_EQ(string_attribute(scale.get(), "units"), axis.unit.empty() ? "1" : axis.unit);
      EXPECT_NE(string_attribute(scale.get(), "long_name").find(axis.name), std::string::npos);
      EXPECT_EQ(string_attribute(scale.get(), "parameter"), param_name(axis.slot));
    }
  }
  EXPECT_EQ(read_all<double>(file.get(), "/g0", H5T_NATIVE_DOUBLE), (std::vector<double>{0.5, 2.0}));
  EXPECT_DOUBLE_EQ(read_all<double>(file.get(), "/A", H5T_NATIVE_DOUBLE).back(), 75.0);

  // Every result dataset: grid shape, units, long_name, and on each dimension
  // its own group's scale (what xarray needs to show coordinates).
  const std::map<std::string, std::vector<std::string>> groups{
      {"flow", {"g", "p", "S", "ell_end", "h_drift", "p0_used", "steps", "rejected", "status"}},
      {"hj", {"action", "action_error", "consistency", "status"}},
      {"fit",
       {"a", "B", "T_vf", "D", "Tg", "m", "a_stderr", "B_stderr", "T_vf_stderr", "B_T_vf_correlation", "rms",
        "iterations", "status", "curve_status", "B_rel_err"}}};
  for (const auto& [group, names] : groups) {
    for (const std::string& name : names) {
      const std::string full = "/" + group + "/" + name;
      SCOPED_TRACE(full);
      EXPECT_EQ(dims_of(file.get(), full), grid);
      const h5::dataset set(H5Dopen2(file.get(), full.c_str(), H5P_DEFAULT));
      // g and p carry the units of the parameters g0 and p0, temperatures
      // (and B) those of T0 (config.units).
      const bool like_g = name == "g", like_p = name == "p" || name == "p0_used";
      const bool like_T0 = group == "fit" && (name == "B" || name == "T_vf" || name == "Tg" || name == "B_stderr" ||
                                              name == "T_vf_stderr");
      EXPECT_EQ(string_attribute(set.get(), "units"), like_g || like_T0 ? "K" : like_p ? "1/K" : "1");
      EXPECT_FALSE(string_attribute(set.get(), "long_name").empty());
      for (unsigned d = 0; d < config.axes.size(); ++d) {
        const std::string own = "/" + group + "/" + config.axes[d].name;
        const h5::dataset scale(H5Dopen2(file.get(), own.c_str(), H5P_DEFAULT));
        EXPECT_GT(H5DSis_attached(set.get(), scale.get(), d), 0) << own;
        EXPECT_EQ(H5DSget_num_scales(set.get(), d), 1);
        char label[64] = {};
        H5DSget_label(set.get(), d, label, sizeof label);
        EXPECT_EQ(std::string(label), config.axes[d].name);
      }
      // Chunked, every chunk dim in [1, dim], shuffled and deflated.
      const h5::property_list creation(H5Dget_create_plist(set.get()));
      ASSERT_EQ(H5Pget_layout(creation.get()), H5D_CHUNKED);
      std::vector<hsize_t> chunk(grid.size());
      ASSERT_EQ(H5Pget_chunk(creation.get(), static_cast<int>(chunk.size()), chunk.data()), 3);
      for (std::size_t d = 0; d < grid.size(); ++d) {
        EXPECT_GE(chunk[d], 1u);
        EXPECT_LE(chunk[d], grid[d]);
      }
      EXPECT_EQ(H5Pget_nfilters(creation.get()), 2);
      EXPECT_GT(H5Pget_filter_by_id2(creation.get(), H5Z_FILTER_DEFLATE, nullptr, nullptr, nullptr, 0, nullptr,
                                     nullptr),
                -1);
    }
  }
}

TEST_F(Output, StatusFlagsAndRootAttributes) {
  const sweep_config config = cartesian_config();
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 1000);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);

  std::vector<std::uint8_t> codes;
  std::string meanings;
  for (int code = 0; code < status_count; ++code) {
    codes.push_back(static_cast<std::uint8_t>(code));
    meanings += (code ? " " : "") + std::string(status_name(static_cast<status>(code)));
  }
  EXPECT_EQ(status_count, 14);
  EXPECT_EQ(meanings.substr(meanings.rfind(' ') + 1), "out_of_range");
  for (const char* name : {"/flow/status", "/hj/status", "/fit/status", "/fit/curve_status"}) {
    const h5::dataset set(H5Dopen2(file.get(), name, H5P_DEFAULT));
    EXPECT_EQ(numeric_attribute<std::uint8_t>(set.get(), "flag_values", H5T_NATIVE_UINT8), codes) << name;
    EXPECT_EQ(string_attribute(set.get(), "flag_meanings"), meanings) << name;
  }

  const hid_t root = file.get();
  EXPECT_EQ(string_attribute(root, "config"), config.source_text);
  EXPECT_EQ(string_attribute(root, "config_source"), "<test>");
  EXPECT_EQ(string_attribute(root, "version"), "9.9.9");
  EXPECT_EQ(string_attribute(root, "backend"), "cpu");
  EXPECT_EQ(string_attribute(root, "device"), "test device");
  EXPECT_EQ(string_attribute(root, "precision"), "double");
  EXPECT_EQ(numeric_attribute<double>(root, "seconds_compute", H5T_NATIVE_DOUBLE), std::vector<double>{1.25});
  EXPECT_EQ(numeric_attribute<double>(root, "seconds_total", H5T_NATIVE_DOUBLE), std::vector<double>{2.5});
  EXPECT_EQ(numeric_attribute<std::uint64_t>(root, "points", H5T_NATIVE_UINT64), std::vector<std::uint64_t>{24});
  EXPECT_EQ(numeric_attribute<double>(root, "T0", H5T_NATIVE_DOUBLE), std::vector<double>{400.0});
  EXPECT_EQ(string_attribute(root, "T0_units"), "K");
  EXPECT_EQ(numeric_attribute<double>(root, "c", H5T_NATIVE_DOUBLE), std::vector<double>{1.0});
  EXPECT_EQ(string_attribute(root, "c_units"), "1/K");
  // The curves' reference and the levels, as the engine used them (natural logs).
  EXPECT_EQ(numeric_attribute<double>(root, "T_ref", H5T_NATIVE_DOUBLE),
            std::vector<double>{config.settings.relaxation.T_ref});
  EXPECT_EQ(string_attribute(root, "T_ref_units"), "K");
  EXPECT_EQ(numeric_attribute<double>(root, "ln_tau0", H5T_NATIVE_DOUBLE),
            std::vector<double>{config.settings.relaxation.log_tau0});
  EXPECT_EQ(numeric_attribute<double>(root, "ln_tg_tau", H5T_NATIVE_DOUBLE),
            std::vector<double>{config.settings.relaxation.fit.tg_log_level});
  EXPECT_EQ(numeric_attribute<std::int32_t>(root, "complete", H5T_NATIVE_INT32), std::vector<std::int32_t>{1});
  const std::string created = string_attribute(root, "created");  // 2024-05-01T12:34:56Z
  ASSERT_EQ(created.size(), 20u) << created;
  EXPECT_EQ(created[4], '-');
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created.back(), 'Z');
}

TEST_F(Output, FloatResultsAreStoredAsFloat) {
  sweep_config config = cartesian_config();
  config.output.hj = false;
  config.output.compression = 0;
  const std::string out = path("out.h5");
  write_sweep<float>(out, config, 4);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  EXPECT_TRUE(bitwise_equal(read_all<float>(file.get(), "/flow/S", H5T_NATIVE_FLOAT),
                            expected_field<float, float>(config.size(), &point_result<float>::S)));
  const h5::dataset set(H5Dopen2(file.get(), "/flow/S", H5P_DEFAULT));
  const h5::datatype stored(H5Dget_type(set.get()));
  EXPECT_GT(H5Tequal(stored.get(), H5T_NATIVE_FLOAT), 0);
  const h5::property_list creation(H5Dget_create_plist(set.get()));
  EXPECT_EQ(H5Pget_nfilters(creation.get()), 0);              // compression = 0
  EXPECT_EQ(H5Lexists(file.get(), "/hj", H5P_DEFAULT), 0);    // hj = false
}

TEST_F(Output, RandomGridHasPointScaleAndSampledParameters) {
  const sweep_config config = random_config(37);
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 10);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);

  std::vector<std::uint64_t> indices(37);
  for (std::uint64_t i = 0; i < indices.size(); ++i) indices[i] = i;
  for (const char* location : {"/point", "/flow/point", "/hj/point", "/parameters/point"})
    EXPECT_EQ(read_all<std::uint64_t>(file.get(), location, H5T_NATIVE_UINT64), indices) << location;
  EXPECT_EQ(H5Lexists(file.get(), "/lambda", H5P_DEFAULT), 0);  // no cartesian coordinates
  EXPECT_EQ(dims_of(file.get(), "/flow/g"), std::vector<hsize_t>{37});
  EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), "/flow/g", H5T_NATIVE_DOUBLE),
                            expected_field<double, double>(37, &point_result<double>::g)));

  // The sampled values are exactly the grid's parameters of each index.
  const scaleham::sweep_plan<double> plan(config);
  const sweep_spec<double>& spec = plan.spec();
  for (std::size_t a = 0; a < config.axes.size(); ++a) {
    const std::string name = "/parameters/" + config.axes[a].name;
    std::vector<double> expected;
    for (std::uint64_t i = 0; i < 37; ++i) {
      double params[param_count];
      spec.grid.parameters(i, params);
      expected.push_back(params[config.axes[a].slot]);
    }
    EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), name, H5T_NATIVE_DOUBLE), expected)) << name;
    const h5::dataset set(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT));
    const h5::dataset point(H5Dopen2(file.get(), "/parameters/point", H5P_DEFAULT));
    EXPECT_GT(H5DSis_attached(set.get(), point.get(), 0), 0);
    EXPECT_EQ(string_attribute(set.get(), "units"), config.axes[a].unit.empty() ? "1" : config.axes[a].unit);
  }
  const h5::dataset g(H5Dopen2(file.get(), "/flow/g", H5P_DEFAULT));
  const h5::dataset point(H5Dopen2(file.get(), "/flow/point", H5P_DEFAULT));
  EXPECT_GT(H5DSis_attached(g.get(), point.get(), 0), 0);
}

// --- /curves ------------------------------------------------------------------------------

/// cartesian_config() with curves on a 5-point temperature grid.
sweep_config curves_config() {
  sweep_config c = cartesian_config();
  c.output.curves = true;
  relaxation_settings<double>& r = c.settings.relaxation;
  r.n_T = 5;
  r.T_min = 300.1;
  r.T_max = 340.7;
  r.T_ref = 350.0;
  return c;
}

TEST_F(Output, CurvesHaveTheGridShapeTimesTemperatureAndATemperatureScale) {
  const sweep_config config = curves_config();
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 5);  // batches of 2 x 2 points: chunks and batches do not line up
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  const int n_T = config.settings.relaxation.n_T;

  // The values: point-major curves are (lambda, A, g0, T) in C order.
  EXPECT_EQ(dims_of(file.get(), "/curves/log_tau"), (std::vector<hsize_t>{3, 4, 2, 5}));
  EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), "/curves/log_tau", H5T_NATIVE_DOUBLE),
                            synthetic_curves<double>(0, config.size(), n_T)));

  // T: the temperatures of relaxation_settings::temperature, a scale named T, in K.
  std::vector<double> temperatures;
  for (int j = 0; j < n_T; ++j) temperatures.push_back(config.settings.relaxation.temperature(j));
  EXPECT_EQ(temperatures.front(), 300.1);
  EXPECT_EQ(temperatures.back(), 340.7);
  EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), "/curves/T", H5T_NATIVE_DOUBLE), temperatures));
  const h5::dataset T(H5Dopen2(file.get(), "/curves/T", H5P_DEFAULT));
  EXPECT_GT(H5DSis_scale(T.get()), 0);
  char scale_name[16] = {};
  H5DSget_scale_name(T.get(), scale_name, sizeof scale_name);
  EXPECT_EQ(std::string(scale_name), "T");
  EXPECT_EQ(string_attribute(T.get(), "units"), "K");
  EXPECT_FALSE(string_attribute(T.get(), "long_name").empty());

  // log_tau: units, and on each dimension /curves' own scale (grid axes, then T).
  const h5::dataset set(H5Dopen2(file.get(), "/curves/log_tau", H5P_DEFAULT));
  EXPECT_EQ(string_attribute(set.get(), "units"), "1");
  EXPECT_NE(string_attribute(set.get(), "long_name").find("ln"), std::string::npos);
  std::vector<std::string> scales;
  for (const axis_config& axis : config.axes) scales.push_back("/curves/" + axis.name);
  scales.emplace_back("/curves/T");
  for (unsigned d = 0; d < scales.size(); ++d) {
    SCOPED_TRACE(scales[d]);
    const h5::dataset scale(H5Dopen2(file.get(), scales[d].c_str(), H5P_DEFAULT));
    EXPECT_GT(H5DSis_attached(set.get(), scale.get(), d), 0);
    EXPECT_EQ(H5DSget_num_scales(set.get(), d), 1);
    char label[64] = {};
    H5DSget_label(set.get(), d, label, sizeof label);
    EXPECT_EQ(std::string(label), scales[d].substr(std::string("/curves/").size()));
  }
  // Chunked (whole curves in a chunk) and compressed.
  const h5::property_list creation(H5Dget_create_plist(set.get()));
  ASSERT_EQ(H5Pget_layout(creation.get()), H5D_CHUNKED);
  std::vector<hsize_t> chunk(4);
  ASSERT_EQ(H5Pget_chunk(creation.get(), 4, chunk.data()), 4);
  EXPECT_EQ(chunk[3], 5u);
  EXPECT_EQ(H5Pget_nfilters(creation.get()), 2);
  // The grid coordinates are copied into /curves, like into every group.
  EXPECT_TRUE(bitwise_equal(read_all<double>(file.get(), "/curves/A", H5T_NATIVE_DOUBLE),
                            config.axes[1].coordinates()));
}

TEST_F(Output, CurvesOfARandomGridAndInFloat) {
  sweep_config config = random_config(37);
  config.output.curves = true;
  config.settings.relaxation.n_T = 4;
  const std::string out = path("out.h5");
  write_sweep<float>(out, config, 10);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  EXPECT_EQ(dims_of(file.get(), "/curves/log_tau"), (std::vector<hsize_t>{37, 4}));
  EXPECT_TRUE(bitwise_equal(read_all<float>(file.get(), "/curves/log_tau", H5T_NATIVE_FLOAT),
                            synthetic_curves<float>(0, 37, 4)));
  const h5::dataset set(H5Dopen2(file.get(), "/curves/log_tau", H5P_DEFAULT));
  const h5::datatype stored(H5Dget_type(set.get()));
  EXPECT_GT(H5Tequal(stored.get(), H5T_NATIVE_FLOAT), 0);
  // The temperatures stay double: they are the grid, not a result.
  const h5::dataset T(H5Dopen2(file.get(), "/curves/T", H5P_DEFAULT));
  const h5::datatype T_type(H5Dget_type(T.get()));
  EXPECT_GT(H5Tequal(T_type.get(), H5T_NATIVE_DOUBLE), 0);
  std::vector<std::uint64_t> indices(37);
  for (std::uint64_t i = 0; i < indices.size(); ++i) indices[i] = i;
  EXPECT_EQ(read_all<std::uint64_t>(file.get(), "/curves/point", H5T_NATIVE_UINT64), indices);
  const h5::dataset point(H5Dopen2(file.get(), "/curves/point", H5P_DEFAULT));
  EXPECT_GT(H5DSis_attached(set.get(), point.get(), 0), 0);
  EXPECT_GT(H5DSis_attached(set.get(), T.get(), 1), 0);
  // /fit of a float sweep is float, its integers and codes unchanged.
  EXPECT_TRUE(bitwise_equal(read_all<float>(file.get(), "/fit/B", H5T_NATIVE_FLOAT),
                            expected_fit_field<float, float>(37, &vft_fit<float>::B)));
  EXPECT_TRUE(bitwise_equal(read_all<std::uint8_t>(file.get(), "/fit/status", H5T_NATIVE_UINT8),
                            expected_fit_field<std::uint8_t, float>(37, &vft_fit<float>::code)));
}

TEST_F(Output, FitAndCurvesGroupsFollowTheConfig) {
  // output.fit off, or the curves (and fits) not computed: no /fit.
  for (int variant = 0; variant < 2; ++variant) {
    sweep_config config = cartesian_config();
    if (variant == 0) config.output.fit = false;
    else config.settings.relaxation.enabled = false;
    const std::string out = path("out" + std::to_string(variant) + ".h5");
    write_sweep<double>(out, config, 100);
    const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
    EXPECT_EQ(H5Lexists(file.get(), "/fit", H5P_DEFAULT), 0) << variant;
    EXPECT_EQ(H5Lexists(file.get(), "/curves", H5P_DEFAULT), 0) << variant;
    EXPECT_GT(H5Lexists(file.get(), "/flow", H5P_DEFAULT), 0) << variant;
    EXPECT_EQ(H5Aexists(file.get(), "ln_tau0"), variant == 0 ? 1 : 0);
  }

  // Curves that are not computed cannot be written.
  sweep_config no_curves = curves_config();
  no_curves.settings.relaxation.enabled = false;
  EXPECT_THROW(result_writer<double>(path("x.h5"), no_curves, false), output_error);
  EXPECT_FALSE(fs::exists(path("x.h5.partial")));

  // A sweep that writes /curves needs them in every batch.
  result_writer<double> writer(path("y.h5"), curves_config(), false);
  const auto results = synthetic_range<double>(0, 2);
  EXPECT_THROW(writer.write({0, 2}, results.data()), std::invalid_argument);
  const std::vector<double> curves = synthetic_curves<double>(0, 2, 5);
  EXPECT_NO_THROW(writer.write({0, 2}, results.data(), curves.data()));
}

// --- the output path: nothing is created or changed on bad input ------------------------

TEST_F(Output, ExistingFileNeedsForceAndStaysIntactUntilFinish) {
  const std::string out = path("out.h5");
  std::ofstream(out) << "precious";
  try {
    result_writer<double> writer(out, cartesian_config(), false);
    FAIL() << "no output_error";
  } catch (const output_error& e) {
    EXPECT_NE(std::string(e.what()).find("exists; use --force to overwrite"), std::string::npos) << e.what();
  }
  EXPECT_EQ(entries(), std::vector<std::string>{"out.h5"});

  {
    result_writer<double> writer(out, cartesian_config(), true);
    std::stringstream old;
    old << std::ifstream(out).rdbuf();
    EXPECT_EQ(old.str(), "precious");  // replaced only by finish()
    EXPECT_EQ(entries(), (std::vector<std::string>{"out.h5", "out.h5.partial"}));
  }  // destroyed unfinished
  std::stringstream old;
  old << std::ifstream(out).rdbuf();
  EXPECT_EQ(old.str(), "precious");
  EXPECT_EQ(entries(), std::vector<std::string>{"out.h5"});

  write_sweep<double>(out, cartesian_config(), 100, true);
  EXPECT_GT(H5Fis_hdf5(out.c_str()), 0);
  EXPECT_EQ(entries(), std::vector<std::string>{"out.h5"});
}

TEST_F(Output, DirectoryMissingParentAndUnwritableParentAreErrors) {
  fs::create_directory(path("taken"));
  for (bool force : {false, true})
    EXPECT_THROW(result_writer<double>(path("taken"), cartesian_config(), force), output_error);
  EXPECT_THROW(result_writer<double>(path("missing/out.h5"), cartesian_config(), true), output_error);
  std::ofstream(path("file")) << "x";
  EXPECT_THROW(result_writer<double>(path("file/out.h5"), cartesian_config(), true), output_error);
  EXPECT_EQ(entries(), (std::vector<std::string>{"file", "taken"}));
  EXPECT_TRUE(fs::is_empty(path("taken")));

  if (::geteuid() != 0) {
    fs::create_directory(path("locked"));
    fs::permissions(path("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_THROW(result_writer<double>(path("locked/out.h5"), cartesian_config(), true), output_error);
    fs::permissions(path("locked"), fs::perms::owner_all);
    EXPECT_TRUE(fs::is_empty(path("locked")));
  } else {
    // root writes anywhere permissions would forbid: use a directory the kernel
    // itself refuses files in.
    EXPECT_THROW(result_writer<double>("/proc/scaleham_output_test.h5", cartesian_config(), true), output_error);
    EXPECT_FALSE(fs::exists("/proc/scaleham_output_test.h5.partial"));
  }
}

TEST_F(Output, UnfinishedWriterLeavesNothing) {
  const std::string out = path("out.h5");
  const sweep_config config = cartesian_config();
  {
    result_writer<double> writer(out, config, false);
    const auto batches = plan_batches(config.shape(), 5);
    writer.write(batches[0], synthetic_range<double>(batches[0].first, batches[0].count).data());
    EXPECT_EQ(entries(), std::vector<std::string>{"out.h5.partial"});  // never under the final name
  }
  EXPECT_TRUE(entries().empty());

  // A constructor that fails after creating the .partial removes it too.
  sweep_config clash = config;
  clash.axes[0].name = "ell_end";
  EXPECT_THROW(result_writer<double>(out, clash, false), output_error);
  EXPECT_TRUE(entries().empty());
}

TEST_F(Output, WriteRejectsBatchesOutsideTheGrid) {
  result_writer<double> writer(path("out.h5"), cartesian_config(), false);
  const auto results = synthetic_range<double>(0, 30);
  EXPECT_THROW(writer.write({20, 10}, results.data()), std::invalid_argument);
  EXPECT_THROW(writer.write({1, 2}, results.data()), std::invalid_argument);  // crosses a row of the last axis
}

// --- scaleham inspect ------------------------------------------------------------------------

TEST_F(Output, DescribeFileNamesDatasetsAndCountsStatuses) {
  const sweep_config config = cartesian_config();
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 5);
  const std::string text = describe_file(out);
  for (const char* expected : {"/flow/g", "/flow/status", "/hj/action", "/hj/consistency", "lambda: 3", "A: 4",
                               "g0: 2", "backend = cpu", "T0 = 400", "config = <3 lines of text>",
                               "precision = double", "[K]"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_EQ(text.find("INCOMPLETE"), std::string::npos) << text;

  // Status counts, per status name: flow codes are i % 14 over 24 points,
  // action codes 7 i % 14, fit codes (3 i + 1) % 14, curve codes (5 i + 2) % 14.
  std::map<int, int> flow, action, fit, curve;
  for (int i = 0; i < 24; ++i) {
    ++flow[i % status_count];
    ++action[(7 * i) % status_count];
    ++fit[(3 * i + 1) % status_count];
    ++curve[(5 * i + 2) % status_count];
  }
  const auto counts_text = [](const std::map<int, int>& counts) {
    std::string s;
    for (const auto& [code, n] : counts)
      s += (s.empty() ? "" : ", ") + std::string(status_name(static_cast<status>(code))) + " " + std::to_string(n);
    return s;
  };
  EXPECT_NE(text.find("status counts: " + counts_text(flow)), std::string::npos) << text;
  EXPECT_NE(text.find("status counts: " + counts_text(action)), std::string::npos) << text;
  EXPECT_NE(text.find("/fit/status"), std::string::npos) << text;
  EXPECT_NE(text.find("status counts: " + counts_text(fit)), std::string::npos) << text;
  EXPECT_NE(text.find("status counts: " + counts_text(curve)), std::string::npos) << text;
  EXPECT_NE(text.find("ok 2, target_reached 2, left_domain 2, non_finite 2, max_steps 2, step_size_underflow 2, "
                      "invalid_options 2, invalid_initial_state 2, singular_integrand 2, not_converged 2, "
                      "at_bound 1, too_few_points 1, no_vft_minimum 1, out_of_range 1"),
            std::string::npos)
      << text;
}

TEST_F(Output, DescribeFileShowsTheCurvesAndTheirTemperatures) {
  const std::string out = path("out.h5");
  write_sweep<double>(out, curves_config(), 5);
  const std::string text = describe_file(out);
  for (const char* expected : {"/curves/log_tau", "(lambda: 3, A: 4, g0: 2, T: 5)",
                               "/curves/T                    coordinate: 5 values from 300.1 to 340.7 [K]",
                               "/curves/ also holds its own copies of the coordinates: A g0 lambda", "/fit/B ",
                               "/fit/curve_status", "T_ref = 350", "ln_tau0 = "})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  // T is the curves' own coordinate, not a dimension of the grid.
  const std::size_t from = text.find("dimensions:"), to = text.find("datasets:");
  const std::string dimensions = text.substr(from, to - from);
  EXPECT_EQ(dimensions.find(" T "), std::string::npos) << dimensions;
}

TEST_F(Output, DescribeFileOfUnfinishedAndOfBadFiles) {
  const std::string out = path("out.h5");
  write_sweep<double>(out, cartesian_config(), 100);
  {  // what a killed run leaves: complete = 0
    const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT));
    h5::write_attribute(file.get(), "complete", std::int32_t(0));
  }
  EXPECT_NE(describe_file(out).find("INCOMPLETE"), std::string::npos);
  EXPECT_THROW(describe_file(path("none.h5")), output_error);
  std::ofstream(path("text.h5")) << "not hdf5";
  EXPECT_THROW(describe_file(path("text.h5")), output_error);
}

// --- the RAII layer ----------------------------------------------------------------------------

// --- direct chunk writes, float32 storage, field lists (issue 10) -------------------

/// Writes the sweep's batches in the given order, with the given writer options.
template <class Real>
void write_batches(const std::string& path, const sweep_config& config, const std::vector<batch>& batches,
                   writer_options options) {
  result_writer<Real> writer(path, config, false, options);
  for (const batch& b : batches) {
    const std::vector<Real> curves = synthetic_curves<Real>(b.first, b.count, config.settings.relaxation.n_T);
    writer.write(b, synthetic_range<Real>(b.first, b.count).data(), config.output.curves ? curves.data() : nullptr);
  }
  writer.finish(test_run_info(config.size()));
}

/// Batches of `max_points` in a scrambled order (reversed, then the odd ones first):
/// chunks are completed by batches that arrive before and after, as in a resume.
std::vector<batch> scrambled(const sweep_config& config, std::uint64_t max_points) {
  std::vector<batch> plan = plan_batches(config.shape(), max_points), out;
  std::reverse(plan.begin(), plan.end());
  for (std::size_t i = 1; i < plan.size(); i += 2) out.push_back(plan[i]);
  for (std::size_t i = 0; i < plan.size(); i += 2) out.push_back(plan[i]);
  return out;
}

template <class Real>
void expect_direct_chunks_match_the_hdf5_path(const sweep_config& config, const std::string& a,
                                              const std::string& b, std::uint64_t batch_points) {
  writer_options old_way;
  old_way.direct_chunks = false;
  write_batches<Real>(a, config, plan_batches(config.shape(), batch_points), old_way);
  writer_options direct;
  direct.threads = 3;
  write_batches<Real>(b, config, scrambled(config, batch_points), direct);
  const auto expected = all_datasets(a), got = all_datasets(b);
  ASSERT_EQ(expected.size(), got.size());
  std::size_t multi_chunk = 0;
  for (const auto& [name, d] : expected) {
    ASSERT_EQ(got.count(name), 1u) << name;
    EXPECT_TRUE(got.at(name) == d) << name << " differs between the HDF5 path and direct chunk writes";
    if (!d.chunk.empty() && d.chunk != d.dims) ++multi_chunk;
  }
  EXPECT_GT(multi_chunk, 0u) << "the grid should span several chunks";
}

/// lambda × A = 300 × 250: 75,000 points, 3 chunks of doubles (131 rows), 2 of int32, 1 of uint8.
sweep_config large_config() {
  sweep_config c = cartesian_config();
  c.axes.pop_back();
  c.axes[0].count = 300;
  c.axes[1].count = 250;
  return c;
}

TEST_F(Output, DirectChunkWritesReadBackBitwiseLikeTheHdf5Path) {
  sweep_config config = large_config();
  expect_direct_chunks_match_the_hdf5_path<double>(config, path("a.h5"), path("b.h5"), 7777);
  config.output.compression = 0;
  expect_direct_chunks_match_the_hdf5_path<double>(config, path("c.h5"), path("d.h5"), 10000);
}

TEST_F(Output, DirectChunkWritesOfCurvesRandomGridsAndFloat) {
  sweep_config config = large_config();
  config.output.curves = true;
  config.settings.relaxation.n_T = 7;  // a curve chunk holds a fraction of a row
  config.axes[0].count = 120;
  expect_direct_chunks_match_the_hdf5_path<float>(config, path("a.h5"), path("b.h5"), 4000);
  const sweep_config random = random_config(50000);
  expect_direct_chunks_match_the_hdf5_path<double>(random, path("c.h5"), path("d.h5"), 3001);
}

TEST_F(Output, Float32StorageAndFieldListsShapeTheFileAndTheRecord) {
  sweep_config config = curves_config();
  config.output.float32 = true;
  config.output.flow_fields = {"g", "status"};
  config.output.hj_fields = {"action"};
  config.output.fit = false;
  const record_layout<double> layout(config);
  // g and action as float32 (4 + 4), the flow status (1), the action and fit
  // codes kept for the summary (1 + 1), padded to the float32 curves (12), and n_T float32 values.
  EXPECT_EQ(layout.column_bytes, 12u);
  EXPECT_EQ(layout.bytes_per_point(), 12u + 5 * 4);
  const std::string out = path("out.h5");
  write_sweep<double>(out, config, 5);
  const h5::file file(H5Fopen(out.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  ASSERT_TRUE(file);
  std::vector<std::string> flow, hj;
  const h5::group flow_group(H5Gopen2(file.get(), "/flow", H5P_DEFAULT));
  H5Literate(flow_group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
             [](hid_t, const char* name, const H5L_info_t*, void* names) -> herr_t {
               static_cast<std::vector<std::string>*>(names)->push_back(name);
               return 0;
             },
             &flow);
  std::sort(flow.begin(), flow.end());
  EXPECT_EQ(flow, (std::vector<std::string>{"A", "g", "g0", "lambda", "status"}));  // and the coordinates
  EXPECT_EQ(H5Lexists(file.get(), "/hj/action", H5P_DEFAULT), 1);
  EXPECT_EQ(H5Lexists(file.get(), "/hj/status", H5P_DEFAULT), 0);
  EXPECT_EQ(H5Lexists(file.get(), "/fit", H5P_DEFAULT), 0);
  for (const char* name : {"/flow/g", "/hj/action", "/curves/log_tau"}) {
    const h5::dataset set(H5Dopen2(file.get(), name, H5P_DEFAULT));
    const h5::datatype stored(H5Dget_type(set.get()));
    EXPECT_GT(H5Tequal(stored.get(), H5T_NATIVE_FLOAT), 0) << name;
  }
  std::vector<float> g;
  for (const double v : expected_field<double, double>(config.size(), &point_result<double>::g))
    g.push_back(static_cast<float>(v));
  EXPECT_TRUE(bitwise_equal(read_all<float>(file.get(), "/flow/g", H5T_NATIVE_FLOAT), g));
  const std::vector<double> curves = synthetic_curves<double>(0, config.size(), 5);
  std::vector<float> curves32(curves.begin(), curves.end());
  EXPECT_TRUE(bitwise_equal(read_all<float>(file.get(), "/curves/log_tau", H5T_NATIVE_FLOAT), curves32));
  // The coordinates stay double: they are the grid's exact values.
  const h5::dataset lambda(H5Dopen2(file.get(), "/flow/lambda", H5P_DEFAULT));
  const h5::datatype lambda_type(H5Dget_type(lambda.get()));
  EXPECT_GT(H5Tequal(lambda_type.get(), H5T_NATIVE_DOUBLE), 0);
}

TEST(OutputConfig, BytesPerPointOfTheBuiltInExampleAsDocumented) {
  // docs/config.md "Bytes per point": 57 + 25 + 102 in double, 33 + 13 + 54 in float32.
  sweep_config config = parse_config_text(builtin_example_config(), "<built-in example>");
  EXPECT_EQ(record_layout<double>(config).bytes_per_point(), 184u);
  EXPECT_EQ(record_layout<float>(config).bytes_per_point(), 100u);
  config.output.float32 = true;
  EXPECT_EQ(record_layout<double>(config).bytes_per_point(), 100u);
  config.output.curves = true;
  EXPECT_EQ(record_layout<double>(config).bytes_per_point(), 100u + 32 * 4);
  config.output.float32 = false;
  EXPECT_EQ(record_layout<double>(config).bytes_per_point(), 184u + 32 * 8);
  // The lean example of benchmarks/RESULTS.md (writer path, issue 10): 14 B in the file, and the /hj status.
  config.output.curves = false;
  config.output.float32 = true;
  config.output.hj = false;
  config.output.flow_fields = {"g", "status"};
  config.output.fit_fields = {"B", "T_vf", "status"};
  const record_layout<double> lean(config);
  EXPECT_EQ(lean.bytes_per_point(), 15u);
  std::size_t written = 0;
  for (const auto& c : lean.columns) written += c.written ? c.bytes : 0;
  EXPECT_EQ(written, 14u);
}

TEST(OutputConfig, FieldListsAndFloat32AreReadAndChecked) {
  const std::string base = "[grid]\nsampling = \"cartesian\"\n[[grid.axis]]\nname = \"lambda\"\n"
                           "linspace = [0.05, 0.15, 3]\n[output]\n";
  const sweep_config config =
      parse_config_text(base + "flow = [\"g\", \"status\"]\nhj = false\nfloat32 = true\n", "t.toml");
  EXPECT_TRUE(config.output.flow);
  EXPECT_EQ(config.output.flow_fields, (std::vector<std::string>{"g", "status"}));
  EXPECT_FALSE(config.output.hj);
  EXPECT_FALSE(config.settings.compute_action);  // no /hj written: the action is not computed
  EXPECT_TRUE(parse_config_text(base, "t.toml").settings.compute_action);
  EXPECT_TRUE(parse_config_text(base + "hj = [\"status\"]\n", "t.toml").settings.compute_action);
  EXPECT_TRUE(config.output.fit_fields.empty());
  EXPECT_TRUE(config.output.float32);
  EXPECT_FALSE(parse_config_text(base, "t.toml").output.float32);

  const auto error_of = [&](const std::string& output) {
    try {
      parse_config_text(base + output, "t.toml");
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string unknown = error_of("hj = [\"action\", \"g\"]\n");
  EXPECT_NE(unknown.find("t.toml:7"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("output.hj"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("/hj has no field 'g'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("action, action_error, consistency, status"), std::string::npos) << unknown;
  EXPECT_NE(error_of("flow = []\n").find("use flow = false"), std::string::npos);
  EXPECT_NE(error_of("fit = [\"a\", \"a\"]\n").find("field 'a' is listed twice"), std::string::npos);
  EXPECT_NE(error_of("flow = [1]\n").find("expected a string"), std::string::npos);
  EXPECT_NE(error_of("float32 = 1\n").find("output.float32"), std::string::npos);
  EXPECT_NE(error_of("float32 = \"yes\"\n").find("expected true or false"), std::string::npos);
  const std::string disabled = "[fit]\nenabled = false\n" + base + "fit = [\"a\"]\n";
  try {
    parse_config_text(disabled, "t.toml");
    ADD_FAILURE() << "fit = [...] with [fit] enabled = false was accepted";
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("needs the relaxation-time curves"), std::string::npos) << e.what();
  }
}

TEST(H5, ErrorsAreExceptionsWithCallPathAndHdf5sReasonAndNothingOnStderr) {
  ::testing::internal::CaptureStderr();
  try {
    h5::open_file_read_only("/nonexistent/dir/x.h5");
    ADD_FAILURE() << "no h5_error";
  } catch (const h5_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("H5Fopen"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/dir/x.h5"), std::string::npos) << message;
    EXPECT_NE(message.find("unable to open file"), std::string::npos) << message;
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(H5, ChunkShapeIsAContiguousBlockWithinTheDims) {
  EXPECT_EQ(h5::chunk_shape({1000, 1000}, 8), (std::vector<hsize_t>{32, 1000}));  // 256 KiB of doubles
  EXPECT_EQ(h5::chunk_shape({1000, 1000}, 8, 1 << 20), (std::vector<hsize_t>{131, 1000}));
  EXPECT_EQ(h5::chunk_shape({10}, 8), (std::vector<hsize_t>{10}));
  EXPECT_EQ(h5::chunk_shape({hsize_t(1) << 30}, 1), (std::vector<hsize_t>{hsize_t(1) << 18}));
  EXPECT_EQ(h5::chunk_shape({3, 5, 7}, 8, 64), (std::vector<hsize_t>{1, 1, 7}));
  EXPECT_EQ(h5::chunk_shape({3, 5, 7}, 8, 8 * 14), (std::vector<hsize_t>{1, 2, 7}));
  EXPECT_EQ(h5::chunk_shape({4, 1 << 20}, 8, 8), (std::vector<hsize_t>{1, 1}));
}

TEST(H5, HandlesAreMoveOnlyAndClose) {
  h5::quiet_errors();
  h5::dataspace a(H5Screate(H5S_SCALAR));
  const hid_t id = a.get();
  h5::dataspace b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(b.get(), id);
  EXPECT_GT(H5Iis_valid(id), 0);
  b.reset();
  EXPECT_LE(H5Iis_valid(id), 0);
  static_assert(!std::is_copy_constructible_v<h5::file>);
}

}  // namespace
