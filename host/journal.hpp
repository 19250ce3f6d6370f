// The journal of finished batches that makes long sweeps crash-safe.
//
// HDF5 1.10 has no crash-proof mode: a writer killed mid-write can leave the
// whole file unreadable (docs/design.md §6). So the HDF5 file is never what holds
// finished work. Every batch is first recorded in OUT.h5.journal/ as a small
// raw file (written to a temporary name, fsynced, renamed: it exists complete
// or not at all, and carries a CRC-32 of its payload), and only then written
// to OUT.h5.partial. After a kill, `--resume` rebuilds the .partial from the
// journal and computes only the batches it lacks; the file is published
// under its final name by rename once complete, and the journal removed.
//
// The manifest (manifest.json) pins what the journal belongs to: the full
// config text, the precision, the batch size and the layout of a result, so a
// resume can never mix batches of two different sweeps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace scaleham {

/// What a journal belongs to. Two runs may share batches only if all match.
struct journal_manifest {
  std::string version;
  std::string config_text;
  std::string precision;              ///< "double" | "float"
  std::uint64_t batch_capacity = 0;   ///< points per batch (the plan depends on it)
  std::uint64_t points = 0;
  std::uint64_t batches = 0;
  std::uint64_t result_bytes = 0;     ///< sizeof(point_result<Real>)
  std::uint64_t curve_values = 0;     ///< ln τ values per point, 0 when curves are off
};

class batch_journal {
 public:
  /// OUT.h5 → OUT.h5.journal
  static std::string directory_for(const std::string& output_path);

  /// True if an unfinished run of `output_path` left a journal.
  static bool exists(const std::string& output_path);

  /// Reads the manifest of an existing journal (output_error if unreadable).
  static journal_manifest read_manifest(const std::string& output_path);

  /// Starts a new, empty journal for `manifest`, removing any old one.
  static batch_journal create(const std::string& output_path, const journal_manifest& manifest);

  /// Opens the existing journal of `output_path` to resume a run of `manifest`.
  /// Throws output_error when it belongs to another configuration, precision
  /// or build, saying what differs.
  static batch_journal resume(const std::string& output_path, const journal_manifest& manifest);

  /// Whether batch k is recorded (complete and with a valid checksum).
  bool has(std::uint64_t k) const;
  std::uint64_t recorded() const;

  /// Reads batch k: `result_bytes` bytes of results, then `curve_bytes` of curves.
  void read(std::uint64_t k, void* results, std::uint64_t result_bytes, void* curves,
            std::uint64_t curve_bytes) const;

  /// Records batch k durably (temporary file, fsync, rename). Throws output_error
  /// (for example when the disk is full); batches recorded before stay valid.
  void record(std::uint64_t k, const void* results, std::uint64_t result_bytes, const void* curves,
              std::uint64_t curve_bytes);

  /// Deletes the journal: the output it protected has been published.
  void remove();

 private:
  batch_journal(std::string directory, journal_manifest manifest);
  std::string batch_path(std::uint64_t k) const;
  void scan();

  std::string directory_;
  journal_manifest manifest_;
  std::vector<bool> recorded_;
};

}  // namespace scaleham
