// The batch journal (host/journal.hpp) on its own: what `--resume` relies on.
// Round trip of recorded batches, checksums that reject damaged files, refusal
// to resume a journal of another run (saying what differs), removal, and the
// temporary files a killed writer leaves behind. No sweep runs here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "journal.hpp"
#include "scratch_directory.hpp"
#include "output.hpp"

namespace {

namespace fs = std::filesystem;
using namespace scaleham;

/// A fresh directory per test, removed afterwards.
class Journal : public ::testing::Test {
 protected:
  void SetUp() override { out_ = (dir_ / "out.h5").string(); }

  /// 3 batches of 4 "results" (8 bytes each) and 4 × 2 "curve values" (8 bytes each).
  static journal_manifest manifest() {
    journal_manifest m;
    m.version = "test-1";
    m.config_text = "[flow]\nrtol = 1e-8\n";
    m.precision = "double";
    m.batch_capacity = 4;
    m.points = 12;
    m.batches = 3;
    m.result_bytes = 8;
    m.curve_values = 2;
    return m;
  }
  static constexpr std::uint64_t result_bytes = 4 * 8, curve_bytes = 4 * 2 * 8;

  /// Distinct payloads per batch, so a mix-up shows.
  static std::vector<double> results_of(std::uint64_t k) {
    std::vector<double> r(4);
    std::iota(r.begin(), r.end(), 100.0 * double(k) + 0.25);
    return r;
  }
  static std::vector<double> curves_of(std::uint64_t k) {
    std::vector<double> c(8);
    std::iota(c.begin(), c.end(), -1000.0 * double(k) - 0.5);
    return c;
  }
  static void record(batch_journal& j, std::uint64_t k) {
    const auto r = results_of(k);
    const auto c = curves_of(k);
    j.record(k, r.data(), result_bytes, c.data(), curve_bytes);
  }

  fs::path journal_dir() const { return batch_journal::directory_for(out_); }
  std::vector<fs::path> batch_files() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(journal_dir()))
      if (e.path().filename().string().rfind("batch-", 0) == 0) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
  }

  scaleham::testing::scratch_directory scratch_{"scaleham_journal"};
  const fs::path& dir_ = scratch_.path();
  std::string out_;
};

TEST_F(Journal, DirectoryIsNamedAfterTheOutput) {
  EXPECT_EQ(batch_journal::directory_for("/a/b/out.h5"), "/a/b/out.h5.journal");
  EXPECT_FALSE(batch_journal::exists(out_));
}

TEST_F(Journal, CreateRecordHasReadRoundTrip) {
  auto j = batch_journal::create(out_, manifest());
  EXPECT_TRUE(batch_journal::exists(out_));
  EXPECT_EQ(j.recorded(), 0u);
  record(j, 0);
  record(j, 2);
  EXPECT_TRUE(j.has(0));
  EXPECT_FALSE(j.has(1));
  EXPECT_TRUE(j.has(2));
  EXPECT_FALSE(j.has(3));  // beyond the plan
  EXPECT_EQ(j.recorded(), 2u);

  std::vector<double> r(4), c(8);
  j.read(2, r.data(), result_bytes, c.data(), curve_bytes);
  EXPECT_EQ(r, results_of(2));
  EXPECT_EQ(c, curves_of(2));

  // The manifest reads back exactly as written.
  const journal_manifest m = batch_journal::read_manifest(out_);
  const journal_manifest want = manifest();
  EXPECT_EQ(m.version, want.version);
  EXPECT_EQ(m.config_text, want.config_text);
  EXPECT_EQ(m.precision, want.precision);
  EXPECT_EQ(m.batch_capacity, want.batch_capacity);
  EXPECT_EQ(m.points, want.points);
  EXPECT_EQ(m.batches, want.batches);
  EXPECT_EQ(m.result_bytes, want.result_bytes);
  EXPECT_EQ(m.curve_values, want.curve_values);

  // A resumed journal (a new process) sees the same batches and data.
  auto again = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(again.has(0));
  EXPECT_FALSE(again.has(1));
  EXPECT_TRUE(again.has(2));
  EXPECT_EQ(again.recorded(), 2u);
  again.read(0, r.data(), result_bytes, c.data(), curve_bytes);
  EXPECT_EQ(r, results_of(0));
  EXPECT_EQ(c, curves_of(0));
}

TEST_F(Journal, BatchesWithoutCurvesRoundTrip) {
  journal_manifest m = manifest();
  m.curve_values = 0;
  auto j = batch_journal::create(out_, m);
  const auto r = results_of(1);
  j.record(1, r.data(), result_bytes, nullptr, 0);
  auto again = batch_journal::resume(out_, m);
  ASSERT_TRUE(again.has(1));
  std::vector<double> back(4);
  again.read(1, back.data(), result_bytes, nullptr, 0);
  EXPECT_EQ(back, r);
}

TEST_F(Journal, CreateDiscardsAnOldJournal) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  auto fresh = batch_journal::create(out_, manifest());
  EXPECT_EQ(fresh.recorded(), 0u);
  EXPECT_TRUE(batch_files().empty());
  EXPECT_EQ(batch_journal::resume(out_, manifest()).recorded(), 0u);
}

TEST_F(Journal, FlippedByteMakesABatchMissing) {
  {
    auto j = batch_journal::create(out_, manifest());
    for (std::uint64_t k = 0; k < 3; ++k) record(j, k);
  }
  const auto files = batch_files();
  ASSERT_EQ(files.size(), 3u);
  // Flip one byte of batch 1's payload (the last byte: a curve value).
  {
    std::fstream f(files[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    char byte = 0;
    f.read(&byte, 1);
    byte = char(byte ^ 0x40);
    f.seekp(-1, std::ios::end);
    f.write(&byte, 1);
  }
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(j.has(0));
  EXPECT_FALSE(j.has(1)) << "a damaged batch must be computed again";
  EXPECT_TRUE(j.has(2));
  EXPECT_EQ(j.recorded(), 2u);
}

TEST_F(Journal, TruncatedOrMisnamedBatchIsMissing) {
  {
    auto j = batch_journal::create(out_, manifest());
    for (std::uint64_t k = 0; k < 3; ++k) record(j, k);
  }
  const auto files = batch_files();
  ASSERT_EQ(files.size(), 3u);
  fs::resize_file(files[0], fs::file_size(files[0]) - 1);  // torn write
  fs::resize_file(files[1], 10);                           // torn header
  // Batch 2's file renamed to batch 1's name: the header names batch 2.
  fs::remove(files[1]);
  fs::copy_file(files[2], files[1]);
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_FALSE(j.has(0));
  EXPECT_FALSE(j.has(1));
  EXPECT_TRUE(j.has(2));
}

TEST_F(Journal, RecordingAgainRepairsADamagedBatch) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 1);
  }
  fs::resize_file(batch_files()[0], 20);
  auto j = batch_journal::resume(out_, manifest());
  ASSERT_FALSE(j.has(1));
  record(j, 1);
  auto again = batch_journal::resume(out_, manifest());
  ASSERT_TRUE(again.has(1));
  std::vector<double> r(4), c(8);
  again.read(1, r.data(), result_bytes, c.data(), curve_bytes);
  EXPECT_EQ(r, results_of(1));
  EXPECT_EQ(c, curves_of(1));
}

/// resume() with `changed` must throw output_error whose message contains every `needles`.
void expect_refused(const std::string& out, const journal_manifest& changed,
                    const std::vector<std::string>& needles) {
  try {
    batch_journal::resume(out, changed);
    ADD_FAILURE() << "resume of a mismatching journal did not throw";
  } catch (const output_error& e) {
    const std::string what = e.what();
    for (const auto& needle : needles) EXPECT_NE(what.find(needle), std::string::npos) << what;
    EXPECT_NE(what.find("--force"), std::string::npos) << what;
  }
}

TEST_F(Journal, ResumeRefusesAnotherRunAndSaysWhatDiffers) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
  }
  journal_manifest m = manifest();
  m.config_text += "# an edit\n";
  expect_refused(out_, m, {"different configuration"});

  m = manifest();
  m.precision = "float";
  expect_refused(out_, m, {"--precision double"});

  m = manifest();
  m.version = "test-2";
  expect_refused(out_, m, {"test-1", "test-2"});

  m = manifest();
  m.result_bytes = 4;
  expect_refused(out_, m, {"scaleham test-1"});

  m = manifest();
  m.curve_values = 0;
  expect_refused(out_, m, {"curves"});

  m = manifest();
  m.points = 13;
  expect_refused(out_, m, {"grid"});

  // Refusals change nothing: the recorded batch is still there.
  EXPECT_EQ(batch_journal::resume(out_, manifest()).recorded(), 1u);
}

TEST_F(Journal, ResumeKeepsTheBatchSizeTheRunStartedWith) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 2);
  }
  // A resume that would plan other batches (--batch-points changed): the
  // journal's own plan wins, and its batches stay valid.
  journal_manifest m = manifest();
  m.batch_capacity = 6;
  m.batches = 2;
  auto j = batch_journal::resume(out_, m);
  EXPECT_TRUE(j.has(2));
  EXPECT_EQ(batch_journal::read_manifest(out_).batch_capacity, 4u);
}

TEST_F(Journal, DamagedManifestIsAClearError) {
  batch_journal::create(out_, manifest());
  std::ofstream(journal_dir() / "manifest.json") << "{\"version\": ";
  try {
    batch_journal::resume(out_, manifest());
    ADD_FAILURE() << "resume with a damaged manifest did not throw";
  } catch (const output_error& e) {
    EXPECT_NE(std::string(e.what()).find("manifest.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
}

TEST_F(Journal, ReadOfAFileChangedAfterTheScanThrows) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
  }
  auto j = batch_journal::resume(out_, manifest());
  ASSERT_TRUE(j.has(0));
  fs::resize_file(batch_files()[0], 40);
  std::vector<double> r(4), c(8);
  EXPECT_THROW(j.read(0, r.data(), result_bytes, c.data(), curve_bytes), output_error);
}

TEST_F(Journal, RemoveDeletesTheDirectory) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  record(j, 1);
  ASSERT_TRUE(fs::is_directory(journal_dir()));
  j.remove();
  EXPECT_FALSE(fs::exists(journal_dir()));
  EXPECT_FALSE(batch_journal::exists(out_));
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(dir_), fs::directory_iterator()).size(), 0u);
}

TEST_F(Journal, StaleTemporaryFilesAreIgnored) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
  }
  const auto files = batch_files();
  ASSERT_EQ(files.size(), 1u);
  // A writer killed between write and rename leaves NAME.tmp: for batch 1
  // (a complete copy of a valid batch under the temporary name) and for
  // batch 2 (torn). Neither may count; batch 0 still does.
  const fs::path dir = journal_dir();
  fs::copy_file(files[0], dir / "batch-0000000001.bin.tmp");
  std::ofstream(dir / "batch-0000000002.bin.tmp", std::ios::binary) << "SCHMBAT1 torn";
  std::ofstream(dir / "manifest.json.tmp") << "{";
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(j.has(0));
  EXPECT_FALSE(j.has(1));
  EXPECT_FALSE(j.has(2));
  EXPECT_EQ(j.recorded(), 1u);
  // Recording over a stale temporary works, and the result is valid.
  record(j, 2);
  EXPECT_FALSE(fs::exists(dir / "batch-0000000002.bin.tmp"));
  EXPECT_TRUE(batch_journal::resume(out_, manifest()).has(2));
  j.remove();
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(Journal, RecordFailureIsAnOutputErrorAndKeepsEarlierBatches) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  // Make the temporary name of batch 1 a non-empty directory: open() fails.
  const fs::path blocker = journal_dir() / "batch-0000000001.bin.tmp";
  fs::create_directories(blocker / "x");
  const auto r = results_of(1);
  const auto c = curves_of(1);
  EXPECT_THROW(j.record(1, r.data(), result_bytes, c.data(), curve_bytes), output_error);
  EXPECT_FALSE(j.has(1));
  fs::remove_all(blocker);
  auto again = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(again.has(0));
  EXPECT_FALSE(again.has(1));
}

TEST_F(Journal, MissingManifestIsAnOutputError) {
  EXPECT_THROW(batch_journal::read_manifest(out_), output_error);
  EXPECT_THROW(batch_journal::resume(out_, manifest()), output_error);
}

}  // namespace
