#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <utility>

namespace scaleham {

progress_reporter::progress_reporter(std::uint64_t total, bool enabled, double line_interval)
    : progress_reporter(total, enabled, line_interval, stderr, isatty(STDERR_FILENO) != 0) {}

progress_reporter::progress_reporter(std::uint64_t total, bool enabled, double line_interval, std::FILE* stream,
                                     bool terminal)
    : total_(total),
      enabled_(enabled),
      terminal_(terminal),
      line_interval_(line_interval),
      stream_(stream),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

progress_reporter::progress_reporter(std::uint64_t total, observer observe)
    : progress_reporter(total, false, 0.0, stderr, false) {
  observe_ = std::move(observe);
}

progress_reporter::~progress_reporter() {
  // An exception unwinding past us must not leave the cursor mid-line.
  if (enabled_ && terminal_ && !finished_) std::fputc('\n', stream_);
}

void progress_reporter::update(std::uint64_t done) {
  if (observe_) return observe_(done, total_);
  if (terminal_) draw(done, false);
  else line(done, false);
}

void progress_reporter::finish() {
  if (finished_) return;
  if (observe_) {
    observe_(total_, total_);
  } else if (terminal_) {
    draw(total_, true);
    if (enabled_) std::fputc('\n', stream_);
  } else if (lines_ > 0) {
    line(total_, true);  // the log shows the end of what it followed
  }
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

progress_reporter::figures progress_reporter::figures_at(std::uint64_t done,
                                                         std::chrono::steady_clock::time_point now) const {
  figures f;
  f.elapsed = std::chrono::duration<double>(now - start_).count();
  f.fraction = total_ > 0 ? double(done) / double(total_) : 1.0;
  f.rate = f.elapsed > 0 ? double(done) / f.elapsed : 0.0;
  f.eta = f.rate > 0 ? double(total_ - done) / f.rate : NAN;
  return f;
}

void progress_reporter::draw(std::uint64_t done, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const figures f = figures_at(done, now);
  constexpr int width = 30;
  const int filled = static_cast<int>(f.fraction * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  std::fprintf(stream_, "\r[%s] %5.1f%%  %s/%s points  %s points/s  ETA %s ", bar.c_str(),
               100.0 * f.fraction, human_count(double(done)).c_str(),
               human_count(double(total_)).c_str(), human_count(f.rate).c_str(),
               human_duration(f.eta).c_str());
  std::fflush(stream_);
}

void progress_reporter::line(std::uint64_t done, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && std::chrono::duration<double>(now - last_draw_).count() < line_interval_) return;
  last_draw_ = now;
  ++lines_;
  const figures f = figures_at(done, now);
  std::fprintf(stream_, "scaleham: progress %.1f%%  %s/%s points  %s points/s  elapsed %s  ETA %s\n",
               100.0 * f.fraction, human_count(double(done)).c_str(), human_count(double(total_)).c_str(),
               human_count(f.rate).c_str(), human_duration(f.elapsed).c_str(), human_duration(f.eta).c_str());
  std::fflush(stream_);
}

}  // namespace scaleham
