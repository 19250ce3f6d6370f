#include "journal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "output.hpp"

namespace scaleham {

namespace fs = std::filesystem;

namespace {

// A batch file: this header, then the results, then the curves.
struct batch_header {
  char magic[8];                // "SCHMBAT1"
  std::uint64_t batch;
  std::uint64_t result_bytes;
  std::uint64_t curve_bytes;
  std::uint32_t crc;            // CRC-32 (zlib) of results and curves
  std::uint32_t reserved;
};
constexpr char batch_magic[8] = {'S', 'C', 'H', 'M', 'B', 'A', 'T', '1'};

std::uint32_t crc_of(const void* results, std::uint64_t result_bytes, const void* curves,
                     std::uint64_t curve_bytes) {
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
  feed(results, result_bytes);
  if (curve_bytes > 0) feed(curves, curve_bytes);
  return static_cast<std::uint32_t>(crc);
}

nlohmann::json to_json(const journal_manifest& m) {
  return {{"version", m.version},         {"config_text", m.config_text},
          {"precision", m.precision},     {"batch_capacity", m.batch_capacity},
          {"points", m.points},           {"batches", m.batches},
          {"result_bytes", m.result_bytes}, {"curve_values", m.curve_values}};
}

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

}  // namespace

std::string batch_journal::directory_for(const std::string& output_path) {
  return output_path + ".journal";
}

bool batch_journal::exists(const std::string& output_path) {
  std::error_code ignored;
  return fs::exists(fs::path(directory_for(output_path)) / "manifest.json", ignored);
}

journal_manifest batch_journal::read_manifest(const std::string& output_path) {
  const fs::path file = fs::path(directory_for(output_path)) / "manifest.json";
  std::ifstream in(file);
  if (!in) throw output_error("cannot read " + file.string());
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    journal_manifest m;
    m.version = j.at("version").get<std::string>();
    m.config_text = j.at("config_text").get<std::string>();
    m.precision = j.at("precision").get<std::string>();
    m.batch_capacity = j.at("batch_capacity").get<std::uint64_t>();
    m.points = j.at("points").get<std::uint64_t>();
    m.batches = j.at("batches").get<std::uint64_t>();
    m.result_bytes = j.at("result_bytes").get<std::uint64_t>();
    m.curve_values = j.at("curve_values").get<std::uint64_t>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw output_error(file.string() + " is damaged (" + e.what() + "); use --force to start over");
  }
}

batch_journal::batch_journal(std::string directory, journal_manifest manifest)
    : directory_(std::move(directory)), manifest_(std::move(manifest)), recorded_(manifest_.batches) {}

batch_journal batch_journal::create(const std::string& output_path, const journal_manifest& manifest) {
  const std::string directory = directory_for(output_path);
  std::error_code error;
  fs::remove_all(directory, error);
  if (!fs::create_directory(directory, error))
    throw output_error("cannot create " + directory + ": " + error.message());
  const std::string text = to_json(manifest).dump(2) + "\n";
  const void* parts[] = {text.data()};
  const std::uint64_t sizes[] = {text.size()};
  write_durably((fs::path(directory) / "manifest.json").string(), parts, sizes, 1);
  return batch_journal(directory, manifest);
}

batch_journal batch_journal::resume(const std::string& output_path, const journal_manifest& manifest) {
  const journal_manifest found = read_manifest(output_path);
  const std::string directory = directory_for(output_path);
  auto refuse = [&](const std::string& what) {
    throw output_error("cannot resume " + output_path + ": " + what +
                       "; rerun with the original settings, or use --force to start over");
  };
  if (found.config_text != manifest.config_text)
    refuse("it was started from a different configuration");
  if (found.precision != manifest.precision)
    refuse("it was started with --precision " + found.precision);
  if (found.version != manifest.version || found.result_bytes != manifest.result_bytes)
    refuse("it was started by scaleham " + found.version + " (this is " + manifest.version + ")");
  if (found.curve_values != manifest.curve_values || found.points != manifest.points)
    refuse("its grid or curves differ");
  batch_journal journal(directory, found);  // keeps the batch size the run started with
  journal.scan();
  return journal;
}

std::string batch_journal::batch_path(std::uint64_t k) const {
  char name[40];
  std::snprintf(name, sizeof name, "batch-%010llu.bin", static_cast<unsigned long long>(k));
  return (fs::path(directory_) / name).string();
}

void batch_journal::scan() {
  // A batch counts only if its header and checksum hold: a torn or foreign
  // file is simply computed again.
  for (std::uint64_t k = 0; k < manifest_.batches; ++k) {
    std::ifstream in(batch_path(k), std::ios::binary);
    batch_header h{};
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) continue;
    if (std::memcmp(h.magic, batch_magic, sizeof batch_magic) != 0 || h.batch != k) continue;
    std::vector<char> payload(h.result_bytes + h.curve_bytes);
    if (!in.read(payload.data(), std::streamsize(payload.size()))) continue;
    recorded_[k] = crc_of(payload.data(), h.result_bytes, payload.data() + h.result_bytes,
                          h.curve_bytes) == h.crc;
  }
}

bool batch_journal::has(std::uint64_t k) const { return k < recorded_.size() && recorded_[k]; }

std::uint64_t batch_journal::recorded() const {
  std::uint64_t n = 0;
  for (bool r : recorded_) n += r;
  return n;
}

void batch_journal::read(std::uint64_t k, void* results, std::uint64_t result_bytes, void* curves,
                         std::uint64_t curve_bytes) const {
  std::ifstream in(batch_path(k), std::ios::binary);
  batch_header h{};
  if (!in.read(reinterpret_cast<char*>(&h), sizeof h) || h.result_bytes != result_bytes ||
      h.curve_bytes != curve_bytes ||
      !in.read(static_cast<char*>(results), std::streamsize(result_bytes)) ||
      (curve_bytes > 0 && !in.read(static_cast<char*>(curves), std::streamsize(curve_bytes))) ||
      crc_of(results, result_bytes, curves, curve_bytes) != h.crc)
    throw output_error(batch_path(k) + " changed while resuming; use --force to start over");
}

void batch_journal::record(std::uint64_t k, const void* results, std::uint64_t result_bytes,
                           const void* curves, std::uint64_t curve_bytes) {
  batch_header h{};
  std::memcpy(h.magic, batch_magic, sizeof batch_magic);
  h.batch = k;
  h.result_bytes = result_bytes;
  h.curve_bytes = curve_bytes;
  h.crc = crc_of(results, result_bytes, curves, curve_bytes);
  const void* parts[] = {&h, results, curves};
  const std::uint64_t sizes[] = {sizeof h, result_bytes, curve_bytes};
  write_durably(batch_path(k), parts, sizes, curve_bytes > 0 ? 3 : 2);
  recorded_.at(k) = true;
}

void batch_journal::remove() {
  // The manifest goes first: a journal interrupted while being removed is then
  // no longer a resumable run, just leftovers (the output is already published).
  std::error_code ignored;
  fs::remove(fs::path(directory_) / "manifest.json", ignored);
  fs::remove_all(directory_, ignored);
}

}  // namespace scaleham
