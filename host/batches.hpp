// How a sweep is cut into batches: consecutive ranges of the linear point
// index that are each ONE rectangular hyperslab of the N-dimensional output
// datasets, so a batch goes to disk with one H5Dwrite per field.
#pragma once

#include <cstdint>
#include <vector>

namespace scaleham {

/// Points [first, first + count) of the grid, by linear (C-order) index.
struct batch {
  std::uint64_t first = 0, count = 0;
};

/// Cuts [0, prod(shape)) into consecutive batches of at most `max_points`
/// (>= 1) points, each one rectangular hyperslab of `shape` (C order, last
/// axis fastest). The split axis j is the outermost axis whose inner block
/// prod(shape[j+1:]) still fits into max_points; a batch then fixes the
/// indices of the axes before j, covers a range of axis j and all of the axes
/// after it. An empty shape is a single point; a zero extent gives no batches.
/// Throws std::invalid_argument for max_points == 0 and std::overflow_error
/// when prod(shape) does not fit in 64 bits.
std::vector<batch> plan_batches(const std::vector<std::uint64_t>& shape, std::uint64_t max_points);

/// Cuts the points [first, first + count) of the grid into consecutive
/// batches of at most `max_points` (>= 1), each one rectangular hyperslab:
/// from each position on, the largest block of whole rows of the outermost
/// axis the position is aligned to. This is how a resumed run plans the
/// points its journal lacks with the batch size it can afford now, whatever
/// size the recorded batches had. Over the whole grid it is plan_batches'
/// plan. Throws std::invalid_argument for max_points == 0 or a range outside
/// the grid.
std::vector<batch> plan_range(const std::vector<std::uint64_t>& shape, std::uint64_t first, std::uint64_t count,
                              std::uint64_t max_points);

/// The batches (plan_range, in order) that cover every point of `range`
/// (default: the whole grid) outside `recorded`, which must be sorted by
/// first point, disjoint and inside the range (std::invalid_argument
/// otherwise).
std::vector<batch> plan_missing(const std::vector<std::uint64_t>& shape, const std::vector<batch>& recorded,
                                std::uint64_t max_points);
std::vector<batch> plan_missing(const std::vector<std::uint64_t>& shape, const std::vector<batch>& recorded,
                                std::uint64_t max_points, const batch& range);

/// Start and count per axis of a rectangular batch (as plan_batches makes
/// them); both empty for an empty shape.
struct hyperslab {
  std::vector<std::uint64_t> start, count;
};

/// The hyperslab of `shape` that batch `b` covers. Throws
/// std::invalid_argument if b is empty, out of range, or not rectangular.
hyperslab hyperslab_of(const std::vector<std::uint64_t>& shape, const batch& b);

/// prod(shape) (1 for an empty shape); std::overflow_error beyond 64 bits.
std::uint64_t point_count(const std::vector<std::uint64_t>& shape);

}  // namespace scaleham
