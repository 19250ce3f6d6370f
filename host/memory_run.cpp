// run_sweep_in_memory: the sweep of run_sweep, written into an HDF5 file that
// lives in memory (the Python binding's `scaleham.run` without an output).
// The same pipeline and writer as a run into a file (sweep_pipeline.hpp), so
// the datasets are the same bits; only the journal, the lock and the publishing
// rename, which exist to survive a crash, are left out.
#include <string>
#include <vector>

#include "backend_choice.hpp"
#include "batches.hpp"
#include "driver.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "output_fields.hpp"
#include "run_sizing.hpp"
#include "sweep.hpp"
#include "sweep_pipeline.hpp"

namespace scaleham {

namespace {

/// The name of the in-memory file in messages.
const std::string memory_file_name = "<in-memory run>";

template <class Real>
std::vector<std::byte> compute_in_memory(const sweep_config& config, const run_options& options,
                                         const backend_choice& backend, run_summary& summary,
                                         clock_type::time_point start) {
  const batch range = shard_range(config.size(), options.shard);
  const sweep_plan<Real> plan(config);
  if (const std::string compiled = prepare_gpu_kernels(plan.spec(), backend, options.quiet); !compiled.empty())
    summary.notice += (summary.notice.empty() ? "" : "; ") + compiled;
  const batch_limit limit = batch_limit_for(config, plan.spec(), backend);
  std::string capacity_notice;
  const std::uint64_t capacity = batch_points_of(options, range.count, backend, limit, capacity_notice);
  if (!capacity_notice.empty()) summary.notice += (summary.notice.empty() ? "" : "; ") + capacity_notice;
  check_sizes<Real>(config, options, range.count, /*in_memory=*/true);
  const std::vector<batch> todo = plan_range(config.shape(), range.first, range.count, capacity);

  writer_options writing;
  writing.threads = options.writer_threads;
  writing.shard = options.shard;
  writing.shard_points = range;
  writing.in_memory = true;
  result_writer<Real> writer(memory_file_name, config, /*force=*/false, writing);
  summary.batches = todo.size();
  progress_reporter progress = options.observe ? progress_reporter(range.count, options.observe)
                                              : progress_reporter(range.count, false);
  sweep_output<Real> out{writer, nullptr, summary, progress, memory_file_name};
  if (!todo.empty())
    with_runner(plan.spec(), capacity, curve_values_of(config) > 0, backend,
                [&](auto& runner) { compute_missing(out, runner, todo); });
  progress.finish();
  summary.points = out.done;
  writer.finish(finished_run_info(summary, options, start));
  return writer.take_image();
}

}  // namespace

memory_run run_sweep_in_memory(const sweep_config& config, const run_options& options) {
  const auto start = clock_type::now();
  check_precision(config, options.precision);
  if (options.devices.size() > 1)
    throw std::invalid_argument("a run in memory computes on one GPU; give it an output file to spread it over " +
                                std::to_string(options.devices.size()) + " GPUs");
  if (options.resume) throw std::invalid_argument("a run in memory keeps no journal: there is nothing to resume");
  if (!options.devices.empty() && options.backend == "cpu")
    throw std::invalid_argument("--devices lists GPUs, but --backend is cpu");

  // SIGINT (a notebook's interrupt): stop after the batch in flight.
  const interrupt_guard signals(/*keeps_work=*/false);
  memory_run result;
  run_summary& summary = result.summary;
  summary.precision = options.precision;
  const int device = options.devices.empty() ? options.device : options.devices.front();
  const backend_choice backend = without_runtime_compiler(
      choose_backend(options.backend, "running", /*quiet=*/true, device), options.backend, config, /*quiet=*/true);
  if (!options.devices.empty() && !backend.use_cuda)
    throw backend_error("--devices " + std::to_string(options.devices.size()) +
                        " GPU asked for, but no GPU can be used: " + backend.notice);
  summary.backend = backend.backend;
  summary.device = backend.device;
  summary.notice = backend.notice;
  summary.fit_written = writes_fit(config);
  result.image = options.precision == "float"
                     ? compute_in_memory<float>(config, options, backend, summary, start)
                     : compute_in_memory<double>(config, options, backend, summary, start);
  summary.seconds_total = seconds_since(start);
  return result;
}

}  // namespace scaleham
