// CUDA error checking and move-only owners of device memory, pinned host
// memory and streams. Kernels never see these: they get raw views.
#pragma once

#include <cuda_runtime.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "cuda_backend.hpp"

namespace scaleham::cuda {

/// Throws `error` with CUDA's text, the failing call, file and line.
inline void check(cudaError_t code, const char* call, const char* file, int line) {
  if (code == cudaSuccess) return;
  throw error(std::string("CUDA error: ") + cudaGetErrorString(code) + " (" + cudaGetErrorName(code) +
              ") in `" + call + "` at " + file + ":" + std::to_string(line));
}

/// Debug switch: SCALEHAM_CUDA_SYNC=1 synchronizes after every launch, so an
/// asynchronous kernel fault is reported at the launch that caused it.
inline bool sync_after_launch() {
  static const bool enabled = [] {
    const char* v = std::getenv("SCALEHAM_CUDA_SYNC");
    return v != nullptr && std::string(v) != "0";
  }();
  return enabled;
}

}  // namespace scaleham::cuda

#define SCALEHAM_CUDA_CALL(call) ::scaleham::cuda::check((call), #call, __FILE__, __LINE__)

#define SCALEHAM_CUDA_CHECK_LAUNCH()                               \
  do {                                                             \
    SCALEHAM_CUDA_CALL(cudaGetLastError());                        \
    if (::scaleham::cuda::sync_after_launch())                     \
      SCALEHAM_CUDA_CALL(cudaDeviceSynchronize());                 \
  } while (0)

namespace scaleham::cuda {

struct device_deleter {
  void operator()(void* p) const noexcept { cudaFree(p); }
};
struct pinned_deleter {
  void operator()(void* p) const noexcept { cudaFreeHost(p); }
};

/// `count` elements of T in device memory; move-only.
template <class T>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count) : count_(count) {
    void* p = nullptr;
    if (count > 0) SCALEHAM_CUDA_CALL(cudaMalloc(&p, count * sizeof(T)));
    data_.reset(p);
  }
  T* data() const { return static_cast<T*>(data_.get()); }
  std::size_t size() const { return count_; }

 private:
  std::unique_ptr<void, device_deleter> data_;
  std::size_t count_ = 0;
};

/// `count` elements of T in page-locked host memory (fast asynchronous copies).
template <class T>
class pinned_buffer {
 public:
  pinned_buffer() = default;
  explicit pinned_buffer(std::size_t count) {
    void* p = nullptr;
    if (count > 0) SCALEHAM_CUDA_CALL(cudaMallocHost(&p, count * sizeof(T)));
    data_.reset(p);
  }
  T* data() const { return static_cast<T*>(data_.get()); }

 private:
  std::unique_ptr<void, pinned_deleter> data_;
};

/// A non-blocking CUDA stream; move-only.
class stream {
 public:
  stream() {
    cudaStream_t s = nullptr;
    SCALEHAM_CUDA_CALL(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    handle_.reset(s);
  }
  cudaStream_t get() const { return handle_.get(); }
  /// Waits for everything queued; for destructors (errors are ignored there).
  void drain() const noexcept {
    if (handle_) cudaStreamSynchronize(handle_.get());
  }

 private:
  struct deleter {
    void operator()(cudaStream_t s) const noexcept { cudaStreamDestroy(s); }
  };
  std::unique_ptr<CUstream_st, deleter> handle_;
};

/// Copies host values to new device memory on `on`, and waits for the copy:
/// the kernels run on non-blocking streams, which do not wait for the legacy
/// default stream, so a plain cudaMemcpy could still be in flight at launch.
template <class T>
device_buffer<T> upload(const T* host, std::size_t count, const stream& on) {
  device_buffer<T> buffer(count);
  if (count > 0) {
    SCALEHAM_CUDA_CALL(cudaMemcpyAsync(buffer.data(), host, count * sizeof(T), cudaMemcpyHostToDevice, on.get()));
    SCALEHAM_CUDA_CALL(cudaStreamSynchronize(on.get()));
  }
  return buffer;
}

/// Device memory for structs that kernels fill field by field, zeroed first
/// (stream-ordered on `on`): a field-wise store never writes the padding
/// bytes between fields, and the copy back would read them uninitialised
/// (compute-sanitizer initcheck) and carry garbage into the journal's bytes.
template <class T>
device_buffer<T> zeroed_device_buffer(std::size_t count, const stream& on) {
  device_buffer<T> buffer(count);
  if (count > 0) SCALEHAM_CUDA_CALL(cudaMemsetAsync(buffer.data(), 0, count * sizeof(T), on.get()));
  return buffer;
}

}  // namespace scaleham::cuda
