// The HDF5 result file of a sweep (docs/design.md §3.3), and `scaleham inspect`.
//
// Layout (cartesian grid with axes lambda, A):
//   /lambda, /A            the axis coordinates: 1-D dimension scales named
//                          after the axis, attributes units, long_name, parameter
//   /flow/{g,p,S,ell_end,h_drift,p0_used,steps,rejected,status}  (config.output.flow)
//   /hj/{action,action_error,consistency,status}           (config.output.hj)
//   /fit/{a,B,T_vf,D,Tg,m,a_stderr,B_stderr,T_vf_stderr,B_T_vf_correlation,
//         rms,iterations,status,curve_status,B_rel_err}
//                          VFT fit of each point's ln tau(T) curve
//                          (config.output.fit and settings.relaxation.enabled)
//   /curves/log_tau        ln(tau / 1 s) on the temperature grid, shape
//                          (grid..., n_T), and /curves/T, the temperatures
//                          (a dimension scale named T)  (config.output.curves)
//   /flow/lambda, /flow/A, /hj/lambda, ...
//                          copies of the coordinates, to which the group's
//                          datasets are attached (see below)
// Every result dataset has the grid shape, units and long_name attributes;
// status datasets carry CF flag_values / flag_meanings.
//
// Random (Halton) grids have one dimension, `point` (the sample index
// 0..N-1), at the root and in every group, and /parameters/<axis> holds the
// sampled value of each axis per point (with /parameters/point).
//
// Why every group holds its own copy of the coordinates: xarray opens one
// group at a time (`open_dataset(path, group="flow")`) and only shows the
// variables of that group. With the scales only at the root, h5netcdf still
// names the dimensions, but xarray lists them as "dimensions without
// coordinates" (pydata/xarray#1982). The copies are small (1-D), and
// `xarray.open_datatree` recognises them as the root's, inherited.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "batches.hpp"
#include "shards.hpp"
#include "output_fields.hpp"
#include "scaleham/point.hpp"
#include "sweep_config.hpp"

namespace scaleham {

/// The output file cannot be written (exists without --force, is a
/// directory, its directory is missing or unwritable, the disk is full, ...):
/// bad input in the sense of docs/design.md §3.1, exit code 2. HDF5 failures while
/// writing arrive as this type too, with HDF5's description in the message.
struct output_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What the run was, for the root attributes of the file.
struct run_info {
  std::string backend, device, precision, version;
  double seconds_compute = 0, seconds_total = 0;
  std::uint64_t points = 0;
  /// Provenance, written as text attributes of these names: the build's git
  /// commit, the command line, the host (and, after a merge, the parts'; lists
  /// one item per line).
  std::vector<std::pair<std::string, std::string>> provenance;
};

/// The provenance of this process: git_commit (of the build), command_line,
/// host, and CF's global attributes Conventions, title (`title`), source
/// (version and commit) and history (time and command line).
/// `command_line` is the shell-quoted argv.
std::vector<std::pair<std::string, std::string>> process_provenance(const std::string& command_line,
                                                                    const std::string& title);

/// Now, in UTC, as 2026-11-29T04:35:08Z.
std::string utc_now_iso8601();

/// This host's name (gethostname; empty if unknown).
std::string host_name();

/// argv as one shell-quoted line (words with spaces or shell characters in '').
std::string quoted_command_line(int argc, char** argv);

/// One word as the shell reads it back: as it is, or in '' (a ' as '\'').
std::string shell_quoted(const std::string& word);

/// How the writer puts batches into the file.
struct writer_options {
  /// Threads that pack batches and compress chunks (0: every core).
  unsigned threads = 0;
  /// Chunks assembled, compressed in parallel and written with H5Dwrite_chunk
  /// (output_chunks.hpp). false: one H5Dwrite per dataset and batch, HDF5
  /// filtering on the calling thread (how scaleham wrote before issue 10;
  /// kept to test that both give the same file contents).
  bool direct_chunks = true;
  /// The part of the grid the file holds (--shard): recorded in the root
  /// attributes shard ("K/N"), shard_first and shard_points; the rest of
  /// the grid keeps the datasets' fill value (0).
  shard_spec shard;
  batch shard_points;
  /// Not empty: a virtual file (`scaleham merge --virtual`). Its per-point
  /// datasets are HDF5 virtual datasets whose points [range) are read from
  /// the same dataset of `file` (relative to the output's directory, or
  /// absolute); nothing is written into them.
  struct virtual_part {
    std::string file;
    batch range;
  };
  std::vector<virtual_part> virtual_parts;
  /// The file is built in memory (HDF5's core driver) and never touches the
  /// disk: `path` is only its name in messages, no .partial is made, and
  /// finish() keeps the finished file's bytes for take_image() instead of
  /// publishing it (`scaleham.run` from Python without an output path).
  bool in_memory = false;
};

/// Writes the results of one sweep, batch by batch, into a new HDF5 file.
/// Instantiated for double and float (the precision of the results).
///
/// Everything goes into `path + ".partial"` in the same directory; finish()
/// renames it to `path` in one step. So a file under the final name is
/// always complete (a crash, a kill or an exception leaves at most the
/// .partial, never a half-written OUT.h5 that looks finished), and with
/// --force an existing OUT.h5 stays intact until the new one is complete.
/// Crash-resume will build on this: the .partial holds the config and every
/// batch written so far.
template <class Real>
class result_writer {
 public:
  /// Checks, before creating anything, that `path` can be written (not an
  /// existing file unless `force`, never a directory, its directory exists
  /// and is writable), then creates the .partial with every dataset, the
  /// coordinates and the config attributes. Throws output_error.
  result_writer(const std::string& path, const sweep_config& config, bool force, writer_options options = {});
  result_writer(const result_writer&) = delete;
  result_writer& operator=(const result_writer&) = delete;
  /// If finish() did not run: closes and removes the .partial.
  ~result_writer();

  /// Writes the results of batch `b` (one rectangular hyperslab, as
  /// plan_batches makes them): results[i] belongs to point b.first + i.
  /// `curves` holds the ln tau curves of the batch, point-major
  /// (curves[i * n_T + j] is temperature j of point b.first + i); it is
  /// required when config.output.curves is set (std::invalid_argument
  /// otherwise) and ignored when it is not, so it may then be nullptr.
  void write(const batch& b, const point_result<Real>* results, const Real* curves = nullptr);

  /// What a point keeps (the journal's record, docs/design.md §6).
  const record_layout<Real>& layout() const;
  /// Packs batch b's results (and curves) into `packed`, resized to
  /// b.count * layout().bytes_per_point(), on the writer's threads.
  void pack(const batch& b, const point_result<Real>* results, const Real* curves,
            std::vector<std::byte>& packed) const;
  /// Writes batch b from its packed record (pack, or the journal).
  void write_packed(const batch& b, const std::byte* packed);

  /// Writes the run's root attributes, marks the file complete, closes it,
  /// makes it durable and renames it to `path` (in memory: keeps its bytes).
  void finish(const run_info& info);
  /// An in-memory writer's finished file, byte for byte what finish() would
  /// have published at a path (moved out: a second call returns nothing).
  std::vector<std::byte> take_image();

 private:
  struct state;
  std::unique_ptr<state> state_;
};

extern template class result_writer<double>;
extern template class result_writer<float>;

/// What the file at `path` holds, in words (for `scaleham inspect`): root
/// attributes, dimensions, every group and dataset with shape, type, units
/// and description, and the count of each status in the status datasets
/// (read in slabs, so a huge file needs little memory). Throws output_error
/// if the file is missing or not HDF5.
std::string describe_file(const std::string& path);

}  // namespace scaleham
