// Batching of the linear point range into rectangular hyperslabs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "batches.hpp"
#include "shards.hpp"

namespace {

using scaleham::batch;
using scaleham::hyperslab_of;
using scaleham::plan_batches;
using shape_t = std::vector<std::uint64_t>;

/// Every shape with up to `max_rank` axes of extents 1..max_extent.
std::vector<shape_t> small_shapes(std::size_t max_rank, std::uint64_t max_extent) {
  std::vector<shape_t> shapes{{}};
  std::function<void(shape_t)> grow = [&](shape_t shape) {
    if (shape.size() == max_rank) return;
    for (std::uint64_t e = 1; e <= max_extent; ++e) {
      shape_t longer = shape;
      longer.push_back(e);
      shapes.push_back(longer);
      grow(longer);
    }
  };
  grow({});
  return shapes;
}

/// Linear C-order indices of the points of a hyperslab, in C order.
std::vector<std::uint64_t> linear_indices(const shape_t& shape, const scaleham::hyperslab& slab) {
  std::vector<std::uint64_t> out;
  std::vector<std::uint64_t> offset(shape.size(), 0);  // position inside the slab
  while (true) {
    std::uint64_t index = 0;
    for (std::size_t k = 0; k < shape.size(); ++k) index = index * shape[k] + slab.start[k] + offset[k];
    out.push_back(index);
    std::size_t k = shape.size();
    while (k > 0 && ++offset[k - 1] == slab.count[k - 1]) offset[--k] = 0;
    if (k == 0) return out;
  }
}

TEST(Batches, ExhaustiveSmallShapesCoverEveryPointOnceInOrderAsRectangles) {
  std::size_t checked = 0;
  for (const shape_t& shape : small_shapes(4, 4)) {
    const std::uint64_t total = scaleham::point_count(shape);
    for (std::uint64_t max_points = 1; max_points <= total + 1; ++max_points) {
      SCOPED_TRACE(::testing::Message() << "shape rank " << shape.size() << ", total " << total
                                        << ", max_points " << max_points);
      std::uint64_t next = 0;
      for (const batch& b : plan_batches(shape, max_points)) {
        ASSERT_EQ(b.first, next);  // consecutive, in order, no gaps or overlaps
        ASSERT_GE(b.count, 1u);
        ASSERT_LE(b.count, max_points);
        const auto slab = hyperslab_of(shape, b);
        ASSERT_EQ(slab.start.size(), shape.size());
        ASSERT_EQ(slab.count.size(), shape.size());
        std::vector<std::uint64_t> expected(b.count);
        for (std::uint64_t i = 0; i < b.count; ++i) expected[i] = b.first + i;
        ASSERT_EQ(linear_indices(shape, slab), expected);  // the rectangle IS the range
        next += b.count;
      }
      ASSERT_EQ(next, total);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(Batches, SplitsAtTheOutermostAxisWhoseInnerBlockFits) {
  // shape {3, 4, 5}: inner blocks 20, 5, 1. max 7 -> axis 1, one row of 5.
  auto batches = plan_batches({3, 4, 5}, 7);
  ASSERT_EQ(batches.size(), 12u);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(batches[i].first, 5 * i);
    EXPECT_EQ(batches[i].count, 5u);
  }
  // max 12 -> axis 1, two rows of 5: each row of axis 0 splits 2 + 2.
  batches = plan_batches({3, 4, 5}, 12);
  ASSERT_EQ(batches.size(), 6u);
  EXPECT_EQ(batches[1].first, 10u);
  const auto slab = hyperslab_of({3, 4, 5}, batches[1]);
  EXPECT_EQ(slab.start, (shape_t{0, 2, 0}));
  EXPECT_EQ(slab.count, (shape_t{1, 2, 5}));
  // max 45 -> axis 0 (inner block 20), two rows of 20, then one.
  batches = plan_batches({3, 4, 5}, 45);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].count, 40u);
  EXPECT_EQ(batches[1].count, 20u);
  // Everything fits: one batch.
  batches = plan_batches({3, 4, 5}, 1000);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].count, 60u);
  // max smaller than the last axis: pieces of it.
  batches = plan_batches({2, 5}, 2);
  ASSERT_EQ(batches.size(), 6u);
  EXPECT_EQ(batches[2].first, 4u);
  EXPECT_EQ(batches[2].count, 1u);
}

TEST(Batches, EdgeShapes) {
  EXPECT_TRUE(plan_batches({3, 0, 2}, 4).empty());  // no points
  const auto scalar = plan_batches({}, 4);          // a grid without axes is one point
  ASSERT_EQ(scalar.size(), 1u);
  EXPECT_EQ(scalar[0].count, 1u);
  EXPECT_TRUE(hyperslab_of({}, scalar[0]).start.empty());
  // A big grid is planned without touching its points one by one.
  const std::uint64_t big = std::uint64_t(1) << 20;
  const auto batches = plan_batches({big, big}, big * 8);
  ASSERT_EQ(batches.size(), big / 8);
  EXPECT_EQ(batches.back().first + batches.back().count, big * big);
}

TEST(Batches, RejectsBadInput) {
  EXPECT_THROW(plan_batches({3}, 0), std::invalid_argument);
  const std::uint64_t half = std::uint64_t(1) << 32;
  EXPECT_THROW(plan_batches({half, half}, 1), std::overflow_error);
  EXPECT_THROW(hyperslab_of({3, 4}, {2, 4}), std::invalid_argument);   // wraps into the next row
  EXPECT_THROW(hyperslab_of({3, 4}, {0, 0}), std::invalid_argument);   // empty
  EXPECT_THROW(hyperslab_of({3, 4}, {10, 5}), std::invalid_argument);  // past the end
  EXPECT_THROW(hyperslab_of({3, 4}, {4, 12}), std::invalid_argument);  // past the end
  EXPECT_NO_THROW(hyperslab_of({3, 4}, {4, 8}));
}

// --- re-planning what a resumed run lacks (issue 9, item 6) ----------------------------

TEST(Batches, PlanRangeOverTheWholeGridIsPlanBatches) {
  for (const shape_t& shape : small_shapes(4, 4)) {
    const std::uint64_t total = scaleham::point_count(shape);
    for (std::uint64_t max_points = 1; max_points <= total + 1; ++max_points) {
      const auto want = plan_batches(shape, max_points);
      const auto got = scaleham::plan_range(shape, 0, total, max_points);
      ASSERT_EQ(got.size(), want.size()) << "total " << total << ", max " << max_points;
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_EQ(got[i].first, want[i].first);
        ASSERT_EQ(got[i].count, want[i].count);
      }
    }
  }
}

TEST(Batches, PlanRangeCutsAnyRangeIntoRectanglesThatFit) {
  std::size_t checked = 0;
  for (const shape_t& shape : small_shapes(3, 4)) {
    const std::uint64_t total = scaleham::point_count(shape);
    for (std::uint64_t first = 0; first < total; ++first)
      for (std::uint64_t count = 1; first + count <= total; ++count)
        for (std::uint64_t max_points : {std::uint64_t(1), std::uint64_t(2), std::uint64_t(5), total}) {
          std::uint64_t next = first;
          for (const batch& b : scaleham::plan_range(shape, first, count, max_points)) {
            ASSERT_EQ(b.first, next);
            ASSERT_GE(b.count, 1u);
            ASSERT_LE(b.count, max_points);
            const auto slab = hyperslab_of(shape, b);  // throws unless rectangular
            ASSERT_EQ(linear_indices(shape, slab).size(), b.count);
            next += b.count;
          }
          ASSERT_EQ(next, first + count);
          ++checked;
        }
  }
  EXPECT_GT(checked, 10000u);
  EXPECT_THROW(scaleham::plan_range({3, 4}, 10, 3, 4), std::invalid_argument);
  EXPECT_THROW(scaleham::plan_range({3, 4}, 0, 3, 0), std::invalid_argument);
}

TEST(Batches, PlanMissingCoversExactlyWhatIsNotRecorded) {
  // {4, 5, 3}: batches of 30 points recorded (the run's first plan), the rest
  // planned in batches of at most 6 (a resume with smaller batches).
  const shape_t shape{4, 5, 3};
  const std::vector<batch> recorded{{0, 15}, {30, 15}, {45, 15}};
  const auto missing = scaleham::plan_missing(shape, recorded, 6);
  std::uint64_t covered = 0;
  for (const batch& b : missing) {
    EXPECT_GE(b.first, 15u);
    EXPECT_LE(b.first + b.count, 30u);
    EXPECT_LE(b.count, 6u);
    hyperslab_of(shape, b);
    covered += b.count;
  }
  EXPECT_EQ(covered, 15u);
  EXPECT_TRUE(scaleham::plan_missing(shape, {{0, 60}}, 6).empty());
  EXPECT_THROW(scaleham::plan_missing(shape, {{30, 15}, {0, 15}}, 6), std::invalid_argument);  // unsorted
  EXPECT_THROW(scaleham::plan_missing(shape, {{0, 20}, {15, 15}}, 6), std::invalid_argument);  // overlapping
}

TEST(Batches, PlanMissingWithinARangeStaysInIt) {
  // A shard's resume: points [17, 43) of {4, 5, 3}, [20, 30) recorded.
  const shape_t shape{4, 5, 3};
  const auto missing = scaleham::plan_missing(shape, {{20, 10}}, 4, batch{17, 26});
  std::vector<bool> seen(60, false);
  for (const batch& b : missing) {
    hyperslab_of(shape, b);
    EXPECT_LE(b.count, 4u);
    for (std::uint64_t i = b.first; i < b.first + b.count; ++i) {
      EXPECT_FALSE(seen[i]) << i;
      seen[i] = true;
    }
  }
  for (std::uint64_t i = 0; i < 60; ++i) EXPECT_EQ(seen[i], i >= 17 && i < 43 && !(i >= 20 && i < 30)) << i;
  EXPECT_THROW(scaleham::plan_missing(shape, {{10, 10}}, 4, batch{17, 26}), std::invalid_argument);  // outside
  EXPECT_THROW(scaleham::plan_missing(shape, {}, 4, batch{50, 20}), std::invalid_argument);  // beyond the grid
}

TEST(Shards, RangesPartitionTheGridAndBalanceItsPoints) {
  for (std::uint64_t total : {1ull, 7ull, 60ull, 1000003ull}) {
    for (std::uint64_t n : {1ull, 2ull, 3ull, 7ull}) {
      if (n > total) {
        EXPECT_THROW(scaleham::shard_range(total, {0, n}), std::invalid_argument);
        continue;
      }
      std::uint64_t next = 0, smallest = total, largest = 0;
      for (std::uint64_t k = 0; k < n; ++k) {
        const batch r = scaleham::shard_range(total, {k, n});
        EXPECT_EQ(r.first, next) << total << " " << k << "/" << n;
        next = r.first + r.count;
        smallest = std::min(smallest, r.count);
        largest = std::max(largest, r.count);
      }
      EXPECT_EQ(next, total);
      EXPECT_LE(largest - smallest, 1u);
    }
  }
  // Beyond 2^64 / N the products need 128 bits.
  const std::uint64_t huge = ~0ull;
  const batch last = scaleham::shard_range(huge, {6, 7});
  EXPECT_EQ(last.first + last.count, huge);
  EXPECT_EQ(scaleham::shard_range(huge, {1, 7}).first, huge / 7);
}

TEST(Shards, ParseReadsKSlashNAndExplainsMistakes) {
  const scaleham::shard_spec s = scaleham::parse_shard("3/8");
  EXPECT_EQ(s.index, 3u);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.text(), "3/8");
  EXPECT_TRUE(scaleham::parse_shard("0/1").whole());
  const auto message = [](const std::string& text) {
    try {
      scaleham::parse_shard(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("8/8").find("K must be below N"), std::string::npos);
  EXPECT_NE(message("1/0").find("N must be at least 1"), std::string::npos);
  EXPECT_NE(message("3").find("expected K/N"), std::string::npos);
  EXPECT_NE(message("-1/4").find("K must be"), std::string::npos);
  EXPECT_NE(message("1/4x").find("N must be"), std::string::npos);
  EXPECT_NE(message("/4").find("K must be"), std::string::npos);
}

}  // namespace
