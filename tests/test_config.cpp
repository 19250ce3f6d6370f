// The TOML configuration: examples, defaults, where values land, and one test
// per class of error, each checking that the message names the key and line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "config.hpp"
#include "input_file.hpp"

#ifndef SCALEHAM_SOURCE_DIR
#error "tests/CMakeLists.txt must define SCALEHAM_SOURCE_DIR (the project root)"
#endif

namespace {

using scaleham::axis_kind;
using scaleham::config_error;
using scaleham::parse_config_text;
using scaleham::sweep_config;

const std::filesystem::path examples_dir = std::filesystem::path(SCALEHAM_SOURCE_DIR) / "examples";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

sweep_config parse(const std::string& text) { return parse_config_text(text, "test.toml"); }

/// Parsing `text` fails with "test.toml:<line>: key '<key>': ..." containing `fragment`.
::testing::AssertionResult fails_at(const std::string& text, int line, const std::string& key,
                                    const std::string& fragment = "") {
  try {
    parse(text);
  } catch (const config_error& e) {
    const std::string message = e.what();
    const std::string prefix = "test.toml:" + std::to_string(line) + ": key '" + key + "': ";
    if (message.rfind(prefix, 0) != 0)
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" does not start with \"" << prefix << "\"";
    if (message.find(fragment) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << fragment << "\"";
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no config_error for:\n" << text;
}

// --- examples ------------------------------------------------------------------

TEST(Config, EveryExampleFileParses) {
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
    if (entry.path().extension() != ".toml") continue;
    SCOPED_TRACE(entry.path().string());
    const sweep_config config = scaleham::parse_config_file(entry.path().string());
    EXPECT_EQ(config.source_name, entry.path().string());
    EXPECT_EQ(config.source_text, read_file(entry.path()));
    EXPECT_GT(config.size(), 1u);
    // Each example explains itself in its first lines.
    EXPECT_EQ(config.source_text.rfind("# ", 0), 0u);
    ++parsed;
  }
  EXPECT_GE(parsed, 3);
}

TEST(Config, BuiltinExampleIsExamplesPaperTomlByteForByte) {
  EXPECT_EQ(std::string(scaleham::builtin_example_config()),
            read_file(examples_dir / "paper.toml"));
}

TEST(Config, BuiltinExampleIsThePapersWorkedExample) {
  const sweep_config c =
      parse_config_text(scaleham::builtin_example_config(), "<built-in example>");
  EXPECT_EQ(c.source_name, "<built-in example>");
  ASSERT_EQ(c.axes.size(), 2u);
  EXPECT_EQ(c.axes[0].name, "lambda");
  EXPECT_EQ(c.axes[0].slot, scaleham::param_b1);
  EXPECT_EQ(c.axes[1].name, "A");
  EXPECT_EQ(c.axes[1].slot, scaleham::param_f_m1);
  EXPECT_EQ(c.axes[1].unit, "K");
  EXPECT_EQ(c.shape(), (std::vector<std::uint64_t>{21, 21}));
  EXPECT_EQ(c.size(), 441u);
  // D·T0 = A/(λ c) ≈ 500 K at the centre of the grid.
  EXPECT_DOUBLE_EQ(
      c.base[scaleham::param_f_m1] / (c.base[scaleham::param_b1] * c.base[scaleham::param_c]),
      500.0);
  EXPECT_DOUBLE_EQ(c.axes[0].coordinates()[10], 0.1);
  EXPECT_DOUBLE_EQ(c.axes[1].coordinates()[10], 50.0);
  EXPECT_EQ(c.base[scaleham::param_T0], 400.0);
  EXPECT_TRUE(c.settings.p0_on_manifold);
  // The temperature grid and the fit are written out, at their defaults.
  const auto& r = c.settings.relaxation;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.n_T, 32);
  EXPECT_EQ(r.T_min, 420.0);
  EXPECT_EQ(r.T_max, 700.0);
  EXPECT_EQ(r.T_ref, 700.0);
  EXPECT_EQ(r.log_tau0, std::log(1e-14));
  EXPECT_EQ(r.fit.tg_log_level, std::log(100.0));
  EXPECT_EQ(r.fit.max_iterations, 200);
  EXPECT_EQ(r.fit.scan_points, 48);
  EXPECT_TRUE(c.output.fit);
  EXPECT_FALSE(c.output.curves);
}

TEST(Config, NonlinearBetaExampleSweepsLambdaAndValuesOfB2) {
  const sweep_config c =
      scaleham::parse_config_file((examples_dir / "nonlinear-beta.toml").string());
  ASSERT_EQ(c.axes.size(), 2u);
  EXPECT_EQ(c.axes[1].slot, scaleham::param_b2);
  EXPECT_EQ(c.axes[1].kind, axis_kind::values);
  EXPECT_EQ(c.axes[1].count, 5);
  EXPECT_EQ(c.axes[1].coordinates(), c.axes[1].values);
  EXPECT_EQ(c.shape(), (std::vector<std::uint64_t>{11, 5}));
  EXPECT_EQ(c.settings.events.g_max, 1e4);
  // b2 = 0 (the VFT law) is among the values, so the sweep has its reference.
  EXPECT_NE(std::find(c.axes[1].values.begin(), c.axes[1].values.end(), 0.0),
            c.axes[1].values.end());
  EXPECT_TRUE(c.output.fit);
  EXPECT_TRUE(c.output.curves);
  // Every curve stays below the second zero of beta, g* = lambda / |b2|.
  const auto& r = c.settings.relaxation;
  const double lambda_min = c.axes[0].coordinates().front();
  for (double b2 : c.axes[1].values)
    if (b2 != 0) {
      EXPECT_LT(c.base[scaleham::param_c] * (r.T_max - c.base[scaleham::param_T0]),
                lambda_min / std::fabs(b2));
    }
}

TEST(Config, HaltonExampleSamplesABox) {
  const sweep_config c =
      scaleham::parse_config_file((examples_dir / "halton-random.toml").string());
  EXPECT_TRUE(c.random);
  EXPECT_EQ(c.random_points, 4096u);
  EXPECT_EQ(c.size(), 4096u);
  EXPECT_EQ(c.shape(), (std::vector<std::uint64_t>{4096}));
  ASSERT_EQ(c.axes.size(), 3u);
  EXPECT_EQ(c.axes[1].kind, axis_kind::logspace);
  EXPECT_EQ(c.axes[1].lo, 10.0);
  EXPECT_EQ(c.axes[1].hi, 100.0);
  EXPECT_EQ(c.axes[2].slot, scaleham::param_g0);
  EXPECT_EQ(c.axes[2].unit, "K");
}

// --- defaults and where values land ----------------------------------------------

TEST(Config, EmptyConfigIsThePaperModelAtOnePointWithDocumentedDefaults) {
  const sweep_config c = parse("");
  for (int s = 0; s < scaleham::param_count; ++s) {
    const double expected = s == scaleham::param_b1     ? 0.1
                            : s == scaleham::param_f_m1 ? 50.0
                            : s == scaleham::param_g0   ? 1.0
                            : s == scaleham::param_ell  ? 10.0
                            : s == scaleham::param_T0   ? 400.0
                            : s == scaleham::param_c    ? 1.0
                                                        : 0.0;
    EXPECT_EQ(c.base[s], expected) << scaleham::param_name(s);
  }
  const auto& s = c.settings;
  EXPECT_EQ(s.method, scaleham::integrator::dopri5);
  EXPECT_EQ(s.dopri5.rtol, 1e-10);
  EXPECT_EQ(s.dopri5.atol, 1e-12);
  EXPECT_EQ(s.dopri5.max_steps, 100000);
  EXPECT_EQ(s.rk4_steps, 1000);
  EXPECT_EQ(s.events.g_min, 0.0);
  EXPECT_EQ(s.events.g_max, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(s.events.use_target);
  EXPECT_TRUE(s.p0_on_manifold);
  EXPECT_EQ(s.quadrature.rtol, 1e-11);
  EXPECT_EQ(s.quadrature.atol, 0.0);
  EXPECT_EQ(s.quadrature.max_intervals, scaleham::quadrature_capacity);
  EXPECT_TRUE(s.relaxation.enabled);
  EXPECT_EQ(s.relaxation.n_T, 32);
  EXPECT_EQ(s.relaxation.T_min, 420.0);
  EXPECT_EQ(s.relaxation.T_max, 700.0);
  EXPECT_EQ(s.relaxation.T_ref, 700.0);  // = T_max
  EXPECT_EQ(s.relaxation.log_tau0, std::log(1e-14));
  EXPECT_EQ(s.relaxation.fit.tg_log_level, std::log(100.0));
  EXPECT_EQ(s.relaxation.fit.max_iterations, 200);
  EXPECT_EQ(s.relaxation.fit.scan_points, 48);
  EXPECT_TRUE(c.output.flow);
  EXPECT_TRUE(c.output.hj);
  EXPECT_TRUE(c.output.fit);
  EXPECT_FALSE(c.output.curves);
  EXPECT_EQ(c.output.compression, 4);
  EXPECT_FALSE(c.random);
  EXPECT_TRUE(c.axes.empty());
  EXPECT_TRUE(c.shape().empty());
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.source_text, "");
  EXPECT_TRUE(scaleham::valid_options(s.dopri5));
  EXPECT_TRUE(scaleham::valid_options(s.quadrature));
}

TEST(Config, UnitsFollowFromGInKelvin) {
  const sweep_config c = parse("");
  using namespace scaleham;
  const std::pair<param, const char*> expected[] = {
      {param_b0, "K"},     {param_b1, "1"},   {param_b2, "1/K"}, {param_b4, "K^-3"},
      {param_f_m2, "K^2"}, {param_f_m1, "K"}, {param_f0, "1"},   {param_f1, "1/K"},
      {param_f2, "K^-2"},  {param_g0, "K"},   {param_p0, "1/K"}, {param_ell, "1"},
      {param_T0, "K"},     {param_c, "1"}};
  for (const auto& [slot, unit] : expected) EXPECT_EQ(c.units[slot], unit) << param_name(slot);
}

TEST(Config, AliasesAndGeneralNamesLandInTheirSlots) {
  const sweep_config paper = parse("[model]\nlambda = 0.2\nA = 7\n");
  EXPECT_EQ(paper.base[scaleham::param_b1], 0.2);
  EXPECT_EQ(paper.base[scaleham::param_f_m1], 7.0);  // an integer is a number

  const sweep_config general = parse(
      "[model]\nb0 = 1\nb1 = 2\nb4 = 3\nf_m4 = 4\nf_m2 = 5\nf_m1 = 6\nf0 = 7\nf4 = 8\n"
      "[temperature]\nT0 = 350\nc = 2.5\n");
  using namespace scaleham;
  EXPECT_EQ(general.base[param_b0], 1.0);
  EXPECT_EQ(general.base[param_b1], 2.0);
  EXPECT_EQ(general.base[param_b4], 3.0);
  EXPECT_EQ(general.base[param_f_m4], 4.0);
  EXPECT_EQ(general.base[param_f_m2], 5.0);
  EXPECT_EQ(general.base[param_f_m1], 6.0);
  EXPECT_EQ(general.base[param_f0], 7.0);
  EXPECT_EQ(general.base[param_f4], 8.0);
  EXPECT_EQ(general.base[param_T0], 350.0);
  EXPECT_EQ(general.base[param_c], 2.5);
  // The model the core builds puts them where the physics expects them.
  const model<double> m = model_from(general.base.data());
  EXPECT_EQ(m.beta.b[4], 3.0);
  EXPECT_EQ(m.F.coeff(-2), 5.0);
}

TEST(Config, FlowActionAndOutputSettingsLandInTheSettings) {
  const sweep_config c = parse(R"(
[flow]
g0 = 2.5
p0 = -0.25
ell = -3
integrator = "rk4"
rk4_steps = 250
rtol = 1e-9
atol = 0
max_steps = 500
g_min = -inf
g_max = 1e3
g_target = 10
[action]
rtol = 0
atol = 1e-14
max_intervals = 16
[output]
flow = false
hj = true
compression = 0
)");
  const auto& s = c.settings;
  EXPECT_EQ(c.base[scaleham::param_g0], 2.5);
  EXPECT_EQ(c.base[scaleham::param_p0], -0.25);
  EXPECT_FALSE(s.p0_on_manifold);
  EXPECT_EQ(c.base[scaleham::param_ell], -3.0);
  EXPECT_EQ(s.method, scaleham::integrator::rk4);
  EXPECT_EQ(s.rk4_steps, 250);
  EXPECT_EQ(s.dopri5.rtol, 1e-9);
  EXPECT_EQ(s.dopri5.atol, 0.0);
  EXPECT_EQ(s.dopri5.max_steps, 500);
  EXPECT_EQ(s.events.g_min, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.events.g_max, 1e3);
  EXPECT_TRUE(s.events.use_target);
  EXPECT_EQ(s.events.g_target, 10.0);
  EXPECT_EQ(s.quadrature.rtol, 0.0);
  EXPECT_EQ(s.quadrature.atol, 1e-14);
  EXPECT_EQ(s.quadrature.max_intervals, 16);
  EXPECT_FALSE(c.output.flow);
  EXPECT_TRUE(c.output.hj);
  EXPECT_EQ(c.output.compression, 0);
}

TEST(Config, TemperatureGridAndFitSettingsLandInTheRelaxationSettings) {
  const sweep_config c = parse(R"(
[temperature]
T0 = 300
c = 2
T_min = 310.5
T_max = 480
points = 64
T_ref = 450
tau0 = 2e-13
[fit]
enabled = true
tg_tau = 1000
max_iterations = 7
scan_points = 2
[output]
fit = true
curves = true
)");
  const auto& r = c.settings.relaxation;
  EXPECT_EQ(c.base[scaleham::param_T0], 300.0);
  EXPECT_EQ(c.base[scaleham::param_c], 2.0);
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.T_min, 310.5);
  EXPECT_EQ(r.T_max, 480.0);
  EXPECT_EQ(r.n_T, scaleham::max_curve_points);
  EXPECT_EQ(r.T_ref, 450.0);
  EXPECT_EQ(r.log_tau0, std::log(2e-13));
  EXPECT_EQ(r.fit.tg_log_level, std::log(1000.0));
  EXPECT_EQ(r.fit.max_iterations, 7);
  EXPECT_EQ(r.fit.scan_points, 2);
  EXPECT_TRUE(c.output.fit);
  EXPECT_TRUE(c.output.curves);
  // The grid the backends evaluate: both ends exact.
  EXPECT_EQ(r.temperature(0), 310.5);
  EXPECT_EQ(r.temperature(r.n_T - 1), 480.0);

  // T_ref follows T_max unless given; points = 4 is the least a fit takes.
  const sweep_config d = parse("[temperature]\nT_max = 650\npoints = 4\n");
  EXPECT_EQ(d.settings.relaxation.T_ref, 650.0);
  EXPECT_EQ(d.settings.relaxation.n_T, 4);
  // T_ref may lie outside [T_min, T_max]; T_min may lie below T0 (those
  // points' curves report a status instead).
  EXPECT_NO_THROW(parse("[temperature]\nT0 = 430\nT_ref = 1000\n"));
  EXPECT_NO_THROW(parse("[[grid.axis]]\nname = \"T0\"\nvalues = [300, 500, 650]\n"));
}

TEST(Config, FitDisabledSwitchesOffCurvesAndFitsAndTheirChecks) {
  const sweep_config c = parse("[fit]\nenabled = false\n");
  EXPECT_FALSE(c.settings.relaxation.enabled);
  EXPECT_FALSE(c.output.fit);
  EXPECT_FALSE(c.output.curves);
  EXPECT_NO_THROW(parse("[fit]\nenabled = false\n[output]\nfit = false\ncurves = false\n"));
  // Without curves there is no reference temperature to check.
  EXPECT_NO_THROW(parse("[fit]\nenabled = false\n[temperature]\nT0 = 900\n"));
  // Fits on, /fit not written: allowed (the numbers are computed, not stored).
  const sweep_config d = parse("[output]\nfit = false\n");
  EXPECT_TRUE(d.settings.relaxation.enabled);
  EXPECT_FALSE(d.output.fit);
}

TEST(Config, AxesKeepTheUsersNameTheirSlotAndADefaultOrGivenUnit) {
  const sweep_config c = parse(R"(
[flow]
p0 = 0.0
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 3]
[[grid.axis]]
name = "f_m1"
logspace = [1, 100, 5]
unit = "kelvin"
[[grid.axis]]
name = "p0"
values = [-1, 0.5]
[[grid.axis]]
name = "T0"
linspace = [300, 300, 1]
)");
  ASSERT_EQ(c.axes.size(), 4u);
  EXPECT_EQ(c.axes[0].name, "lambda");
  EXPECT_EQ(c.axes[0].slot, scaleham::param_b1);
  EXPECT_EQ(c.axes[0].unit, "1");
  EXPECT_EQ(c.axes[1].slot, scaleham::param_f_m1);
  EXPECT_EQ(c.axes[1].kind, axis_kind::logspace);
  EXPECT_EQ(c.axes[1].unit, "kelvin");
  EXPECT_EQ(c.axes[2].slot, scaleham::param_p0);
  EXPECT_EQ(c.axes[2].unit, "1/K");
  EXPECT_EQ(c.axes[2].count, 2);
  EXPECT_EQ(c.axes[3].count, 1);
  EXPECT_EQ(c.shape(), (std::vector<std::uint64_t>{3, 5, 2, 1}));
  EXPECT_EQ(c.size(), 30u);
}

TEST(Config, CoordinatesHitTheEndpointsExactly) {
  const sweep_config c = parse(R"(
[[grid.axis]]
name = "lambda"
linspace = [0.05, 0.15, 21]
[[grid.axis]]
name = "A"
logspace = [1e-3, 7, 9]
[[grid.axis]]
name = "b2"
values = [3, -1e-3, 0]
[[grid.axis]]
name = "T0"
linspace = [250, 999, 1]
)");
  const std::vector<double> lin = c.axes[0].coordinates();
  ASSERT_EQ(lin.size(), 21u);
  EXPECT_EQ(lin.front(), 0.05);
  EXPECT_EQ(lin.back(), 0.15);
  EXPECT_NEAR(lin[10], 0.1, 1e-16);
  const std::vector<double> log = c.axes[1].coordinates();
  ASSERT_EQ(log.size(), 9u);
  EXPECT_EQ(log.front(), 1e-3);
  EXPECT_EQ(log.back(), 7.0);
  for (std::size_t i = 1; i + 1 < log.size(); ++i)  // geometric: constant ratio
    EXPECT_NEAR(log[i + 1] / log[i], log[1] / log[0], 1e-13);
  EXPECT_EQ(c.axes[2].coordinates(), (std::vector<double>{3, -1e-3, 0}));
  EXPECT_EQ(c.axes[3].coordinates(), (std::vector<double>{250}));  // count 1: lo, as numpy
}

TEST(Config, HaltonAxesAreABoxWithoutCounts) {
  const sweep_config c = parse(R"(
[grid]
sampling = "halton"
points = 100
[[grid.axis]]
name = "g0"
linspace = [5, 2]
)");
  EXPECT_TRUE(c.random);
  EXPECT_EQ(c.size(), 100u);
  EXPECT_EQ(c.axes[0].count, 0);
  EXPECT_EQ(c.axes[0].lo, 5.0);
  EXPECT_EQ(c.axes[0].hi, 2.0);
  EXPECT_TRUE(c.axes[0].coordinates().empty());
}

TEST(Config, LargestGridThatFitsA64BitIndexIsAccepted) {
  // 2^32 × (2^32 − 1) < 2^64.
  const sweep_config c = parse(R"(
[[grid.axis]]
name = "b0"
linspace = [0, 1, 4294967296]
[[grid.axis]]
name = "b2"
linspace = [0, 1, 4294967295]
)");
  EXPECT_EQ(c.size(), 4294967296ull * 4294967295ull);
}

// --- errors: one test per class ---------------------------------------------------

TEST(ConfigErrors, SyntaxErrorNamesTheLine) {
  try {
    parse("[flow]\nrtol = 1e-9\ng0 = = 3\n");
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("test.toml:3: TOML syntax error", 0), 0u) << e.what();
  }
}

// toml++ 3.3.0 (Debian 12) classifies some non-ASCII code points as whitespace
// through __builtin_unreachable() (marzer/tomlplusplus#295, found by
// tests/fuzz/fuzz_config). The library as built by Debian rejects them
// cleanly; this pins that down for the characters a user is likely to type.
TEST(ConfigErrors, NonAsciiOutsideStringsIsASyntaxError) {
  for (const std::string& text : {std::string("[model]\n\xce\xbb = 0.1\n"),           // λ = 0.1
                                  std::string("[model]\nlambda = 0.1 \xce\xbb\n"),     // trailing λ
                                  std::string("[output]\nrtolm \xc3\xa1" "1e-8\n"),    // fuzzer's input
                                  std::string("[temperature]\n\xcf\x84" "0 = 1\n")}) { // τ0 = 1
    try {
      parse(text);
      ADD_FAILURE() << "no error for:\n" << text;
    } catch (const config_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("test.toml:2: TOML syntax error", 0), 0u) << e.what();
    }
  }
  // In comments and strings they are fine.
  const sweep_config config = parse(
      "# \xce\xbb sweep \xc2\xa7\n[[grid.axis]]\nname = \"lambda\"  # \xce\xbb\n"
      "unit = \"\xce\xbb\xc2\xb7K\"\nlinspace = [0.05, 0.15, 3]\n");
  EXPECT_EQ(config.axes.at(0).unit, "\xce\xbb\xc2\xb7K");
}

TEST(ConfigErrors, UnreadableFileNamesThePath) {
  const std::string missing = "/nonexistent/dir/sweep.toml";
  try {
    scaleham::parse_config_file(missing);
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW(scaleham::parse_config_file(examples_dir.string()), config_error);
}

TEST(ConfigErrors, UnknownSectionSuggestsTheClosest) {
  EXPECT_TRUE(fails_at("[model]\nlambda = 0.1\n\n[flwo]\nrtol = 1e-9\n", 4, "flwo",
                       "unknown section (did you mean 'flow'?)"));
  EXPECT_TRUE(fails_at("rtol = 1e-9\n", 1, "rtol", "belongs in [flow] or [action]"));
}

TEST(ConfigErrors, UnknownKeySuggestsTheClosest) {
  EXPECT_TRUE(fails_at("[flow]\ng0 = 1\nrtlo = 1e-9\n", 3, "flow.rtlo", "did you mean 'rtol'?"));
  EXPECT_TRUE(fails_at("[model]\nlamda = 0.2\n", 2, "model.lamda", "did you mean 'lambda'?"));
  // Far from every key: the message lists what is valid.
  EXPECT_TRUE(fails_at("[output]\nzzzzzzzz = 1\n", 2, "output.zzzzzzzz", "'compression'"));
  // A parameter in the wrong section is unknown there.
  EXPECT_TRUE(fails_at("[flow]\nlambda = 0.2\n", 2, "flow.lambda", "unknown key"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nlinspace = [1, 2, 3]\nunits = \"K\"\n", 4,
                       "grid.axis[0].units", "did you mean 'unit'?"));
}

TEST(ConfigErrors, WrongTypesAreNamed) {
  EXPECT_TRUE(
      fails_at("[model]\nA = \"fifty\"\n", 2, "model.A", "expected a number, got a string"));
  EXPECT_TRUE(fails_at("[flow]\nmax_steps = 100.0\n", 2, "flow.max_steps",
                       "expected an integer, got the float 100"));
  EXPECT_TRUE(fails_at("[output]\nhj = 1\n", 2, "output.hj", "expected true or false"));
  EXPECT_TRUE(fails_at("[flow]\nintegrator = 4\n", 2, "flow.integrator", "expected a string"));
  EXPECT_TRUE(fails_at("flow = 3\n", 1, "flow", "expected a section [flow]"));
  EXPECT_TRUE(fails_at("[grid]\naxis = 3\n", 2, "grid.axis", "[[grid.axis]]"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nlinspace = [1, 2, 3.0]\n", 3,
                       "grid.axis[0].linspace", "expected an integer"));
}

TEST(ConfigErrors, UnknownChoicesSuggestTheClosest) {
  EXPECT_TRUE(
      fails_at("[flow]\nintegrator = \"dopri\"\n", 2, "flow.integrator", "did you mean 'dopri5'?"));
  EXPECT_TRUE(
      fails_at("[flow]\np0 = \"on-manifold\"\n", 2, "flow.p0", "did you mean 'on_manifold'?"));
  EXPECT_TRUE(fails_at("[grid]\nsampling = \"sobol\"\n", 2, "grid.sampling", "'halton'"));
}

TEST(ConfigErrors, TolerancesAreCheckedByTheCoresRules) {
  EXPECT_TRUE(fails_at("[flow]\nrtol = -1\n", 2, "flow.rtol", "got -1"));
  EXPECT_TRUE(fails_at("[flow]\nrtol = 1\n", 2, "flow.rtol", "[10 eps, 1)"));
  EXPECT_TRUE(fails_at("[flow]\nrtol = 1e-17\n", 2, "flow.rtol", "got 1e-17"));
  EXPECT_TRUE(fails_at("[flow]\natol = -1e-3\n", 2, "flow.atol", ">= 0"));
  EXPECT_TRUE(fails_at("[flow]\nrtol = 0\natol = 0\n", 2, "flow.rtol", "both 0"));
  EXPECT_TRUE(fails_at("[action]\nrtol = 0\n", 2, "action.rtol", "both 0"));
  EXPECT_TRUE(fails_at("[action]\nrtol = nan\n", 2, "action.rtol", "[0, 1)"));
  EXPECT_TRUE(fails_at("[action]\natol = inf\n", 2, "action.atol", "finite"));
}

TEST(ConfigErrors, IntegerSettingsOutOfRange) {
  EXPECT_TRUE(fails_at("[flow]\nmax_steps = 0\n", 2, "flow.max_steps", "got 0"));
  EXPECT_TRUE(fails_at("[flow]\nrk4_steps = 3000000000\n", 2, "flow.rk4_steps", "1..2147483647"));
  EXPECT_TRUE(fails_at("[action]\nmax_intervals = 65\n", 2, "action.max_intervals", "1..64"));
  EXPECT_TRUE(fails_at("[output]\ncompression = 10\n", 2, "output.compression", "0..9, got 10"));
}

TEST(ConfigErrors, NonFiniteAndInadmissibleParameterValues) {
  EXPECT_TRUE(fails_at("[model]\nb2 = nan\n", 2, "model.b2", "must be finite"));
  EXPECT_TRUE(fails_at("[flow]\ng0 = inf\n", 2, "flow.g0", "must be finite"));
  EXPECT_TRUE(fails_at("[flow]\nell = 0\n", 2, "flow.ell", "nonzero"));
  EXPECT_TRUE(fails_at("[temperature]\nc = 0\n", 2, "temperature.c", "> 0"));
  EXPECT_TRUE(fails_at("[temperature]\nT0 = -1\n", 2, "temperature.T0", ">= 0"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"c\"\nlinspace = [-1, 1, 3]\n", 3,
                       "grid.axis[0].linspace", "> 0, got -1"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nvalues = [1, nan]\n", 3, "grid.axis[0].values",
                       "must be finite"));
}

TEST(ConfigErrors, AliasAndGeneralNameTogether) {
  EXPECT_TRUE(fails_at("[model]\nb1 = 0.1\nA = 3\nlambda = 0.2\n", 4, "model.lambda",
                       "same parameter as 'model.b1' (line 2)"));
  EXPECT_TRUE(fails_at("[model]\nlambda = 0.2\nb1 = 0.1\n", 3, "model.b1",
                       "same parameter as 'model.lambda' (line 2)"));
}

TEST(ConfigErrors, DomainOfTheFlow) {
  EXPECT_TRUE(fails_at("[flow]\ng_min = 1\ng_max = 1\n", 3, "flow.g_max", "g_max must be > g_min"));
  EXPECT_TRUE(fails_at("[flow]\ng_min = nan\n", 2, "flow.g_min", "nan"));
  EXPECT_TRUE(fails_at("[flow]\ng0 = -5\n", 2, "flow.g0", "outside the domain"));
  EXPECT_TRUE(fails_at("[flow]\ng_min = 2\n", 1, "flow.g0", "(the default) is outside"));
  EXPECT_TRUE(fails_at("[flow]\ng_max = 10\ng_target = 20\n", 3, "flow.g_target", "reachable"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"g0\"\nvalues = [1, 2, 0]\n", 3,
                       "grid.axis[0].values", "g0 = 0 is outside"));
}

TEST(ConfigErrors, AxisNamesMustBeKnownAndUnique) {
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"lamda\"\nlinspace = [1, 2, 3]\n", 2,
                       "grid.axis[0].name", "unknown parameter 'lamda' (did you mean 'lambda'?)"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nlinspace = [1, 2, 3]\n", 1, "grid.axis[0].name", "missing"));
  EXPECT_TRUE(fails_at(
      "[[grid.axis]]\nname = \"lambda\"\nlinspace = [1, 2, 3]\n\n[[grid.axis]]\nname = \"b1\"\n"
      "values = [1]\n",
      6, "grid.axis[1].name", "same parameter as axis 'lambda' (line 1)"));
  EXPECT_TRUE(
      fails_at("[[grid.axis]]\nname = \"p0\"\nvalues = [1]\n", 2, "grid.axis[0].name", "flow.p0"));
}

TEST(ConfigErrors, AxisRangesAndValues) {
  const std::string head = "[[grid.axis]]\nname = \"A\"\n";
  EXPECT_TRUE(fails_at(head + "linspace = [1, 2, 0]\n", 3, "grid.axis[0].linspace", ">= 1, got 0"));
  EXPECT_TRUE(
      fails_at(head + "linspace = [1, 2]\n", 3, "grid.axis[0].linspace", "[lo, hi, count]"));
  EXPECT_TRUE(fails_at(head + "linspace = [3, 3, 2]\n", 3, "grid.axis[0].linspace", "no extent"));
  EXPECT_TRUE(fails_at(head + "logspace = [0, 2, 5]\n", 3, "grid.axis[0].logspace", "lo > 0"));
  EXPECT_TRUE(fails_at(head + "values = []\n", 3, "grid.axis[0].values", "non-empty"));
  EXPECT_TRUE(
      fails_at(head + "values = [1, \"x\"]\n", 3, "grid.axis[0].values", "expected a number"));
  EXPECT_TRUE(fails_at(head + "linspace = [1, 2, 3]\nvalues = [1]\n", 4, "grid.axis[0].values",
                       "only one of"));
  EXPECT_TRUE(fails_at(head + "unit = \"K\"\n", 1, "grid.axis[0]", "needs one of"));
}

TEST(ConfigErrors, TooManyAxes) {
  const char* names[] = {"b0", "b1", "b2", "b3", "b4", "f0", "f1", "f2", "f3"};
  std::string text;
  for (const char* name : names)
    text += std::string("[[grid.axis]]\nname = \"") + name + "\"\nvalues = [1]\n";
  EXPECT_TRUE(fails_at(text, 25, "grid.axis[8]", "at most 8"));
}

TEST(ConfigErrors, GridTooLargeForA64BitIndex) {
  EXPECT_TRUE(
      fails_at("[[grid.axis]]\nname = \"b0\"\nlinspace = [0, 1, 4294967296]\n"
               "[[grid.axis]]\nname = \"b2\"\nlinspace = [0, 1, 4294967296]\n",
               4, "grid.axis[1]", "64-bit"));
}

TEST(ConfigErrors, HaltonSamplingRules) {
  EXPECT_TRUE(
      fails_at("[grid]\nsampling = \"halton\"\n[[grid.axis]]\nname = \"A\"\nlinspace = [1, 2]\n", 1,
               "grid.points", "missing"));
  EXPECT_TRUE(
      fails_at("[grid]\npoints = 10\n", 2, "grid.points", "only with sampling = \"halton\""));
  const std::string halton =
      "[grid]\nsampling = \"halton\"\npoints = 8\n[[grid.axis]]\nname = \"A\"\n";
  EXPECT_TRUE(fails_at(halton + "linspace = [1, 2, 3]\n", 6, "grid.axis[0].linspace", "[lo, hi]"));
  EXPECT_TRUE(fails_at(halton + "values = [1, 2]\n", 6, "grid.axis[0].values", "linspace"));
  EXPECT_TRUE(fails_at(halton + "logspace = [2, 2]\n", 6, "grid.axis[0].logspace", "no extent"));
  EXPECT_TRUE(fails_at("[grid]\nsampling = \"halton\"\npoints = 0\n", 3, "grid.points", ">= 1"));
  EXPECT_TRUE(
      fails_at("[grid]\nsampling = \"halton\"\npoints = 5\n", 1, "grid.axis", "at least one"));
}

TEST(ConfigErrors, TemperatureGrid) {
  EXPECT_TRUE(fails_at("[temperature]\nT_min = 0\n", 2, "temperature.T_min", "> 0, got 0"));
  EXPECT_TRUE(fails_at("[temperature]\nT_min = -inf\n", 2, "temperature.T_min", "finite"));
  EXPECT_TRUE(fails_at("[temperature]\nT_min = 500\nT_max = 500\n", 3, "temperature.T_max",
                       "T_max must be > T_min, got T_min = 500 K, T_max = 500 K"));
  EXPECT_TRUE(fails_at("[temperature]\nT_min = 800\n", 2, "temperature.T_min",
                       "T_max = 700 K (the default)"));
  EXPECT_TRUE(fails_at("[temperature]\nT_max = nan\n", 2, "temperature.T_max", "finite"));
  EXPECT_TRUE(fails_at("[temperature]\npoints = 3\n", 2, "temperature.points", "4..64, got 3"));
  EXPECT_TRUE(fails_at("[temperature]\npoints = 65\n", 2, "temperature.points", "4..64, got 65"));
  EXPECT_TRUE(
      fails_at("[temperature]\npoints = 32.0\n", 2, "temperature.points", "expected an integer"));
  EXPECT_TRUE(fails_at("[temperature]\ntau0 = 0\n", 2, "temperature.tau0", "> 0, got 0"));
  EXPECT_TRUE(fails_at("[temperature]\ntau0 = inf\n", 2, "temperature.tau0", "finite"));
  EXPECT_TRUE(
      fails_at("[temperature]\nT_ref = \"top\"\n", 2, "temperature.T_ref", "expected a number"));
  EXPECT_TRUE(
      fails_at("[temperature]\nT_mni = 400\n", 2, "temperature.T_mni", "did you mean 'T_min'?"));
  EXPECT_TRUE(fails_at("tau0 = 1e-13\n", 1, "tau0", "belongs in [temperature]"));
}

TEST(ConfigErrors, ReferenceTemperatureMustBeAboveEveryT0) {
  // Given T_ref: it is blamed.
  EXPECT_TRUE(fails_at(
      "[temperature]\nT0 = 400\nT_ref = 400\n", 3, "temperature.T_ref",
      "must be above T0 (temperature.T0, line 2) = 400 K so that g_ref = c (T_ref - T0) > 0"));
  // T_ref from T_max: T_max is blamed.
  EXPECT_TRUE(fails_at("[temperature]\nT_min = 100\nT_max = 350\n", 3, "temperature.T_max",
                       "T_ref defaults to T_max"));
  // Both defaulted: T0 is blamed.
  EXPECT_TRUE(
      fails_at("[temperature]\nc = 1\nT0 = 750\n", 3, "temperature.T0",
               "T0 (temperature.T0, line 3) = 750 K must be below T_ref (default: T_max = 700 K)"));
  // A swept T0: every value counts, whatever the kind of axis.
  EXPECT_TRUE(fails_at(
      "[temperature]\nT_ref = 600\n[[grid.axis]]\nname = \"T0\"\nvalues = [300, 650, 500]\n", 2,
      "temperature.T_ref", "the largest T0 of axis 'T0' (line 3) = 650 K"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"T0\"\nlinspace = [710, 300, 5]\n", 1,
                       "grid.axis[0]",
                       "the largest T0 of axis 'T0' (line 1) = 710 K must be below T_ref"));
  EXPECT_TRUE(
      fails_at("[grid]\nsampling = \"halton\"\npoints = 9\n[[grid.axis]]\nname = \"T0\"\n"
               "linspace = [300, 700]\n",
               4, "grid.axis[0]", "= 700 K"));
  // count = 1: the axis is lo alone.
  EXPECT_NO_THROW(parse("[[grid.axis]]\nname = \"T0\"\nlinspace = [300, 900, 1]\n"));
}

TEST(ConfigErrors, FitSettings) {
  EXPECT_TRUE(fails_at("[fit]\nenabled = \"yes\"\n", 2, "fit.enabled", "expected true or false"));
  EXPECT_TRUE(fails_at("[fit]\ntg_tau = 0\n", 2, "fit.tg_tau", "> 0, got 0"));
  EXPECT_TRUE(fails_at("[fit]\ntg_tau = nan\n", 2, "fit.tg_tau", "finite"));
  EXPECT_TRUE(fails_at("[fit]\nmax_iterations = 0\n", 2, "fit.max_iterations", "got 0"));
  EXPECT_TRUE(fails_at("[fit]\nscan_points = 1\n", 2, "fit.scan_points", "got 1"));
  EXPECT_TRUE(
      fails_at("[fit]\nscan_point = 10\n", 2, "fit.scan_point", "did you mean 'scan_points'?"));
  EXPECT_TRUE(fails_at("[fti]\nenabled = true\n", 1, "fti", "did you mean 'fit'?"));
  EXPECT_TRUE(fails_at("enabled = false\n", 1, "enabled", "belongs in [fit]"));
  // /fit and /curves need the curves that enabled = false switches off.
  EXPECT_TRUE(fails_at("[fit]\nenabled = false\n[output]\nfit = true\n", 4, "output.fit",
                       "[fit] enabled = false (line 2)"));
  EXPECT_TRUE(fails_at("[output]\ncurves = true\n[fit]\nenabled = false\n", 2, "output.curves",
                       "[fit] enabled = false (line 4)"));
  EXPECT_TRUE(fails_at("[output]\ncurves = 1\n", 2, "output.curves", "expected true or false"));
}

TEST(ConfigErrors, BetaIdenticallyZero) {
  EXPECT_TRUE(fails_at("[model]\nlambda = 0\n", 2, "model.lambda", "identically zero"));
  // Sweeping a beta coefficient makes it non-zero somewhere: accepted.
  EXPECT_NO_THROW(parse("[model]\nlambda = 0\n[[grid.axis]]\nname = \"b2\"\nvalues = [0.1]\n"));
}

// Issue 9 item 10: what used to be accepted silently or reported badly.
TEST(ConfigErrors, RepeatedAxisValuesAreRefused) {
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nvalues = [1, 1, 1]\n", 3, "grid.axis[0].values",
                       "value 1 appears twice (elements 1 and 2)"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nvalues = [\n  1.0,\n  2.0,\n  1,\n]\n", 6,
                       "grid.axis[0].values", "elements 1 and 3"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"b0\"\nvalues = [0.0, -0.0]\n", 3, "grid.axis[0].values",
                       "appears twice"));
  EXPECT_NO_THROW(parse("[[grid.axis]]\nname = \"A\"\nvalues = [1, 2, 3]\n"));
}

TEST(ConfigErrors, UnitWithAControlCharacterIsRefused) {
  // HDF5 stores the unit as a C string: "K\0x" would be stored as "K".
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nvalues = [1]\nunit = \"K\\u0000x\"\n", 4,
                       "grid.axis[0].unit", "control character (byte 2 is \\x00)"));
  EXPECT_TRUE(fails_at("[[grid.axis]]\nname = \"A\"\nvalues = [1]\nunit = \"K\\tx\"\n", 4,
                       "grid.axis[0].unit", "control character"));
}

TEST(ConfigErrors, LongKeysAndValuesAreCappedInMessages) {
  const std::string key(100000, 'k');
  try {
    parse("[flow]\n" + key + " = 1\n");
    FAIL() << "no error";
  } catch (const config_error& e) {
    const std::string message = e.what();
    EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
    EXPECT_EQ(message.rfind("test.toml:2: key 'flow." + std::string(75, 'k') + "… (100005 bytes)': unknown key", 0),
              0u)
        << message.substr(0, 400);
  }
  const std::string value(100000, 'v');
  try {
    parse("[flow]\nintegrator = \"" + value + "\"\n");
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_LT(std::string(e.what()).size(), 400u);
    EXPECT_NE(std::string(e.what()).find("(100000 bytes)"), std::string::npos) << e.what();
  }
  // Control characters in a quoted key are escaped, so the whole message prints.
  EXPECT_TRUE(fails_at("[flow]\n\"a\\u001bb\" = 1\n", 2, "flow.a\\x1bb", "unknown key"));
}

TEST(ConfigErrors, BinaryAndUtf16TextIsNamedAsSuch) {
  const auto message_of = [](const std::string& text) {
    try {
      parse(text);
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of(std::string("[flow]\ng0 = 1\0\n", 15)).rfind("test.toml:2: a NUL byte: a binary or UTF-16", 0),
            0u);
  // "[flow]" in UTF-16LE with its byte-order mark.
  const std::string utf16("\xFF\xFE[\0f\0l\0o\0w\0]\0\n\0", 16);
  EXPECT_EQ(message_of(utf16).rfind("test.toml:1: a UTF-16", 0), 0u) << message_of(utf16);
  EXPECT_NE(message_of(utf16.substr(2)).find("binary or UTF-16"), std::string::npos);
}

TEST(ConfigErrors, InputFilesMustBeRegularAndSmall) {
  const auto message_of = [](const std::string& path) {
    try {
      scaleham::parse_config_file(path);
    } catch (const config_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of("/dev/zero"), "/dev/zero: is a character device, not a regular file");
  EXPECT_NE(message_of(examples_dir.string()).find("is a directory, not a regular file"), std::string::npos);
  const std::filesystem::path big = std::filesystem::temp_directory_path() / "scaleham-test-config-too-big.toml";
  { std::ofstream(big) << "# big\n"; }
  std::filesystem::resize_file(big, scaleham::max_config_bytes + 1);
  const std::string big_message = message_of(big.string());
  std::filesystem::remove(big);
  EXPECT_NE(big_message.find("is 1048577 bytes; a configuration may have at most 1048576 (1 MiB)"),
            std::string::npos)
      << big_message;
  const std::filesystem::path loop = std::filesystem::temp_directory_path() / "scaleham-test-config-loop";
  std::filesystem::remove(loop);
  std::filesystem::create_symlink(loop, loop);
  const std::string loop_message = message_of(loop.string());
  std::filesystem::remove(loop);
  EXPECT_NE(loop_message.find("symbolic links"), std::string::npos) << loop_message;
}

}  // namespace
