// The HDF5 result writer: layout, values, dimension scales, attributes,
// /curves, and the checks that protect existing files.
// Results are synthetic (a function of the point index): no integrator runs.
#include "output_test_data.hpp"

namespace {

using namespace scaleham::output_test;
using scaleham::testing::all_datasets;

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

}  // namespace
