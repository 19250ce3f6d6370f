// A sweep computed by the ranks of an MPI job (ranks.hpp): the driver's
// compute stage when more than one process, or more than one GPU, shares
// the sweep. Private to driver.cpp.
//
// Rank 0 prepares the run exactly as a single process does (lock, checks,
// journal created or resumed, the batches still missing planned) and sends the
// plan to every rank. Each rank then takes batches from the group's shared
// counter — dynamically, so ranks balance when points differ in cost —,
// computes them on its own backend and records each in the run's journal
// (OUT.h5.journal/, on a filesystem all ranks see), which is the one place the
// batches meet: a batch file is written whole or not at all (journal.hpp).
// When every rank is done, rank 0 writes the file from the journal, batch by
// batch as a resume does, and publishes it. So the file is bitwise that of a
// single-process run, and a job killed at any point leaves a journal that
// `--resume` (with any number of ranks, or none) finishes.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "backend_choice.hpp"
#include "batches.hpp"
#include "cpu_backend.hpp"
#include "cuda_backend.hpp"
#include "interrupt.hpp"
#include "journal.hpp"
#include "output_fields.hpp"
#include "progress.hpp"
#include "ranks.hpp"

namespace scaleham {

/// The plan rank 0 sends: points per batch, then the batches to compute.
inline std::string plan_text(std::uint64_t capacity, const std::vector<batch>& todo) {
  std::ostringstream out;
  out << capacity << ' ' << todo.size();
  for (const batch& b : todo) out << ' ' << b.first << ' ' << b.count;
  return out.str();
}

inline std::vector<batch> plan_from_text(const std::string& text, std::uint64_t& capacity) {
  std::istringstream in(text);
  std::size_t n = 0;
  in >> capacity >> n;
  std::vector<batch> todo(n);
  for (batch& b : todo) in >> b.first >> b.count;
  return todo;
}

/// Computes the batches of `todo` this worker takes from `tickets` (the
/// ranks' process_group, or the devices' counter of one process: anything
/// with take_ticket()) and records each in `journal` (under `journal_mutex`
/// when workers share one journal object). Stops taking batches after a
/// signal (the batch in hand is still recorded). `progress` shows the points
/// of the batches taken so far by all workers. Returns the points computed here.
template <class Real, class Tickets, class Runner>
std::uint64_t compute_shared(Tickets& tickets, Runner& runner, const record_layout<Real>& layout,
                             batch_journal& journal, const std::vector<batch>& todo, unsigned writer_threads,
                             progress_reporter* progress, std::mutex* journal_mutex = nullptr) {
  std::vector<std::uint64_t> points_before(todo.size() + 1, 0);
  for (std::size_t i = 0; i < todo.size(); ++i) points_before[i + 1] = points_before[i] + todo[i].count;
  std::vector<std::byte> packed;
  std::uint64_t computed = 0;
  while (pending_signal() == 0) {
    const std::uint64_t ticket = tickets.take_ticket();
    if (ticket >= todo.size()) break;
    if (progress != nullptr) progress->update(points_before[ticket]);
    const batch& b = todo[ticket];
    runner.start(0, b.first, b.count);
    const point_result<Real>* results = runner.finish(0);
    packed.resize(b.count * layout.bytes_per_point());
    layout.pack(results, runner.curves(0), b.count, packed.data(), writer_threads);
    const std::uint64_t result_bytes = b.count * layout.column_bytes;
    std::unique_lock<std::mutex> lock;
    if (journal_mutex != nullptr) lock = std::unique_lock<std::mutex>(*journal_mutex);
    journal.record(b, packed.data(), result_bytes, packed.data() + result_bytes,
                   b.count * layout.n_T * layout.curve_value_bytes);
    computed += b.count;
  }
  return computed;
}

/// The tickets of several devices in one process (--devices).
struct ticket_counter {
  std::atomic<std::uint64_t> next{0};
  std::uint64_t take_ticket() { return next.fetch_add(1); }
};

/// This rank's share of a sweep computed by several ranks (distributed.hpp).
template <class Real>
std::uint64_t compute_on_rank(process_group& group, const sweep_spec<Real>& spec, std::uint64_t capacity, bool curves,
                              const backend_choice& backend, const record_layout<Real>& layout,
                              batch_journal& journal, const std::vector<batch>& todo, unsigned writer_threads,
                              progress_reporter* progress) {
  if (backend.use_cuda) {
    cuda::sweep_runner<Real> runner(spec, capacity, curves, backend.cuda_device);
    return compute_shared<Real>(group, runner, layout, journal, todo, writer_threads, progress);
  }
  cpu_runner<Real> runner(spec, capacity, curves);
  return compute_shared<Real>(group, runner, layout, journal, todo, writer_threads, progress);
}

/// The batches of `todo` on several GPUs of this process (--devices): a
/// thread per listed device, each with its own runner, taking batches from
/// one counter and recording them in the journal.
template <class Real>
void compute_on_devices(const std::vector<int>& devices, const sweep_spec<Real>& spec, std::uint64_t capacity,
                        bool curves, const record_layout<Real>& layout, batch_journal& journal,
                        const std::vector<batch>& todo, unsigned writer_threads, progress_reporter& progress) {
  ticket_counter tickets;
  std::mutex journal_mutex;
  std::vector<std::future<void>> workers;
  for (std::size_t i = 0; i < devices.size(); ++i)
    workers.push_back(std::async(std::launch::async, [&, i] {
      cuda::sweep_runner<Real> runner(spec, capacity, curves, devices[i]);
      // One thread draws the progress (the reporter is not shared).
      compute_shared<Real>(tickets, runner, layout, journal, todo, writer_threads, i == 0 ? &progress : nullptr,
                           &journal_mutex);
    }));
  for (auto& w : workers) w.wait();
  for (auto& w : workers) w.get();  // rethrows the first failure
}

}  // namespace scaleham
