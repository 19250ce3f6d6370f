// The journal of finished batches that makes long sweeps crash-safe.
//
// HDF5 1.10 has no crash-proof mode: a writer killed mid-write can leave the
// whole file unreadable (docs/design.md §6). So the HDF5 file is never what holds
// finished work. Every batch is first recorded in OUT.h5.journal/ as a small
// raw file (written to a temporary name, fsynced, renamed: it exists complete
// or not at all, and carries a CRC-32 of its header and payload), and only
// then written to OUT.h5.partial. After a kill, `--resume` rebuilds the
// .partial from the journal and computes only the points it lacks; the file is
// published under its final name by rename once complete, and the journal
// removed.
//
// The manifest (manifest.json) pins what the journal belongs to: the full
// config text, the precision, the layout of a result, and a random run id, so
// a resume can never mix batches of two different sweeps. Every batch file
// carries the identity of its run (a hash of the manifest file) and the range
// of points it holds: a file of another run, even one of the same layout with
// a valid checksum, is rejected and its points computed again.
//
// Batches are keyed by their range of points, not by an index into one plan:
// a resume may cut what is missing into batches of another size (a batch that
// did not fit in memory) while the recorded ones are replayed as they are.
// Results are per point, so batch boundaries never change a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "batches.hpp"

namespace scaleham {

/// What a journal belongs to. Two runs may share batches only if all match.
struct journal_manifest {
  std::string version;
  std::string config_text;
  std::string precision;              ///< "double" | "float"
  std::uint64_t batch_capacity = 0;   ///< points per batch the run started with (a resume may go lower)
  std::uint64_t points = 0;
  std::uint64_t batches = 0;          ///< batches of the first plan (for information)
  /// Bytes per point of the results part of a batch file: the columns of the
  /// record layout (output_fields.hpp), the fields the file holds in their
  /// stored types and the three status codes; the journal itself treats them
  /// as opaque bytes.
  std::uint64_t result_bytes = 0;
  std::uint64_t curve_values = 0;     ///< ln τ values per point, 0 when curves are off
  /// Bytes per curve value (4 with [output] float32); 0: those of the precision.
  std::uint64_t curve_value_bytes = 0;
  /// Started with --force: publishing may replace an existing OUT.h5 (the one
  /// the user asked to overwrite), also when the run is finished by --resume.
  bool replaces_output = false;
  /// Random, set by create() when empty: two journals of the same sweep are
  /// still two runs, whose batch files must not mix.
  std::string run_id;
  /// "K/N" for a run of one shard (--shard), empty for the whole grid.
  std::string shard;
};

/// Batch files a resume did not accept, by reason (their points are computed again).
struct rejected_batches {
  std::uint64_t damaged = 0;      ///< torn, wrong size or checksum, misnamed
  std::uint64_t foreign = 0;      ///< recorded by another run (or another journal format)
  std::uint64_t overlapping = 0;  ///< covers points an accepted batch already holds
  std::uint64_t total() const { return damaged + foreign + overlapping; }
  /// "2 batch files (1 damaged, 1 from another run)"; empty when none.
  std::string describe() const;
};

class batch_journal {
 public:
  /// OUT.h5 → OUT.h5.journal
  static std::string directory_for(const std::string& output_path);

  /// True if an unfinished run of `output_path` left a journal (a manifest).
  static bool exists(const std::string& output_path);

  /// Reads the manifest of an existing journal (output_error if unreadable).
  static journal_manifest read_manifest(const std::string& output_path);

  /// True if `output_path` is the very file this journal's run published:
  /// mark_publishing() recorded the .partial's identity (device, inode), which
  /// a rename keeps. Then a journal still there is only an interrupted
  /// clean-up. An older OUT.h5 that a --force run was to replace, or a copy,
  /// is not.
  static bool published(const std::string& output_path);

  /// True if OUT.h5.journal exists without a manifest and holds nothing but
  /// what remove() deletes (batch files, temporary files, the publishing
  /// mark): what a clean-up killed after the manifest was gone leaves.
  static bool leftover(const std::string& output_path);

  /// Removes such a leftover (nothing else); true if it is gone.
  static bool remove_leftover(const std::string& output_path);

  /// Starts a new, empty journal for `manifest`, removing any old one.
  static batch_journal create(const std::string& output_path, const journal_manifest& manifest);

  /// Opens the existing journal of `output_path` to resume a run of `manifest`.
  /// Throws output_error when it belongs to another configuration, precision
  /// or build, saying what differs. Stale temporary files of a killed writer
  /// are removed; batch files that fail a check are counted in rejected().
  static batch_journal resume(const std::string& output_path, const journal_manifest& manifest);

  /// The manifest the journal was created with (a resume keeps it as found).
  const journal_manifest& manifest() const { return manifest_; }

  /// The recorded batches, sorted by first point and disjoint.
  const std::vector<batch>& recorded_batches() const { return recorded_; }
  /// Whether exactly batch b is recorded (complete, with a valid checksum, of this run).
  bool has(const batch& b) const;
  std::uint64_t recorded() const { return recorded_.size(); }
  /// The batch files resume() did not accept.
  const rejected_batches& rejected() const { return rejected_; }

  /// Reads batch b: `result_bytes` bytes of results, then `curve_bytes` of
  /// curves; throws output_error if the file changed since it was scanned.
  void read(const batch& b, void* results, std::uint64_t result_bytes, void* curves,
            std::uint64_t curve_bytes) const;

  /// Records batch b (points not recorded yet) durably (temporary file, fsync,
  /// rename). Throws output_error (for example when the disk is full); batches
  /// recorded before stay valid.
  void record(const batch& b, const void* results, std::uint64_t result_bytes, const void* curves,
              std::uint64_t curve_bytes);

  /// Records, durably, which file `partial_path` is (device and inode), just
  /// before it is renamed to the output: see published().
  void mark_publishing(const std::string& partial_path);

  /// Deletes the journal: the output it protected has been published. Batch
  /// files go first, then the manifest, then the publishing mark, so a kill at
  /// any point leaves either a journal that published() recognises or a
  /// leftover().
  void remove();

 private:
  batch_journal(std::string directory, journal_manifest manifest, std::uint64_t identity);
  std::string batch_path(std::uint64_t first) const;
  void scan();

  std::string directory_;
  journal_manifest manifest_;
  std::uint64_t identity_;  ///< hash of manifest.json, carried by every batch file
  std::vector<batch> recorded_;
  rejected_batches rejected_;
};

}  // namespace scaleham
