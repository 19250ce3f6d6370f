// How large a sweep's batches may be and whether it fits at all: the host's
// memory, the backend's slots, the writer's pipeline and the journal's disk
// space (docs/design.md §2.4). Private to the driver.
#pragma once

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>

#include "backend_choice.hpp"
#include "cuda_backend.hpp"
#include "driver.hpp"
#include "output.hpp"
#include "output_fields.hpp"
#include "scaleham/point.hpp"
#include "sweep_config.hpp"

namespace scaleham {

/// Batches packed and waiting for, or in, the writer: the depth of the
/// pipeline behind the backend (docs/design.md §2.4). The backend computes
/// batch k + 1 while up to this many earlier batches are recorded and written.
constexpr std::size_t pipeline_slots = 3;

/// Bytes of host memory installed (0 if unknown).
inline std::uint64_t host_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? std::uint64_t(pages) * std::uint64_t(page_size) : 0;
}

/// Values of the ln τ curve stored per point: n_T when the config writes
/// curves (and computes them), else 0.
inline std::uint64_t curve_values_of(const sweep_config& config) {
  return config.output.curves && config.settings.relaxation.enabled ? std::uint64_t(config.settings.relaxation.n_T)
                                                                    : 0;
}

/// Bytes one point's results (and curve) take in a slot of the backend.
template <class Real>
std::uint64_t slot_bytes_per_point(const sweep_config& config) {
  return sizeof(point_result<Real>) + curve_values_of(config) * sizeof(Real);
}

/// Bytes one point takes in the journal and in a packed batch of the
/// writer's pipeline: what the file keeps of it (record_layout).
template <class Real>
std::uint64_t record_bytes_per_point(const sweep_config& config) {
  return record_layout<Real>(config).bytes_per_point();
}

/// Refuses (output_error, exit 2) before anything is created a sweep that
/// cannot finish: one whose journal — which holds every finished batch's raw
/// results until the file is complete — would not fit the free space of the
/// output's filesystem (unless options.no_space_check: a deliberate huge sweep
/// on storage that grows, say), or whose coordinate datasets would not fit in
/// a quarter of the host's memory. `in_memory` (run_sweep_in_memory): instead
/// of the disk, twice the file's uncompressed size (the HDF5 core file and the
/// copy handed to the caller exist together at the end) must fit in half the
/// memory.
template <class Real>
void check_sizes(const sweep_config& config, const run_options& options, std::uint64_t points,
                 bool in_memory = false) {
  const auto gigabytes = [](double bytes) { return fmt::format("{:.3g} GB", bytes / 1e9); };
  const std::uint64_t memory = host_memory_bytes();
  for (const axis_config& axis : config.axes)
    if (!config.random && memory > 0 && double(axis.count) * sizeof(double) > double(memory) / 4)
      throw output_error(fmt::format("axis {} has {} values: its coordinate dataset alone needs {} of memory, "
                                     "more than a quarter of this host's {}",
                                     axis.name, axis.count, gigabytes(double(axis.count) * sizeof(double)),
                                     gigabytes(double(memory))));
  const double per_point = double(record_bytes_per_point<Real>(config));
  if (in_memory) {
    if (memory > 0 && 2 * double(points) * per_point > double(memory) / 2)
      throw output_error(fmt::format("{} points need up to {} in memory ({} bytes each, twice: the file and its "
                                     "copy), more than half of this host's {}; give the run an output file",
                                     points, gigabytes(2 * double(points) * per_point), per_point,
                                     gigabytes(double(memory))));
    return;
  }
  if (options.no_space_check) return;
  const double journal_bytes = double(points) * per_point;
  std::error_code error;
  const std::filesystem::space_info space =
      std::filesystem::space(std::filesystem::absolute(options.output_path, error).parent_path(), error);
  if (error || space.available == static_cast<std::uintmax_t>(-1)) return;  // unknown: nothing to check against
  if (journal_bytes > double(space.available))
    throw output_error(fmt::format(
        "{} points need at least {} of disk ({} bytes each in the journal of finished batches, kept until the "
        "file is complete, and the file itself), but the filesystem of {} has {} free; free space, split "
        "the sweep, or pass --no-space-check to run anyway",
        points, gigabytes(journal_bytes), per_point, options.output_path,
        gigabytes(double(space.available))));
}

/// How many points a batch may hold on the chosen backend: the backend's two
/// slots of results (and curves; pinned memory, for the GPU) and the writer's
/// pipeline_slots packed batches in at most a quarter of the host's memory
/// and, on the GPU, within cuda::max_batch_points.
struct batch_limit {
  std::uint64_t points = std::numeric_limits<std::uint64_t>::max();
  std::string reason;  ///< what sets it, for the notice
};

template <class Real>
batch_limit batch_limit_for(const sweep_config& config, const sweep_spec<Real>& spec,
                            const backend_choice& backend) {
  const bool curves = curve_values_of(config) > 0;
  // The backend's two slots and the writer's packed batches.
  const std::uint64_t per_point =
      2 * slot_bytes_per_point<Real>(config) + pipeline_slots * record_bytes_per_point<Real>(config);
  batch_limit limit;
  if (const std::uint64_t memory = host_memory_bytes(); memory > 0)
    limit = {std::max<std::uint64_t>(1, memory / 4 / per_point), "a quarter of the host memory"};
  if (backend.use_cuda) {
    const std::uint64_t device_points = cuda::max_batch_points(spec, curves, backend.cuda_device);
    if (device_points < limit.points) limit = {device_points, "40 % of the free GPU memory"};
  }
  return limit;
}

/// Points per batch: `wanted` within the limit and the `points` to compute; when `wanted`
/// is something asked for (`asked`: "--batch-points N", or the batches a
/// resumed run started with) and the limit lowers it, `notice` says so.
inline std::uint64_t batch_capacity(std::uint64_t points, std::uint64_t wanted, const std::string& asked,
                             const batch_limit& limit, std::string& notice) {
  if (!asked.empty() && wanted > limit.points)
    notice = asked + " lowered to " + std::to_string(limit.points) + " (two batches of results must fit in " +
             limit.reason + ")";
  return std::max<std::uint64_t>(1, std::min({points, wanted, limit.points}));
}

}  // namespace scaleham
