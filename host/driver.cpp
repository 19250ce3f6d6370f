#include "driver.hpp"

#include <fmt/format.h>


#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <thread>

#include "backend_choice.hpp"
#include "batches.hpp"
#include "interrupt.hpp"
#include "journal.hpp"
#include "config.hpp"
#include "cpu_backend.hpp"
#include "cuda_backend.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "sweep.hpp"

namespace scaleham {

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Default batch sizes: large enough to fill the device and amortise a launch
// or an OpenMP region, small enough that two batches of results stay modest
// (a point_result<double> is 224 bytes: 2^21 points ≈ 470 MB per slot).
constexpr std::uint64_t default_cpu_batch = std::uint64_t(1) << 16;
constexpr std::uint64_t default_gpu_batch = std::uint64_t(1) << 21;


/// A sweep's output under construction: the HDF5 writer, the journal of
/// finished batches, and the bookkeeping of the summary and progress bar.
template <class Real>
struct sweep_output {
  const std::vector<batch>& batches;
  result_writer<Real>& writer;
  batch_journal& journal;
  run_summary& summary;
  progress_reporter& progress;
  std::uint64_t curve_values;  // per point; 0 when curves are not written
  std::string writer_path;     // the output file, for messages
  std::uint64_t done = 0;

  /// Writes batch k (already recorded in the journal) into the file.
  void write(std::size_t k, const point_result<Real>* results, const Real* curves) {
    const auto write_start = clock_type::now();
    writer.write(batches[k], results, curves);
    summary.seconds_writing += seconds_since(write_start);
    for (std::uint64_t i = 0; i < batches[k].count; ++i) {
      ++summary.flow_status[static_cast<int>(results[i].flow_status)];
      ++summary.action_status[static_cast<int>(results[i].action_status)];
      ++summary.fit_status[static_cast<int>(results[i].fit.code)];
    }
    done += batches[k].count;
    progress.update(done);
  }

  /// Records batch k in the journal: from here on it is never computed again.
  void record(std::size_t k, const point_result<Real>* results, const Real* curves) {
    journal.record(k, results, batches[k].count * sizeof(point_result<Real>), curves,
                   batches[k].count * curve_values * sizeof(Real));
  }
};

/// Batches already in the journal (a resumed run) go straight into the file.
template <class Real>
void replay_recorded(sweep_output<Real>& out, std::uint64_t capacity) {
  std::vector<point_result<Real>> results;
  std::vector<Real> curves;
  for (std::size_t k = 0; k < out.batches.size(); ++k) {
    if (!out.journal.has(k)) continue;
    results.resize(capacity);
    curves.resize(capacity * out.curve_values);
    const std::uint64_t n = out.batches[k].count;
    out.journal.read(k, results.data(), n * sizeof(point_result<Real>), curves.data(),
                     n * out.curve_values * sizeof(Real));
    out.write(k, results.data(), out.curve_values > 0 ? curves.data() : nullptr);
    ++out.summary.batches_resumed;
  }
}

/// Test hook (SCALEHAM_TEST_HOLD_FILE=PATH): after the first batch computed,
/// create PATH and wait until it is removed (at most 60 s), so tests can act
/// on a run in progress at a known point (signals, a second process).
void hold_for_tests() {
  const char* path = std::getenv("SCALEHAM_TEST_HOLD_FILE");
  if (path == nullptr || *path == '\0') return;
  std::FILE* file = std::fopen(path, "w");
  if (file == nullptr) return;
  std::fclose(file);
  for (int waited = 0; waited < 6000 && std::filesystem::exists(path); ++waited)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

/// Computes the batches the journal lacks. Batch k+1 computes while batch k
/// is recorded and written; starting it only after k finished keeps the CPU
/// backend from running two OpenMP loops at once.
template <class Real, class Runner>
void compute_missing(sweep_output<Real>& out, Runner& runner) {
  std::vector<std::size_t> todo;
  for (std::size_t k = 0; k < out.batches.size(); ++k)
    if (!out.journal.has(k)) todo.push_back(k);
  if (todo.empty()) return;
  runner.start(0, out.batches[todo[0]].first, out.batches[todo[0]].count);
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const int slot = int(i % 2);
    const auto wait_start = clock_type::now();
    const point_result<Real>* results = runner.finish(slot);
    out.summary.seconds_waiting += seconds_since(wait_start);
    // On a signal the batch in hand is still recorded and written, but no
    // other is started.
    const int signal = pending_signal();
    if (signal == 0 && i + 1 < todo.size())
      runner.start(int((i + 1) % 2), out.batches[todo[i + 1]].first, out.batches[todo[i + 1]].count);
    const Real* curves = runner.curves(slot);
    out.record(todo[i], results, curves);
    out.write(todo[i], results, curves);
    if (signal != 0)
      throw interrupted(signal, "interrupted by " + signal_name(signal) + " after " +
                                    std::to_string(out.journal.recorded()) + " of " +
                                    std::to_string(out.batches.size()) + " batches, all kept in " +
                                    batch_journal::directory_for(out.writer_path));
    if (i == 0) hold_for_tests();
  }
}

/// Bytes of host memory installed (0 if unknown).
std::uint64_t host_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? std::uint64_t(pages) * std::uint64_t(page_size) : 0;
}

/// How many points a batch may hold on the chosen backend: two slots of
/// results (and curves) in at most a quarter of the host's memory (pinned
/// memory, for the GPU) and, on the GPU, within cuda::max_batch_points.
struct batch_limit {
  std::uint64_t points = std::numeric_limits<std::uint64_t>::max();
  std::string reason;  ///< what sets it, for the notice
};

template <class Real>
batch_limit batch_limit_for(const sweep_config& config, const sweep_spec<Real>& spec,
                            const backend_choice& backend) {
  const bool curves = config.output.curves && config.settings.relaxation.enabled;
  const std::uint64_t per_point =
      sizeof(point_result<Real>) + (curves ? std::uint64_t(config.settings.relaxation.n_T) * sizeof(Real) : 0);
  batch_limit limit;
  if (const std::uint64_t memory = host_memory_bytes(); memory > 0)
    limit = {std::max<std::uint64_t>(1, memory / 4 / (2 * per_point)), "a quarter of the host memory"};
  if (backend.use_cuda) {
    const std::uint64_t device_points = cuda::max_batch_points(spec, curves, backend.cuda_device);
    if (device_points < limit.points) limit = {device_points, "40 % of the free GPU memory"};
  }
  return limit;
}

/// Points per batch: the user's choice, else the backend's default, within the
/// limit; a --batch-points above it is lowered and `notice` says so.
std::uint64_t batch_capacity(const sweep_config& config, const run_options& options,
                             const backend_choice& backend, const batch_limit& limit, std::string& notice) {
  std::uint64_t wanted = options.batch_points;
  if (wanted == 0) wanted = backend.use_cuda ? default_gpu_batch : default_cpu_batch;
  if (options.batch_points > limit.points)
    notice = "--batch-points " + std::to_string(options.batch_points) + " lowered to " +
             std::to_string(limit.points) + " (two batches of results must fit in " + limit.reason + ")";
  return std::max<std::uint64_t>(1, std::min({config.size(), wanted, limit.points}));
}

template <class Real>
void run_typed(const sweep_config& config, const run_options& options, const backend_choice& backend,
               run_summary& summary, clock_type::time_point start) {
  const std::string& path = options.output_path;
  // Before anything is created, truncated or removed: one run per output.
  // (The path is checked first, so no lock file lands next to a device or in
  // a missing directory; whether an existing output may be replaced is
  // decided below, once the lock is held.)
  check_output_path(path, /*force=*/true);
  const output_lock lock(path);
  journal_manifest manifest;
  manifest.version = SCALEHAM_VERSION_STRING;
  manifest.config_text = config.source_text;
  manifest.precision = options.precision;
  manifest.points = config.size();
  manifest.result_bytes = sizeof(point_result<Real>);
  manifest.curve_values = config.output.curves && config.settings.relaxation.enabled
                              ? std::uint64_t(config.settings.relaxation.n_T)
                              : 0;

  const bool unfinished = batch_journal::exists(path);
  const bool resuming = unfinished && options.resume && !options.force;
  if (unfinished && !options.resume && !options.force)
    throw output_error(path + " has an unfinished run (" + batch_journal::directory_for(path) +
                       "); rerun with --resume to finish it, or with --force to start over");
  const sweep_plan<Real> plan(config);
  const batch_limit limit = batch_limit_for(config, plan.spec(), backend);
  std::string capacity_notice;
  std::uint64_t capacity = batch_capacity(config, options, backend, limit, capacity_notice);
  if (resuming) {
    const std::uint64_t planned = batch_journal::read_manifest(path).batch_capacity;  // the plan it started with
    // The batches are fixed by the journal: a smaller device cannot take them.
    if (planned > limit.points)
      throw backend_error(path + " was started with batches of " + std::to_string(planned) +
                          " points, more than fit here (" + std::to_string(limit.points) + ": " + limit.reason +
                          "); resume it where it started, or on a larger GPU or host");
    capacity = planned;
    capacity_notice.clear();
    std::error_code ignored;
    if (std::filesystem::exists(path, ignored)) {
      // Killed after publishing the file, before removing the journal: done.
      batch_journal::resume(path, manifest).remove();  // resume() checks it is ours
      summary.notice = path + " was already complete; removed its journal";
      summary.points = config.size();
      return;
    }
  }
  if (!capacity_notice.empty()) {
    if (!options.quiet) std::fprintf(stderr, "scaleham: %s\n", capacity_notice.c_str());
    summary.notice += (summary.notice.empty() ? "" : "; ") + capacity_notice;
  }
  const std::vector<batch> batches = plan_batches(config.shape(), capacity);
  manifest.batch_capacity = capacity;
  manifest.batches = batches.size();
  summary.batches = batches.size();

  // The writer checks the output path before anything is created; the journal
  // comes second, so bad input leaves no trace.
  result_writer<Real> writer(path, config, options.force);
  batch_journal journal = resuming ? batch_journal::resume(path, manifest)
                                   : batch_journal::create(path, manifest);
  progress_reporter progress(config.size(), !options.quiet);
  sweep_output<Real> out{batches, writer, journal, summary, progress, manifest.curve_values, path};

  replay_recorded(out, capacity);
  if (journal.recorded() < batches.size()) {
    const bool curves = manifest.curve_values > 0;
    if (backend.use_cuda) {
      cuda::sweep_runner<Real> runner(plan.spec(), capacity, curves, backend.cuda_device);
      compute_missing(out, runner);
    } else {
      cpu_runner<Real> runner(plan.spec(), capacity, curves);
      compute_missing(out, runner);
    }
  }
  progress.finish();
  summary.points = out.done;

  run_info info;
  info.backend = summary.backend;
  info.device = summary.device;
  info.precision = summary.precision;
  info.version = SCALEHAM_VERSION_STRING;
  info.points = out.done;
  info.seconds_compute = summary.seconds_waiting;
  info.seconds_total = seconds_since(start);
  writer.finish(info);
  journal.remove();  // only now: until the rename, the journal is the safe copy
}

}  // namespace

nlohmann::json run_summary::to_json() const {
  auto counts = [](const std::array<std::uint64_t, status_count>& c) {
    nlohmann::json j = nlohmann::json::object();
    for (int s = 0; s < status_count; ++s)
      if (c[s] > 0) j[status_name(static_cast<status>(s))] = c[s];
    return j;
  };
  return {{"output", output_path},
          {"backend", backend},
          {"device", device},
          {"precision", precision},
          {"points", points},
          {"batches", batches},
          {"batches_resumed", batches_resumed},
          {"seconds_total", seconds_total},
          {"seconds_waiting_for_backend", seconds_waiting},
          {"seconds_writing", seconds_writing},
          {"points_per_second", seconds_total > 0 ? double(points) / seconds_total : 0.0},
          {"flow_status", counts(flow_status)},
          {"action_status", counts(action_status)},
          {"fit_status", counts(fit_status)},
          {"notice", notice}};
}

run_summary run_sweep(const sweep_config& config, const run_options& options) {
  const auto start = clock_type::now();
  if (options.precision != "double" && options.precision != "float")
    throw std::invalid_argument("unknown precision '" + options.precision + "'");

  // The config was validated for double; float cannot reach tolerances below
  // 10 ε ≈ 1.2e-6, and every point would end in invalid_options. Say so now.
  if (options.precision == "float" && config.settings.method == integrator::dopri5 &&
      !valid_options(settings_as<float>(config.settings).dopri5))
    throw config_error(fmt::format("{}: rtol {:g} with atol {:g} is below what --precision float can deliver; "
                                   "use flow.rtol >= 1.2e-6",
                                   config_key_location(config, "flow.rtol"), config.settings.dopri5.rtol,
                                   config.settings.dopri5.atol));

  const interrupt_guard signals;  // SIGINT/SIGTERM/SIGHUP: stop after the batch in flight
  run_summary summary;
  summary.output_path = options.output_path;
  summary.precision = options.precision;
  const backend_choice backend = choose_backend(options.backend, "running", options.quiet, options.device);
  summary.backend = backend.backend;
  summary.device = backend.device;
  summary.notice = backend.notice;

  if (options.precision == "float")
    run_typed<float>(config, options, backend, summary, start);
  else
    run_typed<double>(config, options, backend, summary, start);
  summary.seconds_total = seconds_since(start);
  return summary;
}

}  // namespace scaleham
