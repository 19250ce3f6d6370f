// `scaleham run --dry-run`: what a run would do, creating no file. The grid
// and its batches as run_sweep would plan them, the bytes of the output file
// and of the journal, and the compute time, extrapolated from a timed sample
// of points spread over the grid, computed on the backend the run would use.
#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "backend_choice.hpp"
#include "driver.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "run_sizing.hpp"
#include "shards.hpp"
#include "sweep.hpp"
#include "sweep_pipeline.hpp"

namespace scaleham {

namespace {

/// Seconds of sampling the estimate aims at: long enough to be above timer and
/// launch noise, short enough for a dry run.
constexpr double sample_seconds_wanted = 0.3;
/// The sample is taken in this many runs of consecutive points, spread evenly
/// over the grid (consecutive points share all but the last axis' values).
constexpr std::uint64_t sample_chunks = 8;

/// Computes about `count` points of `range` in sample_chunks runs, run c at
/// the start of the c-th of sample_chunks equal parts of the range (so a count
/// equal to the range computes every point once); each run is at most
/// `capacity` points. Returns the points computed and the seconds taken.
template <class Real, class Runner>
std::pair<std::uint64_t, double> time_spread_sample(Runner& runner, const batch& range, std::uint64_t count,
                                                    std::uint64_t capacity) {
  const auto start = clock_type::now();
  std::uint64_t computed = 0;
  for (std::uint64_t c = 0; c < sample_chunks; ++c) {
    const std::uint64_t part_begin = range.count * c / sample_chunks;
    const std::uint64_t part_end = range.count * (c + 1) / sample_chunks;
    const std::uint64_t n = std::min({count * (c + 1) / sample_chunks - count * c / sample_chunks,
                                      part_end - part_begin, capacity});
    if (n == 0) continue;
    runner.start(0, range.first + part_begin, n);
    runner.finish(0);
    computed += n;
  }
  return {computed, seconds_since(start)};
}

template <class Real>
void estimate_compute(const sweep_config& config, const run_options& options, const backend_choice& backend,
                      const batch& range, run_estimate& e) {
  const sweep_plan<Real> plan(config);
  // A compile of formula kernels is work the run would do (once: later runs
  // read them from the cache), so the dry run does it and says so.
  if (const std::string compiled = prepare_gpu_kernels(plan.spec(), backend, options.quiet); !compiled.empty())
    e.notice += (e.notice.empty() ? "" : "; ") + compiled;
  const batch_limit limit = batch_limit_for(config, plan.spec(), backend);
  std::string notice;
  e.batch_points = batch_points_of(options, range.count, backend, limit, notice);
  if (!notice.empty()) e.notice += (e.notice.empty() ? "" : "; ") + notice;
  e.batches = plan_range(config.shape(), range.first, range.count, e.batch_points).size();
  const record_layout<Real> layout(config);
  e.bytes_per_point = layout.bytes_per_point();
  if (range.count == 0) return;

  // Runs large enough to keep the backend busy (every CPU thread; a GPU's
  // thousands of threads), grown 4x until the sample takes
  // sample_seconds_wanted or is the whole range.
  const bool curves = curve_values_of(config) > 0;
  const std::uint64_t capacity = std::min(range.count, e.batch_points);
  const std::uint64_t busy_run =
      backend.use_cuda ? std::uint64_t(1) << 15 : 4 * std::uint64_t(std::max(1, omp_get_max_threads()));
  std::uint64_t count = std::min(range.count, sample_chunks * busy_run);
  const auto sample = [&](auto& runner) {
    while (true) {
      const auto [points, seconds] = time_spread_sample<Real>(runner, range, count, capacity);
      e.sample_points = points;
      e.sample_seconds = seconds;
      if (seconds >= sample_seconds_wanted || points == range.count || points >= capacity * sample_chunks) return;
      count = std::min(range.count, count * 4);
    }
  };
  with_runner(plan.spec(), capacity, curves, backend, [&](auto& runner) {
    if (backend.use_cuda) {  // the first launch loads the module: not part of the rate
      runner.start(0, range.first, 1);
      runner.finish(0);
    }
    sample(runner);
  });
  e.estimated_compute_seconds = e.sample_seconds / double(e.sample_points) * double(range.count);
}

}  // namespace

run_estimate estimate_run(const sweep_config& config, const run_options& options, bool check_output) {
  check_precision(config, options.precision);
  if (check_output && !options.resume) check_output_path(options.output_path, options.force);
  run_estimate e;
  e.output_path = check_output ? options.output_path : "";
  if (!options.devices.empty() && options.backend == "cpu")
    throw std::invalid_argument("--devices lists GPUs, but --backend is cpu");
  // The run's first device (with --devices, each of them computes as fast).
  const int device = options.devices.empty() ? options.device : options.devices.front();
  const backend_choice backend = without_runtime_compiler(
      choose_backend(options.backend, "running", /*quiet=*/true, device), options.backend, config, /*quiet=*/true);
  if (!options.devices.empty() && !backend.use_cuda)
    throw backend_error("--devices " + std::to_string(options.devices.size()) +
                        " GPUs asked for, but no GPU can be used: " + backend.notice);
  e.backend = backend.backend;
  e.device = backend.device;
  e.notice = backend.notice;
  e.precision = options.precision;
  const batch range = shard_range(config.size(), options.shard);
  e.points = range.count;
  e.grid_points = config.size();
  for (std::size_t a = 0; a < config.axes.size() && !config.random; ++a)
    e.shape.emplace_back(config.axes[a].name, config.shape()[a]);
  if (config.random) e.shape.emplace_back("point", config.size());
  if (options.precision == "float")
    estimate_compute<float>(config, options, backend, range, e);
  else
    estimate_compute<double>(config, options, backend, range, e);
  e.record_bytes = e.bytes_per_point * e.points;
  e.compressed = config.output.compression > 0;
  return e;
}

nlohmann::json run_estimate::to_json() const {
  nlohmann::json axes = nlohmann::json::array();
  for (const auto& [name, count] : shape) axes.push_back({{"name", name}, {"count", count}});
  return {{"dry_run", true},
          {"output", output_path},
          {"backend", backend},
          {"device", device},
          {"precision", precision},
          {"points", points},
          {"grid_points", grid_points},
          {"shape", axes},
          {"batches", batches},
          {"batch_points", batch_points},
          {"bytes_per_point", bytes_per_point},
          {"file_bytes_uncompressed", record_bytes},
          {"journal_bytes", record_bytes},
          {"compressed", compressed},
          {"sample_points", sample_points},
          {"sample_seconds", sample_seconds},
          {"estimated_compute_seconds", estimated_compute_seconds},
          {"notice", notice}};
}

std::string run_estimate::to_text() const {
  std::string axes;
  for (const auto& [name, count] : shape) axes += fmt::format("{}{} {}", axes.empty() ? "" : " x ", count, name);
  const auto bytes = [](std::uint64_t b) { return progress_reporter::human_count(double(b)) + "B"; };
  std::string text = "dry run: no file created\n";
  text += fmt::format("grid:     {} points ({}){}\n", grid_points, axes,
                      points != grid_points ? fmt::format(", this shard {}", points) : "");
  text += fmt::format("backend:  {} ({}), {}\n", backend, device, precision);
  text += fmt::format("batches:  {} of at most {} points\n", batches, batch_points);
  text += fmt::format("output:   {}: {} uncompressed ({} bytes per point){}\n", output_path, bytes(record_bytes),
                      bytes_per_point, compressed ? ", less with the configured compression" : "");
  text += fmt::format("journal:  up to {} beside it while the run lasts\n", bytes(record_bytes));
  if (sample_points > 0)
    text += fmt::format("estimate: {} of compute ({} points {} in {:.3g} s, {} points/s){}\n",
                        estimated_compute_seconds < 60 ? fmt::format("{:.2g} s", estimated_compute_seconds)
                                                       : progress_reporter::human_duration(estimated_compute_seconds),
                        sample_points, sample_points == points ? "(all) computed" : "sampled", sample_seconds,
                        progress_reporter::human_count(double(sample_points) / sample_seconds),
                        backend == "cuda" ? ", on one GPU" : "");
  if (!notice.empty()) text += "notice:   " + notice + "\n";
  return text;
}

}  // namespace scaleham
