// The batch journal (host/journal.hpp) on its own: what `--resume` relies on.
// Round trip of recorded batches, checksums that reject damaged files, refusal
// to resume a journal of another run (saying what differs), removal, and the
// temporary files a killed writer leaves behind. No sweep runs here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
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
  /// Batch k of the plan these tests use: points [4k, 4k + 4).
  static batch batch_k(std::uint64_t k) { return batch{4 * k, 4}; }
  /// Its file name in the journal (batch files are named by their first point).
  static std::string name_of(std::uint64_t k) {
    char name[40];
    std::snprintf(name, sizeof name, "batch-%020llu.bin", static_cast<unsigned long long>(4 * k));
    return name;
  }
  static void record(batch_journal& j, std::uint64_t k) {
    const auto r = results_of(k);
    const auto c = curves_of(k);
    j.record(batch_k(k), r.data(), result_bytes, c.data(), curve_bytes);
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
  EXPECT_TRUE(j.has(batch_k(0)));
  EXPECT_FALSE(j.has(batch_k(1)));
  EXPECT_TRUE(j.has(batch_k(2)));
  EXPECT_FALSE(j.has(batch_k(3)));  // beyond the plan
  EXPECT_EQ(j.recorded(), 2u);

  std::vector<double> r(4), c(8);
  j.read(batch_k(2), r.data(), result_bytes, c.data(), curve_bytes);
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
  EXPECT_TRUE(again.has(batch_k(0)));
  EXPECT_FALSE(again.has(batch_k(1)));
  EXPECT_TRUE(again.has(batch_k(2)));
  EXPECT_EQ(again.recorded(), 2u);
  again.read(batch_k(0), r.data(), result_bytes, c.data(), curve_bytes);
  EXPECT_EQ(r, results_of(0));
  EXPECT_EQ(c, curves_of(0));
}

TEST_F(Journal, BatchesWithoutCurvesRoundTrip) {
  journal_manifest m = manifest();
  m.curve_values = 0;
  auto j = batch_journal::create(out_, m);
  const auto r = results_of(1);
  j.record(batch_k(1), r.data(), result_bytes, nullptr, 0);
  auto again = batch_journal::resume(out_, m);
  ASSERT_TRUE(again.has(batch_k(1)));
  std::vector<double> back(4);
  again.read(batch_k(1), back.data(), result_bytes, nullptr, 0);
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
  EXPECT_TRUE(j.has(batch_k(0)));
  EXPECT_FALSE(j.has(batch_k(1))) << "a damaged batch must be computed again";
  EXPECT_TRUE(j.has(batch_k(2)));
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
  EXPECT_FALSE(j.has(batch_k(0)));
  EXPECT_FALSE(j.has(batch_k(1)));
  EXPECT_TRUE(j.has(batch_k(2)));
}

TEST_F(Journal, RecordingAgainRepairsADamagedBatch) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 1);
  }
  fs::resize_file(batch_files()[0], 20);
  auto j = batch_journal::resume(out_, manifest());
  ASSERT_FALSE(j.has(batch_k(1)));
  record(j, 1);
  auto again = batch_journal::resume(out_, manifest());
  ASSERT_TRUE(again.has(batch_k(1)));
  std::vector<double> r(4), c(8);
  again.read(batch_k(1), r.data(), result_bytes, c.data(), curve_bytes);
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
  EXPECT_TRUE(j.has(batch_k(2)));
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
  ASSERT_TRUE(j.has(batch_k(0)));
  fs::resize_file(batch_files()[0], 40);
  std::vector<double> r(4), c(8);
  EXPECT_THROW(j.read(batch_k(0), r.data(), result_bytes, c.data(), curve_bytes), output_error);
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
  fs::copy_file(files[0], dir / (name_of(1) + ".tmp"));
  std::ofstream(dir / (name_of(2) + ".tmp"), std::ios::binary) << "SCHMBAT1 torn";
  std::ofstream(dir / "manifest.json.tmp") << "{";
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(j.has(batch_k(0)));
  EXPECT_FALSE(j.has(batch_k(1)));
  EXPECT_FALSE(j.has(batch_k(2)));
  EXPECT_EQ(j.recorded(), 1u);
  // Recording over a stale temporary works, and the result is valid.
  record(j, 2);
  EXPECT_FALSE(fs::exists(dir / (name_of(2) + ".tmp")));
  EXPECT_TRUE(batch_journal::resume(out_, manifest()).has(batch_k(2)));
  j.remove();
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(Journal, RecordFailureIsAnOutputErrorAndKeepsEarlierBatches) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  // Make the temporary name of batch 1 a non-empty directory: open() fails.
  const fs::path blocker = journal_dir() / (name_of(1) + ".tmp");
  fs::create_directories(blocker / "x");
  const auto r = results_of(1);
  const auto c = curves_of(1);
  EXPECT_THROW(j.record(batch_k(1), r.data(), result_bytes, c.data(), curve_bytes), output_error);
  EXPECT_FALSE(j.has(batch_k(1)));
  fs::remove_all(blocker);
  auto again = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(again.has(batch_k(0)));
  EXPECT_FALSE(again.has(batch_k(1)));
}

TEST_F(Journal, MissingManifestIsAnOutputError) {
  EXPECT_THROW(batch_journal::read_manifest(out_), output_error);
  EXPECT_THROW(batch_journal::resume(out_, manifest()), output_error);
}

// --- issue 9, items 6 and 7 -------------------------------------------------------

TEST_F(Journal, BatchFileOfAnotherRunIsRejectedEvenWithTheSameLayout) {
  // Another journal of the same layout: another config, and another run of
  // the same config. Their batch files pass their own checksums, but carry
  // their run's identity, so neither may stand in for one of ours.
  const std::string other_config = (dir_ / "other.h5").string(), same_config = (dir_ / "same.h5").string();
  journal_manifest m = manifest();
  m.config_text += "# another sweep\n";
  {
    auto mine = batch_journal::create(out_, manifest());
    record(mine, 0);
    auto theirs = batch_journal::create(other_config, m);
    record(theirs, 1);
    auto twin = batch_journal::create(same_config, manifest());
    record(twin, 2);
  }
  const fs::path dir = journal_dir();
  fs::copy_file(fs::path(batch_journal::directory_for(other_config)) / name_of(1), dir / name_of(1));
  fs::copy_file(fs::path(batch_journal::directory_for(same_config)) / name_of(2), dir / name_of(2));
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(j.has(batch_k(0)));
  EXPECT_FALSE(j.has(batch_k(1))) << "a batch of another config";
  EXPECT_FALSE(j.has(batch_k(2))) << "a batch of another run of the same config";
  EXPECT_EQ(j.recorded(), 1u);
  EXPECT_EQ(j.rejected().foreign, 2u);
  EXPECT_EQ(j.rejected().describe(), "2 batch files (2 from another run)");
  // Recording the batch again replaces the foreign file.
  record(j, 1);
  EXPECT_TRUE(batch_journal::resume(out_, manifest()).has(batch_k(1)));
}

TEST_F(Journal, EditedHeaderIsDamaged) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
  }
  // Batch [0, 4) made to claim [4, 8) (header and name): the checksum covers the header.
  const fs::path from = journal_dir() / name_of(0), to = journal_dir() / name_of(1);
  fs::rename(from, to);
  {
    std::fstream f(to, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16);  // magic, run id, then the first point
    const std::uint64_t first = 4;
    f.write(reinterpret_cast<const char*>(&first), sizeof first);
  }
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_EQ(j.recorded(), 0u);
  EXPECT_EQ(j.rejected().damaged, 1u);
}

TEST_F(Journal, BatchesOfAnotherSizeAfterAResumeRoundTrip) {
  // Started with batches of 4 points; resumed with batches of 2 for what was
  // missing (a batch too large for memory); resumed again: every batch is
  // found with its own size, and what is missing is exactly the rest.
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
  }
  const std::vector<double> r(2, 7.5), c(4, -2.25);
  {
    auto j = batch_journal::resume(out_, manifest());
    j.record(batch{4, 2}, r.data(), 2 * 8, c.data(), 4 * 8);
    j.record(batch{10, 2}, r.data(), 2 * 8, c.data(), 4 * 8);
  }
  auto j = batch_journal::resume(out_, manifest());
  ASSERT_EQ(j.recorded(), 3u);
  EXPECT_EQ(j.rejected().total(), 0u);
  const std::vector<batch> recorded = j.recorded_batches();
  EXPECT_EQ(recorded[0].first, 0u);
  EXPECT_EQ(recorded[0].count, 4u);
  EXPECT_EQ(recorded[1].first, 4u);
  EXPECT_EQ(recorded[1].count, 2u);
  EXPECT_EQ(recorded[2].first, 10u);
  EXPECT_EQ(recorded[2].count, 2u);
  std::vector<double> back(2), back_curves(4);
  j.read(batch{10, 2}, back.data(), 2 * 8, back_curves.data(), 4 * 8);
  EXPECT_EQ(back, r);
  EXPECT_EQ(back_curves, c);
  EXPECT_THROW(j.read(batch{4, 4}, back.data(), 4 * 8, back_curves.data(), 8 * 8), output_error)
      << "a batch is read with the range it was recorded with";
  const std::vector<batch> missing = plan_missing({12}, recorded, 3);
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].first, 6u);
  EXPECT_EQ(missing[0].count, 3u);
  EXPECT_EQ(missing[1].first, 9u);
  EXPECT_EQ(missing[1].count, 1u);
}

TEST_F(Journal, OverlappingBatchesKeepTheFirst) {
  {
    auto j = batch_journal::create(out_, manifest());
    record(j, 0);
    const std::vector<double> r(2, 1.0), c(4, 2.0);
    j.record(batch{2, 2}, r.data(), 2 * 8, c.data(), 4 * 8);  // overlaps [0, 4): never planned so
  }
  auto j = batch_journal::resume(out_, manifest());
  EXPECT_TRUE(j.has(batch_k(0)));
  EXPECT_EQ(j.recorded(), 1u);
  EXPECT_EQ(j.rejected().overlapping, 1u);
}

TEST_F(Journal, PublishedKnowsTheFileItRenamed) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  const std::string partial = out_ + ".partial";
  std::ofstream(partial) << "the finished file";
  EXPECT_FALSE(batch_journal::published(out_)) << "nothing published yet";
  j.mark_publishing(partial);
  EXPECT_FALSE(batch_journal::published(out_)) << "killed before the rename";
  fs::rename(partial, out_);
  EXPECT_TRUE(batch_journal::published(out_));
  // Another file under the name (an older output, a copy) is not it.
  fs::copy_file(out_, out_ + ".copy");
  fs::rename(out_ + ".copy", out_);
  EXPECT_FALSE(batch_journal::published(out_));
}

TEST_F(Journal, AnInterruptedRemovalAlwaysLeavesARecognisableState) {
  // remove() deletes batch files, then the manifest, then the publishing
  // mark, then the directory. Replayed step by step, as a kill would stop it:
  // first a journal whose output is published, then a leftover.
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  record(j, 1);
  const std::string partial = out_ + ".partial";
  std::ofstream(partial) << "the finished file";
  j.mark_publishing(partial);
  fs::rename(partial, out_);
  const fs::path dir = journal_dir();
  fs::remove(dir / name_of(0));  // killed among the batch files
  EXPECT_TRUE(batch_journal::exists(out_));
  EXPECT_TRUE(batch_journal::published(out_));
  EXPECT_FALSE(batch_journal::leftover(out_)) << "still a journal, not a leftover";
  fs::remove(dir / name_of(1));
  fs::remove(dir / "manifest.json");  // killed after the manifest
  EXPECT_FALSE(batch_journal::exists(out_));
  EXPECT_TRUE(batch_journal::leftover(out_));
  fs::remove(dir / "published");  // killed before the rmdir
  EXPECT_TRUE(batch_journal::leftover(out_));
  // A file of someone else's makes it not ours to remove.
  std::ofstream(dir / "notes.txt") << "mine";
  EXPECT_FALSE(batch_journal::leftover(out_));
  EXPECT_FALSE(batch_journal::remove_leftover(out_));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  fs::remove(dir / "notes.txt");
  EXPECT_TRUE(batch_journal::remove_leftover(out_));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(out_));
}

TEST_F(Journal, RemoveKeepsFilesItDidNotWrite) {
  auto j = batch_journal::create(out_, manifest());
  record(j, 0);
  std::ofstream(journal_dir() / "notes.txt") << "mine";
  j.remove();
  EXPECT_FALSE(batch_journal::exists(out_));
  EXPECT_TRUE(fs::exists(journal_dir() / "notes.txt"));
  EXPECT_FALSE(fs::exists(journal_dir() / name_of(0)));
}

}  // namespace
