// Direct chunk writes (docs/design.md §2.4): the writer assembles each dataset's
// chunks itself, compresses complete ones on a pool of threads (HDF5's byte
// shuffle, then a zlib stream at the dataset's deflate level, by libdeflate
// where built in, else zlib's compress2 as HDF5's own filter does), and hands
// them to H5Dwrite_chunk, so HDF5 neither filters on one thread nor caches
// chunks. Readers inflate with zlib as for any HDF5 deflate chunk.
//
// The chunks scaleham creates (h5::chunk_shape) are C-order-contiguous: the
// innermost axes whole, a range of rows of one axis, the outer axes 1. Each
// chunk is thus one contiguous range of the dataset's linear element index,
// and so is a batch: a batch fills the chunks inside its range and part of
// the (at most two) chunks at its ends, which wait here until the batches
// holding the rest of them arrive, in whatever order (a resume replays).
// Private to the host library (includes HDF5).
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace scaleham {

/// A complete chunk, ready to be filtered and written.
struct chunk_job {
  hid_t set = -1;
  std::vector<hsize_t> offset;  ///< of the chunk in the dataset
  const std::byte* data = nullptr;  ///< the whole chunk: chunk_elements * element_size bytes
  std::size_t bytes = 0;
  std::size_t element_size = 0;
  int deflate_level = 0;             ///< 0: stored as it is
  std::vector<std::byte> owned;      ///< the chunk's bytes when assembled here
  std::vector<std::byte> filtered;   ///< shuffled and deflated
};

/// The chunks of one dataset under construction.
class chunk_assembler {
 public:
  /// `set` must stay open while the assembler is used.
  chunk_assembler(hid_t set, std::size_t element_size, int deflate_level);

  /// Takes elements [first, first + count) of the dataset in C order (data
  /// holds count elements); appends the chunks they complete to `ready`. The
  /// jobs may point into `data`: write them before it changes.
  void add(std::uint64_t first, std::uint64_t count, const std::byte* data, std::vector<chunk_job>& ready);

  /// Chunks started but not complete (0 once every element was added).
  std::size_t pending() const { return pending_.size(); }

  /// Appends the chunks started but not complete to `ready`, their missing
  /// elements 0 (the fill value): the edges of a file that holds one shard
  /// of the grid, whose neighbours hold the rest of those chunks.
  void flush_pending(std::vector<chunk_job>& ready);

 private:
  struct partial {
    std::vector<std::byte> bytes;
    std::uint64_t filled = 0;  ///< elements of it added so far
  };
  chunk_job job_for(std::uint64_t chunk_first) const;

  hid_t set_;
  std::size_t element_size_;
  int deflate_level_;
  bool chunked_ = false;                // else (a scalar): written with H5Dwrite
  std::vector<hsize_t> dims_, chunk_;
  std::size_t axis_ = 0;                // the axis a chunk covers a range of
  std::uint64_t inner_ = 1;             // elements per row of that axis
  std::uint64_t chunk_elements_ = 1;    // elements per chunk (with its padding beyond the dataset's end)
  std::map<std::uint64_t, partial> pending_;  // by the chunk's first element
};

/// Filters the jobs on up to `threads` threads (0: all cores), then writes
/// them with H5Dwrite_chunk in order. Throws h5_error.
void write_chunks(std::vector<chunk_job>& jobs, unsigned threads);

}  // namespace scaleham
