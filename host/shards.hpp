// Shards of a sweep (`scaleham run --shard K/N`): the grid's points cut into N
// consecutive ranges of the linear point index, balanced by point count (their
// sizes differ by at most one point), so that N independent processes — a
// Slurm job array, say — each compute one range into an ordinary crash-safe,
// resumable file, and `scaleham merge` joins the files into the file a single
// run writes. Cartesian and random (Halton) grids alike: a point is its index.
#pragma once

#include <cstdint>
#include <string>

#include "batches.hpp"

namespace scaleham {

/// Shard `index` of `count` (0 <= index < count); {0, 1} is the whole grid.
struct shard_spec {
  std::uint64_t index = 0, count = 1;

  bool whole() const { return count == 1; }
  /// "K/N" (the form --shard takes and the files record).
  std::string text() const;
};

/// Parses "K/N" (decimal, 0 <= K < N); std::invalid_argument saying what is wrong.
shard_spec parse_shard(const std::string& text);

/// Points [first, first + count) of shard s of a grid of `total` points:
/// floor(K·total/N) up to floor((K+1)·total/N). std::invalid_argument when
/// N > total (a shard would be empty).
batch shard_range(std::uint64_t total, const shard_spec& s);

}  // namespace scaleham
