#include "batches.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace scaleham {

std::uint64_t point_count(const std::vector<std::uint64_t>& shape) {
  std::uint64_t total = 1;
  for (std::uint64_t extent : shape) {
    if (extent != 0 && total > std::numeric_limits<std::uint64_t>::max() / extent)
      throw std::overflow_error("grid has more than 2^64 points");
    total *= extent;
  }
  return total;
}

std::vector<batch> plan_batches(const std::vector<std::uint64_t>& shape, std::uint64_t max_points) {
  if (max_points == 0) throw std::invalid_argument("plan_batches: max_points must be >= 1");
  const std::uint64_t total = point_count(shape);
  if (total == 0) return {};
  if (shape.empty()) return {batch{0, 1}};

  // Split axis: the outermost j with prod(shape[j+1:]) <= max_points. The
  // last axis always qualifies (its inner block is one point).
  std::size_t split = shape.size() - 1;
  std::uint64_t inner = 1;  // prod(shape[split+1:])
  while (split > 0 && inner * shape[split] <= max_points) {
    inner *= shape[split];
    --split;
  }
  const std::uint64_t extent = shape[split];
  const std::uint64_t rows = std::min(extent, max_points / inner);  // of axis `split` per batch
  const std::uint64_t outer = total / (extent * inner);             // index combinations of the axes before it

  std::vector<batch> batches;
  batches.reserve(outer * ((extent + rows - 1) / rows));
  for (std::uint64_t o = 0; o < outer; ++o)
    for (std::uint64_t row = 0; row < extent; row += rows)
      batches.push_back({(o * extent + row) * inner, std::min(rows, extent - row) * inner});
  return batches;
}

std::vector<batch> plan_range(const std::vector<std::uint64_t>& shape, std::uint64_t first, std::uint64_t count,
                              std::uint64_t max_points) {
  if (max_points == 0) throw std::invalid_argument("plan_range: max_points must be >= 1");
  const std::uint64_t total = point_count(shape);
  if (first > total || count > total - first)
    throw std::invalid_argument("plan_range: [" + std::to_string(first) + ", +" + std::to_string(count) +
                                ") is outside the grid of " + std::to_string(total) + " points");
  if (count == 0) return {};
  if (shape.empty()) return {batch{0, 1}};

  // inner[j] = prod(shape[j+1:]): the points of one row of axis j. They do
  // not decrease outwards, and alignment to inner[j] implies alignment to
  // every inner block inside it, so the outermost usable axis is the first
  // one, from the outside, that the position is aligned to and whose row fits.
  std::vector<std::uint64_t> inner(shape.size(), 1);
  for (std::size_t j = shape.size() - 1; j-- > 0;) inner[j] = inner[j + 1] * shape[j + 1];

  std::vector<batch> batches;
  const std::uint64_t end = first + count;
  for (std::uint64_t p = first; p < end;) {
    const std::uint64_t room = std::min(max_points, end - p);
    std::size_t j = 0;
    while (p % inner[j] != 0 || inner[j] > room) ++j;  // ends at the last axis: inner 1
    const std::uint64_t row = p / inner[j] % shape[j];  // where axis j starts
    const std::uint64_t rows = std::min(room / inner[j], shape[j] - row);  // without wrapping into axis j-1
    batches.push_back({p, rows * inner[j]});
    p += rows * inner[j];
  }
  return batches;
}

std::vector<batch> plan_missing(const std::vector<std::uint64_t>& shape, const std::vector<batch>& recorded,
                                std::uint64_t max_points) {
  return plan_missing(shape, recorded, max_points, batch{0, point_count(shape)});
}

std::vector<batch> plan_missing(const std::vector<std::uint64_t>& shape, const std::vector<batch>& recorded,
                                std::uint64_t max_points, const batch& range) {
  const std::uint64_t total = point_count(shape);
  if (range.first > total || range.count > total - range.first)
    throw std::invalid_argument("plan_missing: the range is outside the grid");
  const std::uint64_t end = range.first + range.count;
  std::vector<batch> missing;
  std::uint64_t next = range.first;  // the first point not yet covered
  auto plan_gap = [&](std::uint64_t until) {
    if (until > next)
      for (const batch& b : plan_range(shape, next, until - next, max_points)) missing.push_back(b);
  };
  for (const batch& r : recorded) {
    if (r.count == 0 || r.first < next || r.first > end || r.count > end - r.first)
      throw std::invalid_argument("plan_missing: recorded batches must be sorted, disjoint and inside the range");
    plan_gap(r.first);
    next = r.first + r.count;
  }
  plan_gap(end);
  return missing;
}

hyperslab hyperslab_of(const std::vector<std::uint64_t>& shape, const batch& b) {
  const std::uint64_t total = point_count(shape);
  if (b.count == 0 || b.first >= total || b.count > total - b.first)
    throw std::invalid_argument("hyperslab_of: batch [" + std::to_string(b.first) + ", +" +
                                std::to_string(b.count) + ") is empty or outside the grid of " +
                                std::to_string(total) + " points");
  hyperslab slab{std::vector<std::uint64_t>(shape.size(), 0), std::vector<std::uint64_t>(shape.size(), 1)};
  std::uint64_t index = b.first;
  for (std::size_t k = shape.size(); k-- > 0;) {
    slab.start[k] = index % shape[k];
    index /= shape[k];
  }
  // From the innermost axis outwards: whole axes while the batch starts at
  // their beginning and spans a multiple of them, then one partial range.
  std::uint64_t remaining = b.count;
  for (std::size_t k = shape.size(); k-- > 0 && remaining > 1;) {
    if (slab.start[k] == 0 && remaining % shape[k] == 0) {
      slab.count[k] = shape[k];
      remaining /= shape[k];
    } else {
      if (slab.start[k] + remaining > shape[k]) break;  // wraps around: not rectangular
      slab.count[k] = remaining;
      remaining = 1;
    }
  }
  if (remaining != 1)
    throw std::invalid_argument("hyperslab_of: batch [" + std::to_string(b.first) + ", +" +
                                std::to_string(b.count) + ") is not one rectangular hyperslab");
  return slab;
}

}  // namespace scaleham
