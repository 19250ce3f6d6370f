// The HDF5 result writer's storage: direct chunk writes (any batch order)
// against HDF5's own path, float32 storage and field lists, `scaleham
// inspect`, and the RAII layer of h5.hpp.
#include "output_test_data.hpp"

namespace {

using namespace scaleham::output_test;
using scaleham::testing::all_datasets;

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

// --- the RAII layer ----------------------------------------------------------------------------

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
