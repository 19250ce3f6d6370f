// `scaleham merge PARTS... -o OUT`: the files of `scaleham run --shard K/N`
// joined into the file one `scaleham run` of the whole grid writes.
//
// The parts must make one sweep: every one complete, of the same config text,
// version and precision, shards 0 .. N−1 of the same N, each exactly once,
// each holding the range shard_range gives it. Anything else is refused
// (merge_error, exit 2) naming the files, before anything is written. The
// merged file is written by the same writer as a run, from the parts' results
// read back batch by batch in the writer's packed form, so its datasets hold
// the very bits of a single run. Root attributes that describe the run rather
// than the results differ (docs/design.md §7): backend and device (the parts'
// when they agree, else one per line), seconds_compute and seconds_total (sums
// over the parts), created, command_line (the merge's), host and git_commit
// (the merge's), and the parts' own in shard_hosts, shard_commands,
// shard_git_commits and merged_from (one line per part, in shard order).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "output.hpp"

namespace scaleham {

struct merge_options {
  std::vector<std::string> parts;
  std::string output_path;
  bool force = false;
  /// Write a small file of HDF5 virtual datasets over the parts instead of a
  /// copy: readers see the whole sweep, the data stay in the parts (which
  /// must then stay where they are, relative to the output).
  bool virtual_file = false;
  std::string command_line;
  unsigned writer_threads = 0;  ///< threads that compress chunks (0: every core)
};

struct merge_summary {
  std::string output_path;
  std::uint64_t points = 0, parts = 0;
  double seconds_total = 0;
};

/// The parts do not make one sweep, or one cannot be read: bad input, exit 2.
struct merge_error : output_error {
  using output_error::output_error;
};

/// Checks the parts and writes the merged file. Throws merge_error (the
/// parts), output_error (the output path), config_error (a part's config no
/// longer parses with this build).
merge_summary merge_shards(const merge_options& options);

}  // namespace scaleham
