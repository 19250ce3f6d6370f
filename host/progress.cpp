#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace scaleham {

progress_reporter::progress_reporter(std::uint64_t total, bool enabled)
    : total_(total),
      active_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

progress_reporter::~progress_reporter() {
  // An exception unwinding past us must not leave the cursor mid-line.
  if (active_ && !finished_) std::fputc('\n', stderr);
}

void progress_reporter::update(std::uint64_t done) { draw(done, false); }

void progress_reporter::finish() {
  if (finished_) return;
  draw(total_, true);
  if (active_) std::fputc('\n', stderr);
  finished_ = true;
}

std::string progress_reporter::human_count(double value) {
  const char* suffix[] = {"", " k", " M", " G", " T"};
  int i = 0;
  while (std::fabs(value) >= 1000.0 && i < 4) value /= 1000.0, ++i;
  char text[32];
  std::snprintf(text, sizeof text, i == 0 ? "%.0f%s" : "%.3g%s", value, suffix[i]);
  return text;
}

std::string progress_reporter::human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%02lld:%02lld", s / 60, s % 60);
  return text;
}

void progress_reporter::draw(std::uint64_t done, bool force) {
  if (!active_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = total_ > 0 ? double(done) / double(total_) : 1.0;
  const double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done) / rate : NAN;
  constexpr int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  std::fprintf(stderr, "\r[%s] %5.1f%%  %s/%s points  %s points/s  ETA %s ", bar.c_str(),
               100.0 * fraction, human_count(double(done)).c_str(),
               human_count(double(total_)).c_str(), human_count(rate).c_str(),
               human_duration(eta).c_str());
  std::fflush(stderr);
}

}  // namespace scaleham
