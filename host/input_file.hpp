// Reading the files users give scaleham (a sweep configuration, measured-data
// CSVs, an output to inspect) and quoting their text in error messages.
//
// Header-only, so that the libFuzzer harnesses, which compile only the parser
// sources (tests/fuzz/CMakeLists.txt), get it without another source file.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scaleham {

/// Largest configuration file read (1 MiB): the largest real configuration is
/// a few kB; a bigger file is a mistake (a data file, /dev/zero's cousins).
inline constexpr std::uint64_t max_config_bytes = std::uint64_t(1) << 20;
/// Largest CSV file read (1 GiB): the text and the parsed rows are both held
/// in memory, so this bounds what `scaleham fit` can allocate for its input.
inline constexpr std::uint64_t max_csv_bytes = std::uint64_t(1) << 30;

/// An input file cannot be used. what() is the reason without the path (e.g.
/// "is a character device, not a regular file"); callers wrap it in their own
/// error type with the path.
struct input_file_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// "a directory", "a FIFO (named pipe)", ... for the file type in `mode`.
inline const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

/// Throws input_file_error unless `path` (following symlinks) is a regular
/// file. Checked before opening: opening a FIFO without a writer blocks, and
/// /dev/zero or a terminal would be read until memory runs out. The reason of
/// a failed stat() is the system's own (ENOENT, ELOOP for a symlink loop,
/// EACCES, ...).
inline void check_regular_file(const std::string& path) {
  struct stat st {};
  if (path.empty()) throw input_file_error("the file name is empty");
  if (::stat(path.c_str(), &st) != 0) throw input_file_error(std::string("cannot open: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw input_file_error(std::string("is ") + file_kind(st.st_mode) + ", not a regular file");
}

/// "1 MiB", "1 GiB" or "N bytes" for a limit.
inline std::string byte_count_words(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t(1) << 30) && bytes % (std::uint64_t(1) << 30) == 0)
    return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (std::uint64_t(1) << 20) && bytes % (std::uint64_t(1) << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

/// The whole content of the regular file at `path`, at most `limit` bytes;
/// throws input_file_error otherwise (not a regular file, too large, cannot be
/// opened or read). `kind` names the file in the size message ("a
/// configuration"). Opened with O_NONBLOCK so that a FIFO swapped in after the
/// check cannot block either; fstat() then checks what was really opened.
inline std::string read_input_file(const std::string& path, std::uint64_t limit, std::string_view kind) {
  check_regular_file(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw input_file_error(std::string("cannot open: ") + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_on_return{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw input_file_error(std::string("cannot read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw input_file_error(std::string("is ") + file_kind(st.st_mode) + ", not a regular file");
  const auto too_large = [&](std::uint64_t size, bool at_least) {
    return input_file_error(std::string("is ") + (at_least ? "more than " : "") + std::to_string(size) +
                            " bytes; " + std::string(kind) + " may have at most " + std::to_string(limit) + " (" +
                            byte_count_words(limit) + ")");
  };
  if (static_cast<std::uint64_t>(st.st_size) > limit) throw too_large(static_cast<std::uint64_t>(st.st_size), false);
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t used = 0;
  // Read until end of file: the file may have grown since fstat(), so the
  // limit is checked on what was read, too.
  while (true) {
    if (used == text.size()) {
      if (text.size() > limit) throw too_large(limit, true);
      text.resize(std::max<std::size_t>(text.size() * 2, 4096));
    }
    const ssize_t n = ::read(fd, &text[used], text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw input_file_error(std::string("cannot read: ") + std::strerror(errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  if (used > limit) throw too_large(limit, true);
  text.resize(used);
  return text;
}

/// `text` as an error message shows it: control characters escaped (a NUL
/// would end the message where it is printed with %s, a CR or ESC would
/// rewrite the terminal), and cut after `max` bytes (at a UTF-8 character
/// boundary) with "…" and the full length, so that a 10 MB CSV field or a
/// 100 kB key does not flood the terminal.
inline std::string shown(std::string_view text, std::size_t max = 80) {
  std::size_t end = text.size();
  if (end > max) {
    end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (end < text.size()) out += "… (" + std::to_string(text.size()) + " bytes)";
  return out;
}

/// Why `text` is not UTF-8 text, or empty: a UTF-16 byte-order mark, or a NUL
/// byte (binary data, or UTF-16/32 without a mark, where every ASCII
/// character has NUL bytes beside it). `line` is set to the line of the NUL
/// (1-based; 1 for a mark).
inline std::string not_text_reason(std::string_view text, int& line) {
  line = 1;
  if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
    return "a UTF-16 (or UTF-32) file, by its byte-order mark; save it as UTF-8 text";
  const std::size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return {};
  for (std::size_t i = 0; i < nul; ++i) line += text[i] == '\n';
  return "a NUL byte: a binary or UTF-16 file, not UTF-8 text";
}

/// Case-insensitive equality with a lower-case ASCII word.
inline bool equals_lower(std::string_view text, std::string_view word) {
  if (text.size() != word.size()) return false;
  for (std::size_t k = 0; k < text.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(text[k])) != word[k]) return false;
  return true;
}

/// Parses a decimal number as people write it: [+-] digits [. digits]
/// [e [+-] digits] (or .digits), and the words inf, infinity and nan (any
/// case, with a sign) so that callers can say "not finite" rather than "not a
/// number". Unlike strtod alone it refuses hexadecimal (0x2BC = 700), hex
/// floats, nan(...) payloads and surrounding blanks. Returns false if `text`
/// is not such a number. The value is std::from_chars' on the text itself (no
/// copy: the CSV reader calls this per field), correctly rounded as strtod's;
/// out of range (1e400, 1e-400) it is strtod's ±HUGE_VAL or subnormal/zero,
/// which from_chars reports without a value.
inline bool parse_decimal(std::string_view text, double& value) {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) ++i;
  const std::string_view word = text.substr(i);
  if (equals_lower(word, "inf") || equals_lower(word, "infinity")) {
    value = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (equals_lower(word, "nan")) {
    value = std::nan("");
    return true;
  }
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - from;
  };
  std::size_t mantissa = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  if (i != text.size()) return false;
  // from_chars takes no leading '+'; the grammar above is a subset of its own.
  const std::string_view number = text[0] == '+' ? text.substr(1) : text;
  const std::from_chars_result r = std::from_chars(number.data(), number.data() + number.size(), value);
  if (r.ec == std::errc() && r.ptr == number.data() + number.size()) return true;
  const std::string copy(text);  // out of range: strtod's value
  value = std::strtod(copy.c_str(), nullptr);
  return true;
}

}  // namespace scaleham
