// Writing an output file safely (docs/design.md §3.1: nothing is written or
// overwritten by surprise), for every command that writes one (`scaleham
// run`, `scaleham fit`): check the path before creating anything, write
// everything into PATH.partial in the same directory, remove that file if
// the writer fails, and publish it under PATH in one rename once it is
// complete. A file under the final name is therefore always complete, and
// with --force an existing file stays intact until its replacement is.
//
// Failures throw output_error (output.hpp). Plain POSIX file handling: no
// HDF5 here (h5.hpp holds the HDF5 helpers).
#pragma once

#include <string>
#include <vector>

namespace scaleham {

/// The checks that can be made before creating anything: `path` is not
/// empty, not a directory, not an existing file unless `force` (and then a
/// regular file: the new file replaces it by rename, which must never happen
/// to a device, a pipe or a socket, think -o /dev/null as root); its
/// directory exists and is writable. Throws output_error.
/// Also PATH.partial: scaleham replaces only a .partial it can have left
/// itself (an HDF5 file, or empty: a writer that crashed); anything else there
/// is someone's file and is refused, with or without force.
void check_output_path(const std::string& path, bool force);

/// Refuses (output_error) a dangling symbolic link as the output unless
/// `force` (publishing renames onto the name: it would replace the link, not
/// create its target, and fail only after all the work). check_output_path
/// calls it with its own `force`.
void refuse_dangling_link(const std::string& path, bool force);

/// Refuses (output_error) an output that is one of the command's inputs
/// (`fit data.csv -o data.csv --force` would replace the data by the result).
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs);

/// The .partial of a writer that has not finished: removed when the guard is
/// destroyed while armed (the writer's destructor, an exception). Arm it once
/// the file has been created, release it once publish() has renamed it.
/// Move-only.
class partial_file {
 public:
  partial_file() = default;
  partial_file(const partial_file&) = delete;
  partial_file& operator=(const partial_file&) = delete;
  partial_file(partial_file&& other) noexcept;
  partial_file& operator=(partial_file&& other) noexcept;
  /// Removes the file if armed (errors ignored).
  ~partial_file();

  /// From now on, remove `path` unless released.
  void arm(const std::string& path);
  /// Keep the file (it has been published, or belongs to someone else now).
  void release() noexcept;

 private:
  void remove() noexcept;
  std::string path_;
};

/// One writer per output: an exclusive lock (flock) on PATH.lock, taken
/// before anything of the run is created, truncated or removed, and held
/// until the run ends; the kernel releases it when the process dies, so a
/// crash never leaves a stale lock. A second scaleham on the same output is
/// refused (output_error, exit 2) naming the owner's pid, host and start
/// time, and touches nothing. The lock file is removed on release.
class output_lock {
 public:
  explicit output_lock(const std::string& output_path);
  ~output_lock();
  output_lock(const output_lock&) = delete;
  output_lock& operator=(const output_lock&) = delete;

  /// PATH.lock for PATH.
  static std::string path_for(const std::string& output_path);

 private:
  std::string path_;
  int fd_ = -1;
};

/// Moves the finished, closed `partial` to `path`. The data are fsynced
/// first, so after a power cut the final name never points at an empty or
/// half-flushed file; the directory is fsynced afterwards (best effort), so
/// the rename itself is durable. Without `force`, never replaces a file that
/// appeared while scaleham ran (renameat2 RENAME_NOREPLACE, or a check where
/// the filesystem cannot do that). Throws output_error.
void publish(const std::string& partial, const std::string& path, bool force);

}  // namespace scaleham
