#include "journal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

#include "output.hpp"

namespace scaleham {

namespace fs = std::filesystem;

namespace {

// A batch file: this header, then the results, then the curves. Version 2
// carries the run's identity and the points it holds (version 1 held an index
// into one plan and no identity: such files are rejected as foreign).
struct batch_header {
  char magic[8];                // "SCHMBAT2"
  std::uint64_t run;            // identity of the run: hash of its manifest.json
  std::uint64_t first, count;   // the points [first, first + count)
  std::uint64_t result_bytes;
  std::uint64_t curve_bytes;
  std::uint32_t crc;            // CRC-32 (zlib) of this header (crc = 0), results and curves
  std::uint32_t reserved;
};
static_assert(sizeof(batch_header) == 56, "batch files are read and written as raw headers");
constexpr char batch_magic[8] = {'S', 'C', 'H', 'M', 'B', 'A', 'T', '2'};
constexpr char magic_family[7] = {'S', 'C', 'H', 'M', 'B', 'A', 'T'};  // any version of it
constexpr const char* manifest_name = "manifest.json";
constexpr const char* published_name = "published";
constexpr std::size_t first_digits = 20;  // 2^64 has 20 digits: names sort by first point

std::uint32_t crc_of(const batch_header& header, const void* results, std::uint64_t result_bytes,
                     const void* curves, std::uint64_t curve_bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large payloads in pieces.
  auto feed = [&crc](const void* data, std::uint64_t bytes) {
    const auto* p = static_cast<const Bytef*>(data);
    while (bytes > 0) {
      const uInt piece = static_cast<uInt>(std::min<std::uint64_t>(bytes, 1u << 30));
      crc = crc32(crc, p, piece);
      p += piece;
      bytes -= piece;
    }
  };
  // The header too: a file whose range or identity was edited is damaged.
  batch_header h = header;
  h.crc = 0;
  feed(&h, sizeof h);
  feed(results, result_bytes);
  if (curve_bytes > 0) feed(curves, curve_bytes);
  return static_cast<std::uint32_t>(crc);
}

/// FNV-1a, 64 bits: a run's identity from its manifest text (stable across
/// builds and machines, unlike std::hash).
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string random_run_id() {
  std::random_device device;
  const std::uint64_t bits = (std::uint64_t(device()) << 32) ^ device() ^
                             std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                             (std::uint64_t(::getpid()) << 17);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(bits));
  return text;
}

nlohmann::json to_json(const journal_manifest& m) {
  return {{"version", m.version},         {"config_text", m.config_text},
          {"precision", m.precision},     {"batch_capacity", m.batch_capacity},
          {"points", m.points},           {"batches", m.batches},
          {"result_bytes", m.result_bytes}, {"curve_values", m.curve_values},
          {"replaces_output", m.replaces_output}, {"run_id", m.run_id},
          {"curve_value_bytes", m.curve_value_bytes}, {"shard", m.shard}};
}

/// Bytes per curve value of a precision.
std::uint64_t real_bytes(const std::string& precision) { return precision == "float" ? 4 : 8; }

[[noreturn]] void fail(const std::string& what) {
  throw output_error(what + ": " + std::strerror(errno));
}

/// Writes `bytes` to `path` durably: temporary file, fsync, rename, fsync of the directory.
void write_durably(const std::string& path, const void* parts[], const std::uint64_t sizes[],
                   int n_parts) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create " + temporary);
  for (int i = 0; i < n_parts; ++i) {
    const char* p = static_cast<const char*>(parts[i]);
    std::uint64_t left = sizes[i];
    while (left > 0) {
      const ssize_t written = ::write(fd, p, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        const int saved = errno;
        ::close(fd);
        ::unlink(temporary.c_str());
        errno = saved;
        fail("cannot write " + temporary);
      }
      p += written;
      left -= std::uint64_t(written);
    }
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    errno = saved;
    fail("cannot flush " + temporary);
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) fail("cannot rename " + temporary);
  const int dir = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // best effort: makes the rename durable where the filesystem allows
    ::close(dir);
  }
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// "batch-<20 digits>.bin": true and the first point, else false.
bool batch_name(const std::string& name, std::uint64_t& first) {
  if (name.size() != 6 + first_digits + 4 || name.rfind("batch-", 0) != 0 || !ends_with(name, ".bin"))
    return false;
  first = 0;
  for (std::size_t i = 6; i < 6 + first_digits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const std::uint64_t digit = std::uint64_t(name[i] - '0');
    if (first > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    first = first * 10 + digit;
  }
  return true;
}

/// A file this journal writes (and remove() deletes): a batch file (by name
/// and magic), a temporary file of a killed writer, the publishing mark.
bool journal_file(const fs::directory_entry& entry) {
  std::error_code error;
  if (!entry.is_regular_file(error) || entry.is_symlink(error)) return false;
  const std::string name = entry.path().filename().string();
  if (name == published_name) return true;
  std::uint64_t first = 0;
  if (ends_with(name, ".tmp"))
    return name == std::string(manifest_name) + ".tmp" || name == std::string(published_name) + ".tmp" ||
           batch_name(name.substr(0, name.size() - 4), first);
  if (!batch_name(name, first)) return false;
  char magic[sizeof magic_family] = {};
  std::ifstream in(entry.path(), std::ios::binary);
  return !in.read(magic, sizeof magic) || std::memcmp(magic, magic_family, sizeof magic) == 0;
}

/// manifest.json's text and what it says.
std::pair<journal_manifest, std::string> load_manifest(const std::string& output_path) {
  const fs::path file = fs::path(batch_journal::directory_for(output_path)) / manifest_name;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw output_error("cannot read " + file.string());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    journal_manifest m;
    m.version = j.at("version").get<std::string>();
    m.config_text = j.at("config_text").get<std::string>();
    m.precision = j.at("precision").get<std::string>();
    m.batch_capacity = j.at("batch_capacity").get<std::uint64_t>();
    m.points = j.at("points").get<std::uint64_t>();
    m.batches = j.at("batches").get<std::uint64_t>();
    m.result_bytes = j.at("result_bytes").get<std::uint64_t>();
    m.curve_values = j.at("curve_values").get<std::uint64_t>();
    m.replaces_output = j.value("replaces_output", false);
    m.run_id = j.value("run_id", std::string());
    m.curve_value_bytes = j.value("curve_value_bytes", std::uint64_t(0));
    m.shard = j.value("shard", std::string());
    return {m, text};
  } catch (const nlohmann::json::exception& e) {
    throw output_error(file.string() + " is damaged (" + e.what() + "); use --force to start over");
  }
}

}  // namespace

std::string rejected_batches::describe() const {
  if (total() == 0) return {};
  std::string parts;
  auto add = [&parts](std::uint64_t n, const char* what) {
    if (n == 0) return;
    parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(damaged, "damaged");
  add(foreign, "from another run");
  add(overlapping, "overlapping others");
  return std::to_string(total()) + (total() == 1 ? " batch file (" : " batch files (") + parts + ")";
}

std::string batch_journal::directory_for(const std::string& output_path) {
  return output_path + ".journal";
}

bool batch_journal::exists(const std::string& output_path) {
  std::error_code ignored;
  return fs::exists(fs::path(directory_for(output_path)) / manifest_name, ignored);
}

journal_manifest batch_journal::read_manifest(const std::string& output_path) {
  return load_manifest(output_path).first;
}

bool batch_journal::published(const std::string& output_path) {
  std::ifstream in(fs::path(directory_for(output_path)) / published_name);
  unsigned long long device = 0, inode = 0;
  if (!(in >> device >> inode)) return false;
  struct stat st {};
  // The name itself, not a link's target: the rename made it our file.
  return ::lstat(output_path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

bool batch_journal::leftover(const std::string& output_path) {
  const fs::path directory = directory_for(output_path);
  std::error_code error;
  if (!fs::is_directory(fs::symlink_status(directory, error)) || exists(output_path)) return false;
  for (const auto& entry : fs::directory_iterator(directory, error))
    if (!journal_file(entry)) return false;
  return !error;
}

bool batch_journal::remove_leftover(const std::string& output_path) {
  if (!leftover(output_path)) return false;
  const fs::path directory = directory_for(output_path);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(directory, error)) fs::remove(entry.path(), error);
  fs::remove(directory, error);  // rmdir: only if nothing else appeared meanwhile
  return !fs::exists(fs::symlink_status(directory, error));
}

batch_journal::batch_journal(std::string directory, journal_manifest manifest, std::uint64_t identity)
    : directory_(std::move(directory)), manifest_(std::move(manifest)), identity_(identity) {}

batch_journal batch_journal::create(const std::string& output_path, const journal_manifest& manifest) {
  const std::string directory = directory_for(output_path);
  std::error_code error;
  // An old journal (--force over an unfinished run) goes, but only what
  // scaleham provably wrote: a file, or a directory holding anything else
  // under this name is someone's, and is refused before it is touched.
  const fs::file_status old = fs::symlink_status(directory, error);
  if (fs::exists(old)) {
    if (!fs::is_directory(old))
      throw output_error(directory + " exists and is not a scaleham journal (not a directory): move it away");
    std::vector<fs::path> ours;
    for (const auto& entry : fs::directory_iterator(directory, error)) {
      const std::string name = entry.path().filename().string();
      if (name != manifest_name && !journal_file(entry))
        throw output_error(directory + " holds " + name +
                           ", which scaleham did not write: it is not a scaleham journal; move it away");
      ours.push_back(entry.path());
    }
    for (const fs::path& file : ours) fs::remove(file, error);
    fs::remove(directory, error);
  }
  if (!fs::create_directory(directory, error))
    throw output_error("cannot create " + directory + ": " + error.message());
  journal_manifest m = manifest;
  if (m.run_id.empty()) m.run_id = random_run_id();
  const std::string text = to_json(m).dump(2) + "\n";
  const void* parts[] = {text.data()};
  const std::uint64_t sizes[] = {text.size()};
  write_durably((fs::path(directory) / manifest_name).string(), parts, sizes, 1);
  return batch_journal(directory, m, fnv1a(text));
}

batch_journal batch_journal::resume(const std::string& output_path, const journal_manifest& manifest) {
  const auto [found, text] = load_manifest(output_path);
  const std::string directory = directory_for(output_path);
  auto refuse = [&](const std::string& what) {
    throw output_error("cannot resume " + output_path + ": " + what +
                       "; rerun with the original settings, or use --force to start over");
  };
  if (found.config_text != manifest.config_text)
    refuse("it was started from a different configuration");
  if (found.precision != manifest.precision)
    refuse("it was started with --precision " + found.precision);
  if (found.version != manifest.version)
    refuse("it was started by scaleham " + found.version + " (this is " + manifest.version + ")");
  if (found.result_bytes != manifest.result_bytes || found.curve_value_bytes != manifest.curve_value_bytes)
    refuse("its batches are laid out as another build of scaleham " + found.version + " writes them (" +
           std::to_string(found.result_bytes) + " bytes per point, this build " +
           std::to_string(manifest.result_bytes) + ")");
  if (found.curve_values != manifest.curve_values || found.points != manifest.points)
    refuse("its grid or curves differ");
  if (found.shard != manifest.shard)
    refuse(found.shard.empty() ? "it computes the whole grid, not --shard " + manifest.shard
                               : "it computes --shard " + found.shard +
                                     (manifest.shard.empty() ? ", not the whole grid" : ", not " + manifest.shard));
  batch_journal journal(directory, found, fnv1a(text));  // the run it started, identity and all
  journal.scan();
  return journal;
}

std::string batch_journal::batch_path(std::uint64_t first) const {
  char name[40];
  std::snprintf(name, sizeof name, "batch-%020llu.bin", static_cast<unsigned long long>(first));
  return (fs::path(directory_) / name).string();
}

void batch_journal::scan() {
  // A batch counts only if its header, identity, range and checksum hold: a
  // torn, edited or foreign file is counted in rejected_ and its points are
  // simply computed again.
  std::vector<batch> accepted;
  std::error_code error;
  const std::uint64_t value_bytes =
      manifest_.curve_value_bytes > 0 ? manifest_.curve_value_bytes : real_bytes(manifest_.precision);
  for (const auto& entry : fs::directory_iterator(directory_, error)) {
    const std::string name = entry.path().filename().string();
    std::uint64_t first = 0;
    if (ends_with(name, ".tmp") && batch_name(name.substr(0, name.size() - 4), first)) {
      // A writer killed before its rename: never a recorded batch. Removed so
      // that it cannot be mistaken for anything later.
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
      continue;
    }
    if (!batch_name(name, first)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    batch_header h{};
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) {
      ++rejected_.damaged;
      continue;
    }
    if (std::memcmp(h.magic, batch_magic, sizeof batch_magic) != 0) {
      ++(std::memcmp(h.magic, magic_family, sizeof magic_family) == 0 ? rejected_.foreign : rejected_.damaged);
      continue;
    }
    if (h.run != identity_) {
      ++rejected_.foreign;
      continue;
    }
    std::uint64_t want_results = 0, want_curves = 0, size = 0;
    std::error_code size_error;
    const std::uintmax_t file_bytes = fs::file_size(entry.path(), size_error);
    if (h.first != first || h.count == 0 || h.first > manifest_.points || h.count > manifest_.points - h.first ||
        __builtin_mul_overflow(h.count, manifest_.result_bytes, &want_results) ||
        __builtin_mul_overflow(h.count, manifest_.curve_values * value_bytes, &want_curves) ||
        h.result_bytes != want_results || h.curve_bytes != want_curves ||
        __builtin_add_overflow(want_results, want_curves, &size) || size_error ||
        file_bytes != sizeof h + size) {
      ++rejected_.damaged;
      continue;
    }
    std::vector<char> payload(size);
    if (!in.read(payload.data(), std::streamsize(payload.size())) ||
        crc_of(h, payload.data(), h.result_bytes, payload.data() + h.result_bytes, h.curve_bytes) != h.crc) {
      ++rejected_.damaged;
      continue;
    }
    accepted.push_back({h.first, h.count});
  }
  // Batches of one run never overlap (a resume plans only what is missing);
  // should two valid ones, the first is kept and the other's points are
  // recomputed only if nothing else holds them.
  std::sort(accepted.begin(), accepted.end(), [](const batch& a, const batch& b) { return a.first < b.first; });
  recorded_.clear();
  for (const batch& b : accepted) {
    if (!recorded_.empty() && b.first < recorded_.back().first + recorded_.back().count) {
      ++rejected_.overlapping;
      continue;
    }
    recorded_.push_back(b);
  }
}

bool batch_journal::has(const batch& b) const {
  const auto it = std::lower_bound(recorded_.begin(), recorded_.end(), b.first,
                                   [](const batch& r, std::uint64_t first) { return r.first < first; });
  return it != recorded_.end() && it->first == b.first && it->count == b.count;
}

void batch_journal::read(const batch& b, void* results, std::uint64_t result_bytes, void* curves,
                         std::uint64_t curve_bytes) const {
  const std::string path = batch_path(b.first);
  std::ifstream in(path, std::ios::binary);
  batch_header h{};
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h) || std::memcmp(h.magic, batch_magic, sizeof batch_magic) != 0 ||
      h.run != identity_ || h.first != b.first || h.count != b.count || h.result_bytes != result_bytes ||
      h.curve_bytes != curve_bytes || !in.read(static_cast<char*>(results), std::streamsize(result_bytes)) ||
      (curve_bytes > 0 && !in.read(static_cast<char*>(curves), std::streamsize(curve_bytes))) ||
      crc_of(h, results, result_bytes, curves, curve_bytes) != h.crc)
    throw output_error(path + " changed while resuming; use --force to start over");
}

void batch_journal::record(const batch& b, const void* results, std::uint64_t result_bytes,
                           const void* curves, std::uint64_t curve_bytes) {
  batch_header h{};
  std::memcpy(h.magic, batch_magic, sizeof batch_magic);
  h.run = identity_;
  h.first = b.first;
  h.count = b.count;
  h.result_bytes = result_bytes;
  h.curve_bytes = curve_bytes;
  h.crc = crc_of(h, results, result_bytes, curves, curve_bytes);
  const void* parts[] = {&h, results, curves};
  const std::uint64_t sizes[] = {sizeof h, result_bytes, curve_bytes};
  write_durably(batch_path(b.first), parts, sizes, curve_bytes > 0 ? 3 : 2);
  const auto at = std::lower_bound(recorded_.begin(), recorded_.end(), b.first,
                                   [](const batch& r, std::uint64_t first) { return r.first < first; });
  if (at != recorded_.end() && at->first == b.first)
    *at = b;  // recorded again (the file was replaced by the rename)
  else
    recorded_.insert(at, b);
}

void batch_journal::mark_publishing(const std::string& partial_path) {
  struct stat st {};
  if (::stat(partial_path.c_str(), &st) != 0) fail("cannot examine " + partial_path);
  const std::string text = std::to_string(static_cast<unsigned long long>(st.st_dev)) + " " +
                           std::to_string(static_cast<unsigned long long>(st.st_ino)) + "\n";
  const void* parts[] = {text.data()};
  const std::uint64_t sizes[] = {text.size()};
  write_durably((fs::path(directory_) / published_name).string(), parts, sizes, 1);
}

void batch_journal::remove() {
  // Batch files first, then the manifest, then the publishing mark: until
  // the manifest goes, published() tells a resumed run that the output is
  // complete; after it, what is left is a leftover() of a finished clean-up.
  // Only files this journal writes are deleted, and the directory only if
  // that empties it.
  std::error_code ignored;
  const fs::path directory = directory_;
  std::vector<fs::path> batches;
  for (const auto& entry : fs::directory_iterator(directory, ignored)) {
    const std::string name = entry.path().filename().string();
    if (name != manifest_name && name != published_name && journal_file(entry)) batches.push_back(entry.path());
  }
  for (const fs::path& file : batches) fs::remove(file, ignored);
  fs::remove(directory / manifest_name, ignored);
  fs::remove(directory / published_name, ignored);
  fs::remove(directory, ignored);
}

}  // namespace scaleham
