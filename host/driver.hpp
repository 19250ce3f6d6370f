// `scaleham run`: picks a backend, streams the grid through it in batches and
// writes the results, with the next batch computing while the last is written.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend_choice.hpp"
#include "progress.hpp"
#include "shards.hpp"
#include "scaleham/status.hpp"
#include "sweep_config.hpp"

namespace scaleham {

struct run_options {
  std::string output_path;
  std::string backend = "auto";      ///< auto | cuda | cpu
  std::string precision = "double";  ///< double | float
  bool force = false;                ///< overwrite an existing output file (and drop an unfinished run)
  bool resume = false;               ///< finish an unfinished run of the same output from its journal
  bool quiet = false;                ///< no progress bar or lines, no notices
  double progress_interval = progress_reporter::default_line_interval;  ///< seconds between progress lines off a terminal
  std::uint64_t batch_points = 0;    ///< points per batch; 0 = the backend's default
  int device = 0;                    ///< CUDA device index (among the visible ones)
  /// --device was given; else each rank of an MPI job takes the GPU of its
  /// rank on the node (its local rank).
  bool device_given = false;
  /// --devices: the GPUs this process spreads its batches over (a thread and
  /// a runner each, batches from one counter); empty: the one of `device`.
  std::vector<int> devices;
  bool no_space_check = false;       ///< run even if the journal will not fit the free disk space
  /// Benchmark mode (benchmarks/bench_writer.cpp): the backend is replaced by
  /// a producer that returns every batch at once (a few thousand real points,
  /// computed once and repeated), so the run measures the writer path alone:
  /// journal, HDF5 and the driver's pipeline. The file's values are then not
  /// the grid's; never for real runs.
  bool instant_producer = false;
  /// Threads that pack batches and compress chunks (0: every core).
  unsigned writer_threads = 0;
  /// The part of the grid this run computes (--shard K/N; shards.hpp).
  shard_spec shard;
  /// The command line, for the file's provenance (quoted_command_line).
  std::string command_line;
  /// Set: told the points done after every batch instead of the progress bar
  /// or lines (the Python binding's notebook bar); called on the writer's
  /// thread.
  progress_reporter::observer observe;
};

struct run_summary {
  std::string output_path, backend, device, precision;
  std::string notice;  ///< e.g. why `auto` fell back to the CPU
  std::uint64_t points = 0, batches = 0;
  std::uint64_t batches_resumed = 0;  ///< taken from the journal of an interrupted run
  double seconds_total = 0;   ///< wall time of the whole run, file creation included
  double seconds_waiting = 0; ///< time the host waited for the backend (compute not hidden by writing)
  double seconds_writing = 0; ///< time spent writing results
  std::array<std::uint64_t, status_count> flow_status{};
  std::array<std::uint64_t, status_count> action_status{};
  std::array<std::uint64_t, status_count> fit_status{};  ///< VFT fits (ok with NaNs when fits are off)
  /// Points where the flow, the action or the fit did not succeed (status.hpp
  /// succeeded(); a stage that is off counts as ok, and so does the fit when
  /// the file does not keep it: fit_written).
  std::uint64_t failed_points = 0;
  bool fit_written = true;  ///< the sweep writes /fit (writes_fit): its failures count

  nlohmann::json to_json() const;
  /// The failures in words, one line per stage that had any: "fit: 441 of 441
  /// points failed: 441 singular_integrand (F/beta has a pole ...)". Empty when
  /// every point succeeded.
  std::string failure_report() const;
  /// Every point computed failed (and there was at least one).
  bool all_failed() const { return points > 0 && failed_points == points; }
};

/// Runs the sweep and writes `options.output_path`. Throws config_error /
/// output_error (bad input, exit 2), backend_error and others (exit 1).
run_summary run_sweep(const sweep_config& config, const run_options& options);

/// What `scaleham run --dry-run` reports: the run as run_sweep would plan it,
/// and its compute time extrapolated from a timed sample.
struct run_estimate {
  std::string output_path, backend, device, precision, notice;
  std::uint64_t points = 0;        ///< the points this run would compute (its shard)
  std::uint64_t grid_points = 0;   ///< the whole grid
  std::vector<std::pair<std::string, std::uint64_t>> shape;  ///< axis names and counts (`point` for sampled grids)
  std::uint64_t batches = 0, batch_points = 0;
  std::uint64_t bytes_per_point = 0;  ///< what the file and the journal keep of a point
  std::uint64_t record_bytes = 0;     ///< points × bytes_per_point: the file uncompressed, the journal
  bool compressed = false;            ///< [output] compression > 0: the file is smaller
  std::uint64_t sample_points = 0;    ///< points computed to time the backend (spread over the grid)
  double sample_seconds = 0, estimated_compute_seconds = 0;

  nlohmann::json to_json() const;
  std::string to_text() const;
};

/// The dry run: checks what the run would check first (precision, and the
/// output path unless `check_output` is false: a run in memory has none),
/// plans it and times a sample of its points (host/dry_run.cpp). Creates no
/// file; throws what run_sweep would for bad input.
run_estimate estimate_run(const sweep_config& config, const run_options& options, bool check_output = true);

/// A sweep computed in memory: the bytes of the HDF5 file run_sweep would
/// have written (the same datasets, bit for bit), and its summary.
struct memory_run {
  run_summary summary;
  std::vector<std::byte> image;
};

/// Runs the sweep without touching the disk (the Python binding's
/// `scaleham.run` without an output): no file, lock or journal, so nothing
/// survives an interruption. One process, on one GPU or the CPU
/// (options.devices with more than one GPU, --resume and MPI need the file
/// path). Prints nothing: options.observe (if set) is told the points done
/// after every batch, and the summary's notice says what choose_backend would
/// have printed. Refuses (output_error) a result larger than half the host's
/// memory.
memory_run run_sweep_in_memory(const sweep_config& config, const run_options& options);

}  // namespace scaleham
