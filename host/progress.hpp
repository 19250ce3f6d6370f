// Progress of a long sweep on stderr: a bar with rate and ETA, redrawn at most
// ten times a second, only when stderr is a terminal (batch jobs get nothing
// but the final summary). No Debian package provides this, so it is ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace scaleham {

class progress_reporter {
 public:
  /// `enabled` = the user did not ask for --quiet; drawing also needs a terminal.
  progress_reporter(std::uint64_t total, bool enabled);
  ~progress_reporter();

  /// `done` points are finished (monotonic).
  void update(std::uint64_t done);
  /// Final redraw at 100 % and a newline.
  void finish();

  /// "1.23 M", "456 k" — points and rates in words a human reads at a glance.
  static std::string human_count(double value);
  /// "1:02:03", "04:05" — durations.
  static std::string human_duration(double seconds);

 private:
  void draw(std::uint64_t done, bool force);

  std::uint64_t total_;
  bool active_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace scaleham
