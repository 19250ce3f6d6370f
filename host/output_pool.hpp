// A parallel loop for the writer path (packing batches, compressing chunks):
// std::thread, the caller working too. Tasks are claimed one at a time from an
// atomic counter, so uneven tasks (chunks that compress differently) balance.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace scaleham {

/// Threads the writer uses for `requested` (0: every core).
inline unsigned writer_threads(unsigned requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

/// Runs task(i) for i in [0, n) on up to writer_threads(threads) threads;
/// rethrows the first exception a task threw once all threads stopped.
template <class F>
void parallel_for(std::size_t n, unsigned threads, F&& task) {
  const std::size_t workers = std::min<std::size_t>(writer_threads(threads), n);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) task(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1)) < n;) task(i);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next = n;  // stop the others early
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace scaleham
