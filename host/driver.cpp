#include "driver.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "batches.hpp"
#include "config.hpp"
#include "cpu_backend.hpp"
#include "cuda_backend.hpp"
#include "output.hpp"
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
// (a point_result<double> is ~90 bytes: 2^21 points ≈ 190 MB per slot).
constexpr std::uint64_t default_cpu_batch = std::uint64_t(1) << 16;
constexpr std::uint64_t default_gpu_batch = std::uint64_t(1) << 21;

std::string cpu_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "CPU";
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + " (" + std::to_string(omp_get_max_threads()) + " threads)";
}

template <class Real, class Runner>
void stream_batches(const sweep_config& config, const run_options& options, std::uint64_t capacity,
                    Runner& runner, run_summary& summary, clock_type::time_point start) {
  const std::vector<batch> batches = plan_batches(config.shape(), capacity);
  result_writer<Real> writer(options.output_path, config, options.force);
  progress_reporter progress(config.size(), !options.quiet);
  summary.batches = batches.size();

  std::uint64_t done = 0;
  if (!batches.empty()) runner.start(0, batches[0].first, batches[0].count);
  for (std::size_t k = 0; k < batches.size(); ++k) {
    const auto wait_start = clock_type::now();
    const point_result<Real>* results = runner.finish(int(k % 2));
    summary.seconds_waiting += seconds_since(wait_start);
    // Batch k+1 computes while batch k is written. Starting it only after k
    // finished keeps the CPU backend from running two OpenMP loops at once.
    if (k + 1 < batches.size())
      runner.start(int((k + 1) % 2), batches[k + 1].first, batches[k + 1].count);

    const auto write_start = clock_type::now();
    writer.write(batches[k], results, runner.curves(int(k % 2)));
    summary.seconds_writing += seconds_since(write_start);
    for (std::uint64_t i = 0; i < batches[k].count; ++i) {
      ++summary.flow_status[static_cast<int>(results[i].flow_status)];
      ++summary.action_status[static_cast<int>(results[i].action_status)];
      ++summary.fit_status[static_cast<int>(results[i].fit.code)];
    }
    done += batches[k].count;
    progress.update(done);
  }
  progress.finish();
  summary.points = done;

  run_info info;
  info.backend = summary.backend;
  info.device = summary.device;
  info.precision = summary.precision;
  info.version = SCALEHAM_VERSION_STRING;
  info.points = done;
  info.seconds_compute = summary.seconds_waiting;
  info.seconds_total = seconds_since(start);
  writer.finish(info);
}

template <class Real>
void run_typed(const sweep_config& config, const run_options& options, bool use_cuda,
               run_summary& summary, clock_type::time_point start) {
  const std::uint64_t default_batch = use_cuda ? default_gpu_batch : default_cpu_batch;
  const std::uint64_t capacity =
      std::max<std::uint64_t>(1, std::min(config.size(), options.batch_points > 0
                                                             ? options.batch_points
                                                             : default_batch));
  if (use_cuda) {
    cuda::sweep_runner<Real> runner(config, capacity);
    stream_batches<Real>(config, options, capacity, runner, summary, start);
  } else {
    cpu_runner<Real> runner(config, capacity);
    stream_batches<Real>(config, options, capacity, runner, summary, start);
  }
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
  if (options.backend != "auto" && options.backend != "cuda" && options.backend != "cpu")
    throw std::invalid_argument("unknown backend '" + options.backend + "'");
  if (options.precision != "double" && options.precision != "float")
    throw std::invalid_argument("unknown precision '" + options.precision + "'");

  // The config was validated for double; float cannot reach tolerances below
  // 10 ε ≈ 1.2e-6, and every point would end in invalid_options. Say so now.
  if (options.precision == "float" && config.settings.method == integrator::dopri5 &&
      !valid_options(settings_as<float>(config.settings).dopri5))
    throw config_error(config.source_name + ": key 'flow.rtol': " +
                       std::to_string(config.settings.dopri5.rtol) +
                       " is below what --precision float can deliver; use flow.rtol >= 1.2e-6");

  run_summary summary;
  summary.output_path = options.output_path;
  summary.precision = options.precision;
  bool use_cuda = false;
  if (options.backend != "cpu") {
    const cuda::probe_result gpu = cuda::probe();
    if (gpu.usable) {
      use_cuda = true;
      summary.device = gpu.device_name;
    } else if (options.backend == "cuda") {
      throw backend_error("--backend cuda: " + gpu.reason);
    } else {
      summary.notice = gpu.reason + "; running on the CPU backend";
    }
  }
  summary.backend = use_cuda ? "cuda" : "cpu";
  if (!use_cuda) summary.device = cpu_description();
  if (!summary.notice.empty() && !options.quiet)
    std::fprintf(stderr, "scaleham: %s\n", summary.notice.c_str());

  if (options.precision == "float")
    run_typed<float>(config, options, use_cuda, summary, start);
  else
    run_typed<double>(config, options, use_cuda, summary, start);
  summary.seconds_total = seconds_since(start);
  return summary;
}

}  // namespace scaleham
