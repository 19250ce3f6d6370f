#include "driver.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <future>
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
#include "distributed.hpp"
#include "instant_runner.hpp"
#include "h5.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "progress.hpp"
#include "ranks.hpp"
#include "run_sizing.hpp"
#include "sweep.hpp"
#include "sweep_pipeline.hpp"

namespace scaleham {

namespace {

/// Whether OUT.h5 already holds what this run's journal would give, so that
/// the journal is only what an interrupted clean-up left: OUT.h5 is the very
/// file the run published (a kill between the publishing rename and the
/// journal's removal), or, for a run that was not started with --force, a
/// complete scaleham file of the same configuration, precision and version
/// (results are per point and deterministic). A run started with --force was
/// to replace the file there, so only its own publication counts.
bool output_is_complete(const std::string& path, const journal_manifest& journal) {
  if (batch_journal::published(path)) return true;
  if (journal.replaces_output) return false;
  try {
    h5::quiet_errors();
    const h5::file file = h5::open_file_read_only(path);
    const hid_t root = file.get();
    for (const char* name : {"complete", "config", "precision", "version"})
      if (!h5::has_attribute(root, name)) return false;
    const std::string shard = h5::has_attribute(root, "shard") ? h5::attribute_text(root, "shard") : "";
    return h5::attribute_text(root, "complete") == "1" && h5::attribute_text(root, "config") == journal.config_text &&
           h5::attribute_text(root, "precision") == journal.precision &&
           h5::attribute_text(root, "version") == journal.version && shard == journal.shard;
  } catch (const std::exception&) {
    return false;  // not an HDF5 file, or not ours: not this run's result
  }
}

/// A rank other than 0 of a sweep computed by several ranks: takes rank 0's
/// plan, opens the journal rank 0 prepared, computes its share into it, and
/// reports its host. Writes no file and nothing on stderr.
template <class Real>
void run_rank(const sweep_config& config, const run_options& options, const backend_choice& backend,
              run_summary& summary, process_group& group, const journal_manifest& manifest,
              const record_layout<Real>& layout) {
  std::uint64_t capacity = 0;
  const std::vector<batch> todo = plan_from_text(group.broadcast(""), capacity);
  if (todo.empty()) return;  // rank 0 has nothing for us (see run_typed)
  batch_journal journal = batch_journal::resume(options.output_path, manifest);
  group.barrier();  // every rank has opened the journal
  const sweep_plan<Real> plan(config);
  summary.points = compute_on_rank<Real>(group, plan.spec(), capacity, manifest.curve_values > 0, backend, layout,
                                         journal, todo, options.writer_threads, nullptr);
  group.barrier();  // every batch is recorded
  // One decision for all ranks: a signal that reached any of them stops all.
  if (const int signal = group.max_over_ranks(pending_signal()); signal != 0)
    throw interrupted(signal, "interrupted by " + signal_name(signal));
  group.gather(host_name() + "\n" + std::to_string(summary.points));
}

template <class Real>
void run_typed(const sweep_config& config, const run_options& options, const backend_choice& backend,
               run_summary& summary, clock_type::time_point start) {
  const std::string& path = options.output_path;
  // The points this run computes: the whole grid, or one shard of it.
  const batch range = shard_range(config.size(), options.shard);
  const record_layout<Real> layout(config);
  journal_manifest manifest;
  manifest.version = SCALEHAM_VERSION_STRING;
  manifest.config_text = config.source_text;
  manifest.precision = options.precision;
  manifest.points = config.size();
  manifest.shard = options.shard.whole() ? "" : options.shard.text();
  manifest.result_bytes = layout.column_bytes;
  manifest.curve_values = layout.n_T;
  manifest.curve_value_bytes = layout.curve_value_bytes;
  // The other ranks of an MPI job only compute; rank 0 runs the sweep. All
  // ranks must compute alike (a rank that fell back to the CPU would mix CPU
  // and GPU results in one file): rank 0 refuses a mixture, which ends the job.
  process_group& group = sweep_processes();
  if (group.size() > 1) {
    const std::vector<std::string> backends = group.gather(backend.backend);
    for (std::size_t r = 1; r < backends.size(); ++r)
      if (backends[r] != backends[0])
        throw backend_error("MPI rank " + std::to_string(r) + " runs on the " + backends[r] + " backend, rank 0 on " +
                            backends[0] + " (more ranks on a node than GPUs it shows?); give --backend, or one "
                            "rank per visible GPU");
  }
  if (group.rank() != 0) {
    run_rank<Real>(config, options, backend, summary, group, manifest, layout);
    return;
  }
  // Before anything is created, truncated or removed: one run per output.
  // (The path is checked first, so no lock file lands next to a device or in
  // a missing directory; whether an existing output may be replaced is
  // decided below, once the lock is held.)
  check_output_path(path, /*force=*/true);
  check_not_an_input(path, {config.source_name});
  const output_lock lock(path);

  // What an earlier run may have left (docs/design.md §6): a journal with its
  // manifest (an unfinished run, or a finished one whose clean-up was
  // interrupted), or, without a manifest, the leftover of a clean-up. Each
  // has a way forward that loses no finished work.
  namespace fs = std::filesystem;
  refuse_dangling_link(path, options.force);
  const std::string journal_dir = batch_journal::directory_for(path);
  std::error_code ignored;
  const bool output_exists = fs::exists(fs::symlink_status(path, ignored));
  const bool unfinished = batch_journal::exists(path);
  if (!options.force && output_exists) {
    if (unfinished && output_is_complete(path, batch_journal::read_manifest(path))) {
      if (!options.resume)
        throw output_error(path + " is complete, but removing its journal " + journal_dir +
                           " was interrupted; rerun with --resume to remove it (or with --force to run again)");
      batch_journal::resume(path, manifest).remove();  // resume() checks it is ours
      summary.notice = path + " was already complete; removed its journal";
      summary.points = range.count;
      if (group.size() > 1) group.broadcast(plan_text(0, {}));  // nothing to do for the other ranks
      return;
    }
    if (!unfinished && batch_journal::leftover(path)) {
      if (!options.resume)
        throw output_error(path + " exists; " + journal_dir +
                           " is what an interrupted clean-up left of its journal: rerun with --resume to remove it, "
                           "or use --force to overwrite");
      if (!batch_journal::remove_leftover(path))
        throw output_error("cannot remove " + journal_dir + ", left by an interrupted clean-up");
      summary.notice = path + " was already complete; removed what was left of its journal";
      summary.points = range.count;
      if (group.size() > 1) group.broadcast(plan_text(0, {}));  // nothing to do for the other ranks
      return;
    }
  }
  const bool resuming = unfinished && options.resume && !options.force;
  if (unfinished && !options.resume && !options.force)
    throw output_error(path + " has an unfinished run (" + journal_dir +
                       "); rerun with --resume to finish it, or with --force to start over");
  journal_manifest found;  // the manifest of the run being resumed
  if (resuming) {
    found = batch_journal::read_manifest(path);
    // A run started with --force may replace the file there; any other would
    // fail at the very end with "exists": say now what to do instead.
    if (output_exists && !found.replaces_output)
      throw output_error(path + " exists and is not the result of the unfinished run in " + journal_dir +
                         "; move it away and rerun with --resume (the journal keeps the finished batches), "
                         "or use --force to start over");
  }
  const sweep_plan<Real> plan(config);
  if (const std::string compiled = prepare_gpu_kernels(plan.spec(), backend, options.quiet); !compiled.empty())
    summary.notice += (summary.notice.empty() ? "" : "; ") + compiled;
  const batch_limit limit = batch_limit_for(config, plan.spec(), backend);
  std::string capacity_notice;
  std::uint64_t capacity = batch_points_of(options, range.count, backend, limit, capacity_notice);
  if (resuming) {
    // The recorded batches are replayed as they are; the points still missing
    // are planned anew, in batches no larger than the run started with, and
    // smaller when --batch-points asks for it or they would not fit here (a
    // batch that ran out of memory, a smaller GPU or host). Results are per
    // point, so the file is the same bits whatever the batches.
    std::uint64_t wanted = found.batch_capacity;
    if (options.batch_points > 0) wanted = std::min(wanted, options.batch_points);
    capacity_notice.clear();
    capacity = batch_capacity(range.count, wanted,
                              "batches of " + std::to_string(wanted) + " points (for the points still missing)", limit,
                              capacity_notice);
  }
  if (!capacity_notice.empty()) {
    if (!options.quiet) std::fprintf(stderr, "scaleham: %s\n", capacity_notice.c_str());
    summary.notice += (summary.notice.empty() ? "" : "; ") + capacity_notice;
  }
  if (!resuming) check_sizes<Real>(config, options, range.count);  // a resumed run passed them when it started
  std::vector<batch> todo;  // the batches to compute
  if (!resuming) {
    todo = plan_range(config.shape(), range.first, range.count, capacity);
    manifest.batch_capacity = capacity;
    manifest.batches = todo.size();
    manifest.replaces_output = options.force;
  }

  // The writer checks the output path before anything is created; the journal
  // comes second, so bad input leaves no trace.
  writer_options writing;
  writing.threads = options.writer_threads;
  writing.shard = options.shard;
  writing.shard_points = range;
  result_writer<Real> writer(path, config, options.force || (resuming && found.replaces_output), writing);
  batch_journal journal = resuming ? batch_journal::resume(path, manifest)
                                   : batch_journal::create(path, manifest);
  std::vector<batch> replay;  // the recorded batches, replayed
  if (resuming) {
    // Only rectangular batches can be written; the journal cannot check that
    // (it does not know the grid's shape), and a valid checksum on a batch of
    // this run that is not one is a forgery: computed again like the rest.
    std::uint64_t unusable = 0;
    for (const batch& b : journal.recorded_batches()) {
      try {
        hyperslab_of(config.shape(), b);
        if (b.first < range.first || b.first + b.count > range.first + range.count)
          throw std::invalid_argument("outside the shard");
        replay.push_back(b);
      } catch (const std::invalid_argument&) {
        ++unusable;
      }
    }
    todo = plan_missing(config.shape(), replay, capacity, range);
    rejected_batches rejected = journal.rejected();
    rejected.damaged += unusable;
    if (rejected.total() > 0) {
      const std::string notice = "ignored " + rejected.describe() + " in " + journal_dir +
                                 "; their points are computed again";
      if (!options.quiet) std::fprintf(stderr, "scaleham: %s\n", notice.c_str());
      summary.notice += (summary.notice.empty() ? "" : "; ") + notice;
    }
  }
  summary.batches = replay.size() + todo.size();
  std::vector<std::pair<std::string, std::string>> ranks_provenance;
  progress_reporter progress = options.observe
                                   ? progress_reporter(range.count, options.observe)
                                   : progress_reporter(range.count, !options.quiet, options.progress_interval);
  sweep_output<Real> out{writer, &journal, summary, progress, path};

  replay_recorded(out, replay);
  const bool on_ranks = group.size() > 1;
  const bool on_devices = !on_ranks && backend.use_cuda && options.devices.size() > 1;
  if (on_ranks || on_devices) {
    // The ranks, or the devices, share the batches through the journal
    // (distributed.hpp); then this thread writes them all into the file, as a
    // resume does.
    std::uint64_t mine = 0;
    int signal = 0;
    const auto computing = clock_type::now();
    if (on_ranks) {
      // With nothing left to compute (a resume of a finished journal), the
      // other ranks stop at the plan; else they open the journal, compute,
      // and report.
      group.broadcast(plan_text(capacity, todo));
      if (!todo.empty()) {
        group.barrier();  // every rank has opened the journal
        mine = compute_on_rank<Real>(group, plan.spec(), capacity, manifest.curve_values > 0, backend, layout,
                                     journal, todo, options.writer_threads, &progress);
        group.barrier();  // every batch is recorded
        signal = group.max_over_ranks(pending_signal());  // one decision for all ranks
      }
    } else {
      compute_on_devices<Real>(options.devices, plan.spec(), capacity, manifest.curve_values > 0, layout, journal,
                               todo, options.writer_threads, progress);
      signal = pending_signal();
    }
    summary.seconds_waiting += seconds_since(computing);  // the compute, not hidden by writing here
    if (signal != 0)
      throw interrupted(signal, "interrupted by " + signal_name(signal) + "; the finished batches are kept in " +
                                    batch_journal::directory_for(path));
    journal = batch_journal::resume(path, manifest);  // now with every worker's batches
    replay_recorded(out, todo, /*resumed=*/false);
    if (on_devices) {
      std::string devices;
      for (int d : options.devices) devices += (devices.empty() ? "" : ",") + std::to_string(d);
      ranks_provenance = {{"devices", devices}};
    }
    // Each rank's host and the points it computed, one line per rank.
    std::string hosts, points;
    const std::vector<std::string> reports = on_ranks && !todo.empty()
                                                 ? group.gather(host_name() + "\n" + std::to_string(mine))
                                                 : std::vector<std::string>{};
    for (const std::string& text : reports) {
      const std::size_t cut = text.rfind('\n');
      hosts += (hosts.empty() ? "" : "\n") + text.substr(0, cut);
      points += (points.empty() ? "" : "\n") + text.substr(cut + 1);
    }
    if (on_ranks) {
      summary.notice += std::string(summary.notice.empty() ? "" : "; ") + std::to_string(group.size()) + " MPI ranks";
      ranks_provenance = {{"mpi_ranks", std::to_string(group.size())}, {"mpi_hosts", hosts}, {"mpi_points", points}};
    }
  } else if (!todo.empty()) {
    const bool curves = manifest.curve_values > 0;
    if (options.instant_producer) {
      instant_runner<Real> runner(plan.spec(), capacity, curves);
      compute_missing(out, runner, todo);
    } else {
      with_runner(plan.spec(), capacity, curves, backend, [&](auto& runner) { compute_missing(out, runner, todo); });
    }
  }
  progress.finish();
  summary.points = out.done;

  run_info info = finished_run_info(summary, options, start);
  info.provenance.insert(info.provenance.end(), ranks_provenance.begin(), ranks_provenance.end());
  // Which file is about to become OUT.h5, so that a kill between the rename
  // and the journal's removal is recognised as finished (published()).
  journal.mark_publishing(path + ".partial");
  writer.finish(info);
  journal.remove();  // only now: until the rename, the journal is the safe copy
}

}  // namespace

std::uint64_t batch_points_of(const run_options& options, std::uint64_t points, const backend_choice& backend,
                              const batch_limit& limit, std::string& notice) {
  return options.batch_points > 0
             ? batch_capacity(points, options.batch_points, "--batch-points " + std::to_string(options.batch_points),
                              limit, notice)
             : batch_capacity(points, backend.use_cuda ? default_gpu_batch : default_cpu_batch, "", limit, notice);
}

run_info finished_run_info(const run_summary& summary, const run_options& options, clock_type::time_point start) {
  run_info info;
  info.backend = summary.backend;
  info.device = summary.device;
  info.precision = summary.precision;
  info.version = SCALEHAM_VERSION_STRING;
  info.points = summary.points;
  info.seconds_compute = summary.seconds_waiting;
  info.seconds_total = seconds_since(start);
  info.provenance = process_provenance(options.command_line,
                                       "scaleham sweep: RG flows, HJ actions and VFT fits over a parameter grid");
  return info;
}

void check_precision(const sweep_config& config, const std::string& precision) {
  if (precision != "double" && precision != "float") throw std::invalid_argument("unknown precision '" + precision + "'");
  // The config was validated for double; float cannot reach tolerances below
  // 10 ε ≈ 1.2e-6, and every point would end in invalid_options. Say so now.
  if (precision != "float" || config.settings.method != integrator::dopri5) return;
  // The rtols the points use: the base value, or every coordinate of an axis
  // over it (the ends of a sampled range), each with the base atol.
  const auto swept = std::find_if(config.axes.begin(), config.axes.end(),
                                  [](const axis_config& a) { return a.slot == setting_flow_rtol; });
  std::vector<double> rtols{config.settings.dopri5.rtol};
  if (swept != config.axes.end())
    rtols = swept->kind == axis_kind::values || !config.random ? swept->coordinates()
                                                               : std::vector<double>{swept->lo, swept->hi};
  for (double rtol : rtols) {
    point_settings<double> s = config.settings;
    s.dopri5.rtol = rtol;
    if (valid_options(settings_as<float>(s).dopri5)) continue;
    if (swept != config.axes.end())
      throw config_error(fmt::format("axis '{}': rtol {:g} is below what --precision float can deliver; "
                                     "keep the flow's rtol >= 1.2e-6",
                                     swept->name, rtol));
    throw config_error(fmt::format("{}: rtol {:g} with atol {:g} is below what --precision float can deliver; "
                                   "use flow.rtol >= 1.2e-6",
                                   config_key_location(config, "flow.rtol"), rtol, config.settings.dopri5.atol));
  }
}

namespace {

/// The status counts of a summary by stage whose failures count, in the order
/// of the pipeline (the fit only when the file keeps it).
std::vector<std::pair<const char*, const std::array<std::uint64_t, status_count>*>> stages_of(
    const run_summary& summary) {
  std::vector<std::pair<const char*, const std::array<std::uint64_t, status_count>*>> stages = {
      {"flow", &summary.flow_status}, {"action", &summary.action_status}};
  if (summary.fit_written) stages.emplace_back("fit", &summary.fit_status);
  return stages;
}

}  // namespace

nlohmann::json run_summary::to_json() const {
  auto counts = [](const std::array<std::uint64_t, status_count>& c) {
    nlohmann::json j = nlohmann::json::object();
    for (int s = 0; s < status_count; ++s)
      if (c[s] > 0) j[status_name(static_cast<status>(s))] = c[s];
    return j;
  };
  // Per stage, the statuses that are failures, with what each means.
  nlohmann::json failures = nlohmann::json::object();
  const auto stages = stages_of(*this);
  for (const auto& [stage, c] : stages)
    for (int s = 0; s < status_count; ++s)
      if ((*c)[s] > 0 && !succeeded(static_cast<status>(s)))
        failures[stage][status_name(static_cast<status>(s))] = {{"points", (*c)[s]},
                                                                {"meaning", status_meaning(static_cast<status>(s))}};
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
          {"failed_points", failed_points},
          {"failures", failures},
          {"notice", notice}};
}

std::string run_summary::failure_report() const {
  std::string report;
  const auto stages = stages_of(*this);
  for (const auto& [stage, counts] : stages) {
    std::uint64_t failed = 0;
    std::string reasons;
    for (int s = 0; s < status_count; ++s) {
      const status code = static_cast<status>(s);
      if ((*counts)[s] == 0 || succeeded(code)) continue;
      failed += (*counts)[s];
      reasons += fmt::format("{}{} {} ({})", reasons.empty() ? "" : "; ", (*counts)[s], status_name(code),
                             status_meaning(code));
    }
    if (failed > 0) report += fmt::format("{}: {} of {} points failed: {}\n", stage, failed, points, reasons);
  }
  return report;
}

run_summary run_sweep(const sweep_config& config, const run_options& options) {
  const auto start = clock_type::now();
  check_precision(config, options.precision);

  const interrupt_guard signals;  // SIGINT/SIGTERM/SIGHUP: stop after the batch in flight
  run_summary summary;
  summary.output_path = options.output_path;
  summary.precision = options.precision;
  process_group& group = sweep_processes();
  int device = options.device;
  if (group.size() > 1 && !options.device_given) {  // each rank its GPU: its rank on the node
    const int visible = cuda::probe(0).device_count;
    device = visible > 0 ? group.local_rank() % visible : 0;
  }
  if (!options.devices.empty()) {
    if (group.size() > 1)
      throw std::invalid_argument("--devices spreads one process over GPUs; under MPI each rank takes one GPU "
                                  "(its rank on the node, or --device)");
    if (options.backend == "cpu") throw std::invalid_argument("--devices lists GPUs, but --backend is cpu");
    device = options.devices.front();
  }
  const bool backend_quiet = options.quiet || group.rank() != 0 || !options.devices.empty();
  const backend_choice backend = without_runtime_compiler(
      choose_backend(options.backend, "running", backend_quiet, device), options.backend, config, backend_quiet);
  if (!options.devices.empty() && !backend.use_cuda)
    throw backend_error("--devices " + std::to_string(options.devices.size()) +
                        " GPUs asked for, but no GPU can be used: " + backend.notice);
  summary.backend = backend.backend;
  summary.device = backend.device;
  summary.notice = backend.notice;
  summary.fit_written = writes_fit(config);
  // --backend cuda in one process without --device or --devices: every
  // visible GPU.
  run_options resolved = options;
  if (options.backend == "cuda" && backend.use_cuda && options.devices.empty() && !options.device_given &&
      group.size() == 1)
    for (int d = 0; d < cuda::probe(backend.cuda_device).device_count; ++d) resolved.devices.push_back(d);
  if (resolved.devices.size() > 1) {
    summary.device += " and " + std::to_string(resolved.devices.size() - 1) + " more";
  }

  if (options.precision == "float")
    run_typed<float>(config, resolved, backend, summary, start);
  else
    run_typed<double>(config, resolved, backend, summary, start);
  summary.seconds_total = seconds_since(start);
  return summary;
}

}  // namespace scaleham
