#include "output_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>

#include "output.hpp"

namespace scaleham {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

/// The directory `path` is in ("." for a bare file name).
fs::path directory_of(const std::string& path) {
  fs::path directory = fs::path(path).parent_path();
  return directory.empty() ? fs::path(".") : directory;
}

/// fsync of a file or directory; false on failure (errno set).
bool sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return synced;
}

}  // namespace

namespace {

/// A .partial that a scaleham writer can have left behind: created by
/// H5Fcreate, so empty (killed at once) or starting with the HDF5 signature.
void check_partial_is_ours(const std::string& partial) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(partial, error);
  if (!fs::exists(status)) return;
  if (!fs::is_regular_file(status))
    throw output_error(partial + " exists and is not a regular file: it is not scaleham's, move it away");
  char signature[8] = {};
  std::FILE* file = std::fopen(partial.c_str(), "rb");
  const std::size_t n = file != nullptr ? std::fread(signature, 1, sizeof signature, file) : 0;
  if (file != nullptr) std::fclose(file);
  static constexpr char hdf5_signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  const bool ours = n == 0 || (n == sizeof signature && std::memcmp(signature, hdf5_signature, n) == 0);
  if (!ours)
    throw output_error(partial + " exists and is not an unfinished scaleham output (not an HDF5 file): "
                       "scaleham would overwrite it; move it away");
}

}  // namespace

void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs) {
  std::error_code error;
  for (const std::string& input : inputs)
    if (fs::equivalent(output, input, error))
      throw output_error("the output " + output + " is the input " + input + ": it would be overwritten; choose another -o");
}

/// A dangling symbolic link (or a loop) as the output is refused before any
/// work: the output is published by renaming the finished file onto its
/// name, which replaces the link and never creates its target, so without
/// --force the run could only end, after all its work, in "appeared while
/// scaleham ran" (every time, resumed or not). Following the link instead
/// would put the .partial, lock and journal beside a target whose directory
/// may not exist. --force replaces the link, as it replaces any output.
void refuse_dangling_link(const std::string& path, bool force) {
  std::error_code error;
  if (force || !fs::is_symlink(fs::symlink_status(path, error))) return;
  std::error_code target_error;
  if (fs::exists(fs::status(path, target_error))) return;
  const std::string target = fs::read_symlink(path, error).string();
  throw output_error(path + " is a symbolic link to " + target +
                     ", which does not exist; scaleham publishes its output by renaming the finished file onto " +
                     path + ", which would replace the link rather than create " + target +
                     ": remove the link, give the target itself with -o, or use --force to replace the link");
}

void check_output_path(const std::string& path, bool force) {
  if (path.empty()) throw output_error("output path is empty");
  refuse_dangling_link(path, force);
  std::error_code error;
  const fs::file_status target = fs::status(path, error);  // follows symlinks
  if (fs::is_directory(target)) throw output_error(path + " is a directory");
  if (fs::exists(target)) {
    if (!force) throw output_error(path + " exists; use --force to overwrite");
    if (!fs::is_regular_file(target)) throw output_error(path + " exists and is not a regular file");
  }
  check_partial_is_ours(path + ".partial");
  const fs::path directory = directory_of(path);
  const fs::file_status parent = fs::status(directory, error);
  if (!fs::exists(parent)) throw output_error("directory " + directory.string() + " of " + path + " does not exist");
  if (!fs::is_directory(parent)) throw output_error(directory.string() + " (in " + path + ") is not a directory");
  if (::access(directory.c_str(), W_OK | X_OK) != 0)
    throw output_error("cannot write to directory " + directory.string() + " of " + path + ": " + errno_text());
}

// --- partial_file ----------------------------------------------------------------

partial_file::partial_file(partial_file&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}

partial_file& partial_file::operator=(partial_file&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, std::string());
  }
  return *this;
}

partial_file::~partial_file() { remove(); }

void partial_file::arm(const std::string& path) { path_ = path; }

void partial_file::release() noexcept { path_.clear(); }

void partial_file::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ignored;
  fs::remove(path_, ignored);
  path_.clear();
}

// --- publish ---------------------------------------------------------------------

void publish(const std::string& partial, const std::string& path, bool force) {
  if (!sync_path(partial, O_RDONLY)) throw output_error("cannot flush " + partial + " to disk: " + errno_text());
  int renamed = ::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, path.c_str(), force ? 0 : RENAME_NOREPLACE);
  if (renamed != 0 && !force && (errno == EINVAL || errno == ENOSYS)) {
    // The filesystem cannot do RENAME_NOREPLACE: check, then rename.
    std::error_code ignored;
    if (fs::exists(path, ignored)) {
      errno = EEXIST;
    } else {
      renamed = std::rename(partial.c_str(), path.c_str());
    }
  }
  if (renamed != 0) {
    if (errno == EEXIST) throw output_error(path + " appeared while scaleham ran; use --force to overwrite");
    throw output_error("cannot rename " + partial + " to " + path + ": " + errno_text());
  }
  // Makes the rename itself durable. Best effort: some filesystems refuse to
  // fsync a directory, and the data are already safe under one name or the other.
  sync_path(directory_of(path).string(), O_RDONLY | O_DIRECTORY);
}

std::string output_lock::path_for(const std::string& output_path) { return output_path + ".lock"; }

output_lock::output_lock(const std::string& output_path) : path_(path_for(output_path)) {
  // Another process may remove the lock file between our open and our flock
  // (it finished and released): then we hold a lock on a file nobody else
  // will open. Retry until the file we locked is the one under the name.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw output_error("cannot write " + output_path + ": cannot create " + path_ + ": " + errno_text());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int code = errno;
      std::string owner(256, '\0');
      const ssize_t n = ::pread(fd, owner.data(), owner.size(), 0);
      ::close(fd);
      owner.resize(n > 0 ? std::size_t(n) : 0);
      while (!owner.empty() && (owner.back() == '\n' || owner.back() == '\0')) owner.pop_back();
      if (code == EWOULDBLOCK)
        throw output_error(output_path + " is being written by another scaleham (" +
                           (owner.empty() ? std::string("owner unknown") : owner) + ", lock " + path_ +
                           "); wait for it to finish or stop it first");
      throw output_error("cannot lock " + path_ + ": " + std::strerror(code));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino) {
      fd_ = fd;
      break;
    }
    ::close(fd);
  }
  if (fd_ < 0) throw output_error("cannot lock " + path_ + ": it keeps being replaced");
  char host[256] = "unknown host";
  ::gethostname(host, sizeof host - 1);
  const std::time_t now = std::time(nullptr);
  char when[32] = "";
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const std::string owner =
      "pid " + std::to_string(::getpid()) + " on " + host + ", started " + when + "\n";
  // Who holds it, for the message of the next one (best effort).
  if (::ftruncate(fd_, 0) == 0) {
    const ssize_t written = ::pwrite(fd_, owner.data(), owner.size(), 0);
    (void)written;
  }
}

output_lock::~output_lock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding it: see the retry above
  ::close(fd_);
}

}  // namespace scaleham
