#include "output_chunks.hpp"

#include <zlib.h>
#if SCALEHAM_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "h5.hpp"
#include "output_pool.hpp"

namespace scaleham {

chunk_assembler::chunk_assembler(hid_t set, std::size_t element_size, int deflate_level)
    : set_(set), element_size_(element_size), deflate_level_(deflate_level) {
  dims_ = h5::shape_of(set);
  const h5::property_list creation(h5::check(H5Dget_create_plist(set), "H5Dget_create_plist", set));
  chunked_ = H5Pget_layout(creation.get()) == H5D_CHUNKED;
  if (!chunked_) return;
  chunk_.resize(dims_.size());
  h5::check(H5Pget_chunk(creation.get(), static_cast<int>(chunk_.size()), chunk_.data()), "H5Pget_chunk", set);
  // The axis a chunk takes a range of: the axes inside it are whole, those
  // outside it 1 (h5::chunk_shape).
  std::size_t k = dims_.size() - 1;
  while (k > 0 && chunk_[k] == dims_[k]) --k;
  for (std::size_t j = 0; j < k; ++j)
    if (chunk_[j] != 1) throw std::logic_error("chunk_assembler: chunks that are not C-order-contiguous");
  axis_ = k;
  inner_ = 1;
  for (std::size_t j = k + 1; j < dims_.size(); ++j) inner_ *= dims_[j];
  chunk_elements_ = chunk_[k] * inner_;
}

chunk_job chunk_assembler::job_for(std::uint64_t chunk_first) const {
  chunk_job job;
  job.set = set_;
  job.bytes = std::size_t(chunk_elements_) * element_size_;
  job.element_size = element_size_;
  job.deflate_level = deflate_level_;
  job.offset.assign(dims_.size(), 0);
  std::uint64_t row = chunk_first / inner_;
  job.offset[axis_] = row % dims_[axis_];
  row /= dims_[axis_];
  for (std::size_t j = axis_; j-- > 0;) {
    job.offset[j] = row % dims_[j];
    row /= dims_[j];
  }
  return job;
}

void chunk_assembler::add(std::uint64_t first, std::uint64_t count, const std::byte* data,
                          std::vector<chunk_job>& ready) {
  if (count == 0) return;
  if (!chunked_) {
    // A scalar (a grid of one point): one plain write of the whole dataset.
    const h5::datatype type(h5::check(H5Dget_type(set_), "H5Dget_type", set_));
    h5::check(H5Dwrite(set_, type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "H5Dwrite", set_);
    return;
  }
  const std::uint64_t end = first + count;
  const std::uint64_t d = dims_[axis_], c = chunk_[axis_];
  for (std::uint64_t at = first; at < end;) {
    const std::uint64_t row = at / inner_;
    const std::uint64_t along = row % d;
    const std::uint64_t chunk_row = along / c * c;
    const std::uint64_t chunk_first = (row - along + chunk_row) * inner_;
    const std::uint64_t valid = std::min(c, d - chunk_row) * inner_;  // elements inside the dataset
    const std::uint64_t piece_end = std::min(end, chunk_first + valid);
    const std::byte* source = data + (at - first) * element_size_;
    if (at == chunk_first && piece_end == chunk_first + valid) {
      chunk_job job = job_for(chunk_first);
      if (valid == chunk_elements_) {
        job.data = source;  // whole, in the caller's buffer
      } else {
        job.owned.assign(job.bytes, std::byte{0});  // an edge chunk: the fill value beyond the end
        std::memcpy(job.owned.data(), source, valid * element_size_);
        job.data = job.owned.data();
      }
      ready.push_back(std::move(job));
    } else {
      partial& p = pending_[chunk_first];
      if (p.bytes.empty()) p.bytes.assign(std::size_t(chunk_elements_) * element_size_, std::byte{0});
      std::memcpy(p.bytes.data() + (at - chunk_first) * element_size_, source, (piece_end - at) * element_size_);
      p.filled += piece_end - at;
      if (p.filled == valid) {
        chunk_job job = job_for(chunk_first);
        job.owned = std::move(p.bytes);
        job.data = job.owned.data();
        ready.push_back(std::move(job));
        pending_.erase(chunk_first);
      }
    }
    at = piece_end;
  }
}

void chunk_assembler::flush_pending(std::vector<chunk_job>& ready) {
  for (auto& [chunk_first, p] : pending_) {
    chunk_job job = job_for(chunk_first);
    job.owned = std::move(p.bytes);
    job.data = job.owned.data();
    ready.push_back(std::move(job));
  }
  pending_.clear();
}

namespace {

/// HDF5's shuffle filter: byte j of element i goes to j * n + i.
template <std::size_t Size>
void shuffle_fixed(const std::byte* in, std::size_t n, std::byte* out) {
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < Size; ++j) out[j * n + i] = in[i * Size + j];
}

void shuffle(const std::byte* in, std::size_t bytes, std::size_t element_size, std::byte* out) {
  const std::size_t n = bytes / element_size;
  if (element_size == 8 || element_size == 4) {
    if (element_size == 8) shuffle_fixed<8>(in, n, out);
    else shuffle_fixed<4>(in, n, out);
    std::memcpy(out + n * element_size, in + n * element_size, bytes - n * element_size);
    return;
  }
  for (std::size_t j = 0; j < element_size; ++j) {
    std::byte* to = out + j * n;
    const std::byte* from = in + j;
    for (std::size_t i = 0; i < n; ++i) to[i] = from[i * element_size];
  }
  std::memcpy(out + n * element_size, in + n * element_size, bytes - n * element_size);
}

void filter(chunk_job& job) {
  if (job.deflate_level <= 0) return;
  std::vector<std::byte> shuffled;
  const std::byte* input = job.data;
  if (job.element_size > 1) {
    shuffled.resize(job.bytes);
    shuffle(job.data, job.bytes, job.element_size, shuffled.data());
    input = shuffled.data();
  }
  // HDF5's deflate filter stores a zlib stream (compress2 at the dataset's
  // level) and inflates it with zlib: any valid zlib stream reads back the
  // same, so libdeflate's (about twice as fast) serves where it is built in.
#if SCALEHAM_HAVE_LIBDEFLATE
  struct compressor {
    int level = -1;
    libdeflate_compressor* c = nullptr;
    ~compressor() { libdeflate_free_compressor(c); }
  };
  thread_local compressor mine;  // one per thread and level: allocating one costs more than a small chunk
  if (mine.level != job.deflate_level) {
    libdeflate_free_compressor(mine.c);
    mine.c = libdeflate_alloc_compressor(job.deflate_level);
    mine.level = mine.c != nullptr ? job.deflate_level : -1;
    if (mine.c == nullptr) throw h5_error("cannot allocate a deflate compressor (out of memory)");
  }
  job.filtered.resize(libdeflate_zlib_compress_bound(mine.c, job.bytes));
  const std::size_t size = libdeflate_zlib_compress(mine.c, input, job.bytes, job.filtered.data(), job.filtered.size());
  if (size == 0) throw h5_error("deflate of a chunk failed (libdeflate)");
  job.filtered.resize(size);
#else
  uLongf size = compressBound(static_cast<uLong>(job.bytes));
  job.filtered.resize(size);
  const int code = compress2(reinterpret_cast<Bytef*>(job.filtered.data()), &size,
                             reinterpret_cast<const Bytef*>(input), static_cast<uLong>(job.bytes), job.deflate_level);
  if (code != Z_OK) throw h5_error("deflate of a chunk failed (zlib error " + std::to_string(code) + ")");
  job.filtered.resize(size);
#endif
}

}  // namespace

void write_chunks(std::vector<chunk_job>& jobs, unsigned threads) {
  parallel_for(jobs.size(), threads, [&](std::size_t i) { filter(jobs[i]); });
  for (chunk_job& job : jobs) {
    const bool filtered = job.deflate_level > 0;
    const void* bytes = filtered ? static_cast<const void*>(job.filtered.data()) : job.data;
    const std::size_t size = filtered ? job.filtered.size() : job.bytes;
    h5::check(H5Dwrite_chunk(job.set, H5P_DEFAULT, 0, job.offset.data(), size, bytes), "H5Dwrite_chunk", job.set);
  }
}

}  // namespace scaleham
