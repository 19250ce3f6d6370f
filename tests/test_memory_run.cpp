// run_sweep_in_memory (the Python binding's run without an output file): the
// file it builds in memory holds the datasets of run_sweep's file bit for bit,
// nothing is written to disk, progress reaches the observer, and what needs a
// file (several GPUs, --resume) is refused. Runs in the sanitizer build too,
// which has no Python binding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config.hpp"
#include "driver.hpp"
#include "h5_contents.hpp"
#include "scratch_directory.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scaleham;

/// A small paper-model sweep with every group and the curves.
const char* const cartesian_toml = R"(
[model]
lambda = 0.1
A = 50.0
[grid]
axis = [
  { name = "lambda", linspace = [0.05, 0.15, 4] },
  { name = "A", values = [25.0, 50.0, 75.0] },
]
[output]
curves = true
)";

/// The same for --precision float, which cannot reach the default tolerances.
const std::string cartesian_float_toml = std::string(cartesian_toml) + "[flow]\nrtol = 1e-5\n";

const char* const halton_toml = R"(
[model]
lambda = 0.1
A = 50.0
[grid]
sampling = "halton"
points = 23
axis = [
  { name = "lambda", linspace = [0.05, 0.15] },
  { name = "A", logspace = [25.0, 75.0] },
]
)";

void write_bytes(const fs::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class MemoryRun : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(MemoryRun, DatasetsEqualTheFileRunsBitForBitAndNothingIsWritten) {
  const scaleham::testing::scratch_directory scratch("scaleham_memory_run");
  const auto [toml, precision] = GetParam();
  const sweep_config config = parse_config_text(toml, "<test>");
  run_options options;
  options.backend = "cpu";
  options.precision = precision;
  options.quiet = true;
  options.batch_points = 5;  // several batches, the last one short
  options.output_path = (scratch.path() / "file.h5").string();

  // In memory first: the output path is not touched by it.
  const memory_run in_memory = run_sweep_in_memory(config, options);
  EXPECT_TRUE(entries(scratch.path()).empty());
  EXPECT_EQ(in_memory.summary.points, config.size());
  EXPECT_EQ(in_memory.summary.backend, "cpu");
  std::uint64_t counted = 0;
  for (const std::uint64_t n : in_memory.summary.flow_status) counted += n;
  EXPECT_EQ(counted, config.size());
  ASSERT_GT(in_memory.image.size(), 8u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in_memory.image.data()) + 1, 3), "HDF");

  run_sweep(config, options);
  const fs::path image = scratch.path() / "image.h5";
  write_bytes(image, in_memory.image);
  const auto from_file = scaleham::testing::all_datasets(options.output_path);
  const auto from_memory = scaleham::testing::all_datasets(image.string());
  ASSERT_FALSE(from_file.empty());
  ASSERT_EQ(from_file.size(), from_memory.size());
  for (const auto& [name, data] : from_file) {
    ASSERT_EQ(from_memory.count(name), 1u) << name;
    EXPECT_TRUE(from_memory.at(name) == data) << name;
    EXPECT_EQ(from_memory.at(name).dims, data.dims) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Grids, MemoryRun,
                         ::testing::Values(std::make_pair(cartesian_toml, "double"),
                                           std::make_pair(cartesian_float_toml.c_str(), "float"),
                                           std::make_pair(halton_toml, "double")),
                         [](const auto& info) {
                           return std::string(info.param.first == halton_toml ? "Halton" : "Cartesian") + "_" +
                                  info.param.second;
                         });

TEST(MemoryRunProgress, TheObserverSeesEveryBatchUpToTheTotal) {
  const sweep_config config = parse_config_text(cartesian_toml, "<test>");
  run_options options;
  options.backend = "cpu";
  options.batch_points = 5;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  options.observe = [&](std::uint64_t done, std::uint64_t total) { seen.emplace_back(done, total); };
  run_sweep_in_memory(config, options);
  const std::uint64_t batches = (config.size() + 4) / 5;
  ASSERT_GE(seen.size(), batches);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].second, config.size());
    if (i > 0) {
      EXPECT_GE(seen[i].first, seen[i - 1].first);
    }
  }
  EXPECT_GT(seen.front().first, 0u);  // batches are rectangular: at most 5 points
  EXPECT_LE(seen.front().first, 5u);
  EXPECT_EQ(seen.back().first, config.size());
}

TEST(MemoryRunProgress, AnObserverThatThrowsEndsTheRun) {
  const sweep_config config = parse_config_text(cartesian_toml, "<test>");
  run_options options;
  options.backend = "cpu";
  options.batch_points = 5;
  options.observe = [](std::uint64_t done, std::uint64_t) {
    if (done >= 10) throw std::runtime_error("stop here");
  };
  EXPECT_THROW(run_sweep_in_memory(config, options), std::runtime_error);
}

TEST(MemoryRunRefusals, WhatNeedsAFileIsRefused) {
  const sweep_config config = parse_config_text(cartesian_toml, "<test>");
  run_options several_gpus;
  several_gpus.devices = {0, 1};
  EXPECT_THROW(run_sweep_in_memory(config, several_gpus), std::invalid_argument);
  run_options resume;
  resume.resume = true;
  EXPECT_THROW(run_sweep_in_memory(config, resume), std::invalid_argument);
  run_options unknown_precision;
  unknown_precision.precision = "half";
  EXPECT_THROW(run_sweep_in_memory(config, unknown_precision), std::invalid_argument);
}

}  // namespace
