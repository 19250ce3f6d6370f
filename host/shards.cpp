#include "shards.hpp"

#include <charconv>
#include <stdexcept>

namespace scaleham {

std::string shard_spec::text() const { return std::to_string(index) + "/" + std::to_string(count); }

shard_spec parse_shard(const std::string& text) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument("--shard " + text + ": " + why + " (K/N: shard K of N, 0 <= K < N, e.g. 0/4)");
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) fail("expected K/N");
  const auto read = [&](std::size_t from, std::size_t to, const char* what) {
    std::uint64_t value = 0;
    const char* begin = text.data() + from;
    const char* end = text.data() + to;
    const auto [stop, error] = std::from_chars(begin, end, value);
    if (begin == end || error != std::errc() || stop != end)
      fail(std::string(what) + " must be a non-negative decimal integer");
    return value;
  };
  shard_spec s;
  s.index = read(0, slash, "K");
  s.count = read(slash + 1, text.size(), "N");
  if (s.count == 0) fail("N must be at least 1");
  if (s.index >= s.count) fail("K must be below N (shards are numbered from 0)");
  return s;
}

batch shard_range(std::uint64_t total, const shard_spec& s) {
  if (s.count > total)
    throw std::invalid_argument("--shard " + s.text() + ": the grid has " + std::to_string(total) +
                                " points, fewer than " + std::to_string(s.count) + " shards");
  // 128-bit products: K·total overflows 64 bits for grids beyond 2^64 / N.
  __extension__ using wide = unsigned __int128;
  const auto bound = [&](std::uint64_t k) { return static_cast<std::uint64_t>(wide(k) * total / s.count); };
  const std::uint64_t first = bound(s.index);
  return {first, bound(s.index + 1) - first};
}

}  // namespace scaleham
