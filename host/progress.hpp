// Progress of a long sweep on stderr. On a terminal: a bar with rate and ETA,
// redrawn at most ten times a second. Elsewhere (a batch system's log file, a
// pipe): one newline-terminated line at a steady interval with the points
// done, the rate, the elapsed time and the ETA, so a log shows a job is alive
// without filling up. --quiet silences both. Or, for callers that draw their
// own (the Python binding's notebook bar), a function told every update. No
// Debian package provides this, so it is ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace scaleham {

class progress_reporter {
 public:
  /// Seconds between lines when stderr is not a terminal (the default of
  /// --progress-interval).
  static constexpr double default_line_interval = 30.0;

  /// `enabled` = the user did not ask for --quiet. `line_interval`: seconds
  /// between lines off a terminal (0: a line at every update).
  progress_reporter(std::uint64_t total, bool enabled, double line_interval = default_line_interval);
  /// The same on `stream`, drawn as on a terminal or not as `terminal` says (tests).
  progress_reporter(std::uint64_t total, bool enabled, double line_interval, std::FILE* stream, bool terminal);
  /// Points done and the total, told to `observer` at every update and at
  /// finish() (on the thread that calls them); nothing is printed.
  using observer = std::function<void(std::uint64_t done, std::uint64_t total)>;
  progress_reporter(std::uint64_t total, observer observe);
  ~progress_reporter();

  /// `done` points are finished (monotonic).
  void update(std::uint64_t done);
  /// Final redraw at 100 % (a bar: and a newline; lines: a last line, if any was written).
  void finish();

  /// "1.23 M", "456 k" — points and rates in words a human reads at a glance.
  static std::string human_count(double value);
  /// "1:02:03", "04:05" — durations.
  static std::string human_duration(double seconds);

 private:
  /// What both forms show: seconds since the start, the fraction done, points
  /// per second and the seconds still to go (NaN before any point).
  struct figures {
    double elapsed, fraction, rate, eta;
  };
  figures figures_at(std::uint64_t done, std::chrono::steady_clock::time_point now) const;
  void draw(std::uint64_t done, bool force);
  void line(std::uint64_t done, bool force);

  std::uint64_t total_;
  bool enabled_, terminal_;
  double line_interval_;
  std::FILE* stream_;
  observer observe_;
  bool finished_ = false;
  std::uint64_t lines_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace scaleham
