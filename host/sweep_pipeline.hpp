// The pipeline of a sweep's batches, shared by run_sweep (into a file, with a
// journal) and run_sweep_in_memory: the backend computes batch k + 1 while
// batch k is packed, and the writer's thread records and writes the batches
// in order. Private to the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "backend_choice.hpp"
#include "batches.hpp"
#include "cpu_backend.hpp"
#include "cuda_backend.hpp"
#include "driver.hpp"
#include "interrupt.hpp"
#include "journal.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "run_sizing.hpp"

namespace scaleham {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Default batch sizes: large enough to fill the device and amortise a launch
// or an OpenMP region, small enough that two batches of results stay modest
// (a point_result<double> is 224 bytes: 2^21 points ≈ 470 MB per slot).
constexpr std::uint64_t default_cpu_batch = std::uint64_t(1) << 16;
constexpr std::uint64_t default_gpu_batch = std::uint64_t(1) << 21;


/// A sweep's output under construction: the HDF5 writer, the journal of
/// finished batches (none for a run in memory), and the bookkeeping of the
/// summary and progress bar. keep() and write() run on the writer's thread,
/// one batch at a time.
template <class Real>
struct sweep_output {
  result_writer<Real>& writer;
  batch_journal* journal;  ///< null: nothing is recorded (run_sweep_in_memory)
  run_summary& summary;
  progress_reporter& progress;
  std::string writer_path;  // the output file, for messages
  std::uint64_t done = 0;

  const record_layout<Real>& layout() const { return writer.layout(); }
  std::uint64_t result_bytes(const batch& b) const { return b.count * layout().column_bytes; }
  std::uint64_t curve_bytes(const batch& b) const { return b.count * layout().n_T * layout().curve_value_bytes; }

  /// Writes batch b, packed (record_layout), into the file and counts it.
  void write(const batch& b, const std::byte* packed) {
    writer.write_packed(b, packed);
    const record_layout<Real>& l = layout();
    const auto codes = [&](int column) {
      return reinterpret_cast<const std::uint8_t*>(packed + b.count * l.columns[std::size_t(column)].offset);
    };
    const std::uint8_t *flow = codes(l.flow_status), *action = codes(l.action_status), *fit = codes(l.fit_status);
    for (std::uint64_t i = 0; i < b.count; ++i) {
      ++summary.flow_status[flow[i]];
      ++summary.action_status[action[i]];
      ++summary.fit_status[fit[i]];
      summary.failed_points += !succeeded(status(flow[i])) || !succeeded(status(action[i])) ||
                               (summary.fit_written && !succeeded(status(fit[i])));
    }
    done += b.count;
    progress.update(done);
  }

  /// A computed batch, packed: recorded in the journal and, at the same time,
  /// written into the .partial (which a resume never trusts, so the order of
  /// the two does not matter; publishing waits for both).
  void keep(const batch& b, const std::byte* packed) {
    const auto start = clock_type::now();
    if (journal == nullptr) {
      write(b, packed);
      summary.seconds_writing += seconds_since(start);
      return;
    }
    auto recording = std::async(std::launch::async, [&] {
      journal->record(b, packed, result_bytes(b), packed + result_bytes(b), curve_bytes(b));
    });
    try {
      write(b, packed);
    } catch (...) {
      recording.wait();
      throw;
    }
    recording.get();
    summary.seconds_writing += seconds_since(start);
  }
};

/// Batches in the journal go straight into the file, each with the size it
/// was recorded with, whatever the batch size now: those of the run being
/// resumed (counted as resumed), and those the ranks or devices recorded.
template <class Real>
void replay_recorded(sweep_output<Real>& out, const std::vector<batch>& recorded, bool resumed = true) {
  std::vector<std::byte> packed;
  for (const batch& b : recorded) {
    packed.resize(b.count * out.layout().bytes_per_point());
    out.journal->read(b, packed.data(), out.result_bytes(b), packed.data() + out.result_bytes(b), out.curve_bytes(b));
    const auto start = clock_type::now();
    out.write(b, packed.data());
    out.summary.seconds_writing += seconds_since(start);
    out.summary.batches_resumed += resumed ? 1 : 0;
  }
}

/// Test hook (SCALEHAM_TEST_HOLD_FILE=PATH): after the first batch computed,
/// create PATH and wait until it is removed (at most 60 s), so tests can act
/// on a run in progress at a known point (signals, a second process).
inline void hold_for_tests() {
  const char* path = std::getenv("SCALEHAM_TEST_HOLD_FILE");
  if (path == nullptr || *path == '\0') return;
  std::FILE* file = std::fopen(path, "w");
  if (file == nullptr) return;
  std::fclose(file);
  for (int waited = 0; waited < 6000 && std::filesystem::exists(path); ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

/// Computes `todo`, the batches the journal lacks. Batch i+1 computes while
/// batch i is packed, and the writer (its own thread) records and writes up
/// to pipeline_slots packed batches in order. Starting batch i+1 only after i
/// finished keeps the CPU backend from running two OpenMP loops at once.
template <class Real, class Runner>
void compute_missing(sweep_output<Real>& out, Runner& runner, const std::vector<batch>& todo) {
  if (todo.empty()) return;
  std::vector<std::byte> packed[pipeline_slots];
  // kept[s]: the writer's work on the batch packed in slot s; `last`: on the
  // batch handed over last. Each batch's task waits for the one before, so
  // the file and the journal see the batches in order, and a failure reaches
  // every later task and, through these futures, this thread. (Unwinding
  // destroys them last-first, which waits for the tasks in flight.)
  std::shared_future<void> kept[pipeline_slots];
  std::shared_future<void> last;
  const auto drain = [&] {
    if (last.valid()) last.get();
  };
  runner.start(0, todo[0].first, todo[0].count);
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const int slot = int(i % 2);
    const auto wait_start = clock_type::now();
    const point_result<Real>* results = runner.finish(slot);
    out.summary.seconds_waiting += seconds_since(wait_start);
    // On a signal the batch in hand is still recorded and written, but no
    // other is started.
    const int signal = pending_signal();
    if (signal == 0 && i + 1 < todo.size())
      runner.start(int((i + 1) % 2), todo[i + 1].first, todo[i + 1].count);
    const std::size_t p = i % pipeline_slots;
    if (kept[p].valid()) kept[p].get();  // the batch packed there before is written (or failed: rethrown)
    out.writer.pack(todo[i], results, runner.curves(slot), packed[p]);
    last = std::async(std::launch::async, [&out, b = todo[i], data = packed[p].data(), before = last] {
             if (before.valid()) before.get();
             out.keep(b, data);
           }).share();
    kept[p] = last;
    if (signal != 0) {
      drain();
      if (out.journal == nullptr)
        throw interrupted(signal, "interrupted by " + signal_name(signal) + " after " + std::to_string(i + 1) +
                                      " of " + std::to_string(out.summary.batches) +
                                      " batches; a run in memory keeps nothing (give it an output file to keep "
                                      "finished batches)");
      throw interrupted(signal, "interrupted by " + signal_name(signal) + " after " +
                                    std::to_string(out.journal->recorded()) + " of " +
                                    std::to_string(out.summary.batches) + " batches, all kept in " +
                                    batch_journal::directory_for(out.writer_path));
    }
    if (i == 0) {
      drain();
      hold_for_tests();
    }
  }
  drain();
}

/// Whether `config` runs kernels compiled at run time on the GPU
/// (cuda::needs_runtime_kernels): interpreted formulas, axes over settings.
inline bool needs_runtime_kernels(const sweep_config& config) {
  if (config.interprets_formulas()) return true;
  for (const axis_config& axis : config.axes)
    if (axis.slot >= param_count) return true;
  return false;
}

/// `backend`, unless it is the GPU and `config` needs kernels compiled at run
/// time where NVRTC cannot be loaded: then --backend auto (`requested`) takes
/// the CPU and says why (stderr unless quiet), and --backend cuda is refused
/// (backend_error, exit 1).
inline backend_choice without_runtime_compiler(backend_choice backend, const std::string& requested,
                                               const sweep_config& config, bool quiet) {
  if (!backend.use_cuda || !needs_runtime_kernels(config)) return backend;
  const std::string reason = cuda::runtime_compiler_unavailable();
  if (reason.empty()) return backend;
  if (requested == "cuda") throw backend_error("--backend cuda: " + reason);
  backend_choice cpu = choose_backend("cpu", "running", /*quiet=*/true);
  cpu.notice = reason + "; running on the CPU backend";
  if (!quiet) std::fprintf(stderr, "scaleham: %s\n", cpu.notice.c_str());
  return cpu;
}

/// On the GPU, formula models and sweeps over settings run kernels compiled at
/// run time, or read from the cache of compiled kernels
/// (cuda::prepare_runtime_kernels): done here, before the run, so that a
/// compile is announced when it starts and reported when done (stderr unless
/// quiet). Returns the report for the run's notice ("" when nothing was
/// compiled).
template <class Real>
std::string prepare_gpu_kernels(const sweep_spec<Real>& spec, const backend_choice& backend, bool quiet) {
  if (!backend.use_cuda || !cuda::needs_runtime_kernels(spec)) return "";
  const cuda::runtime_kernels_report report =
      cuda::prepare_runtime_kernels(spec, backend.cuda_device, [quiet](const std::string& line) {
        if (!quiet) std::fprintf(stderr, "scaleham: %s ...\n", line.c_str());
      });
  if (!report.compiled) return "";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", report.compile_seconds);
  std::string notice = "compiled the GPU kernels of this sweep for " + report.architecture + " in " + seconds + " s";
  notice += report.cache_file.empty() ? " (not cached: " + report.cache_note + ")"
                                      : " (cached for later runs in " + report.cache_file + ")";
  if (!quiet) std::fprintf(stderr, "scaleham: %s\n", notice.c_str());
  return notice;
}

/// Calls use(runner) with the runner of `backend` (the GPU's or the CPU's) for
/// batches of up to `capacity` points of `spec`, curves kept when `curves`.
template <class Real, class Use>
void with_runner(const sweep_spec<Real>& spec, std::uint64_t capacity, bool curves, const backend_choice& backend,
                 Use&& use) {
  if (backend.use_cuda) {
    cuda::sweep_runner<Real> runner(spec, capacity, curves, backend.cuda_device);
    use(runner);
  } else {
    cpu_runner<Real> runner(spec, capacity, curves);
    use(runner);
  }
}

/// Points per batch for `points` on `backend`: --batch-points, or the
/// backend's default, within `limit` (`notice` says when it lowered a
/// --batch-points).
std::uint64_t batch_points_of(const run_options& options, std::uint64_t points, const backend_choice& backend,
                              const batch_limit& limit, std::string& notice);

/// The root attributes of a finished run's file: backend, precision, timings,
/// points (summary.points) and the process's provenance.
run_info finished_run_info(const run_summary& summary, const run_options& options, clock_type::time_point start);

/// Refuses an unknown precision, and float with tolerances it cannot reach.
void check_precision(const sweep_config& config, const std::string& precision);

}  // namespace scaleham
