// Progress off a terminal (a batch system's log): newline-terminated lines at
// the interval asked for, with points, rate and ETA; nothing when quiet.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "progress.hpp"

namespace {

using scaleham::progress_reporter;

/// What `use` wrote to a progress_reporter's stream.
template <class F>
std::string written(F use) {
  std::FILE* stream = std::tmpfile();
  use(stream);
  std::rewind(stream);
  std::string text;
  for (int c; (c = std::fgetc(stream)) != EOF;) text += char(c);
  std::fclose(stream);
  return text;
}

int lines_in(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(Progress, OffATerminalEveryUpdateAtIntervalZeroIsALine) {
  const std::string text = written([](std::FILE* s) {
    progress_reporter p(1000, true, 0.0, s, false);
    p.update(250);
    p.update(500);
    p.finish();
  });
  EXPECT_EQ(lines_in(text), 3) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "no carriage returns in a log";
  EXPECT_NE(text.find("scaleham: progress 25.0%  250/1 k points"), std::string::npos) << text;
  EXPECT_NE(text.find("points/s"), std::string::npos);
  EXPECT_NE(text.find("ETA"), std::string::npos);
  EXPECT_NE(text.find("100.0%  1 k/1 k points"), std::string::npos) << text;
}

TEST(Progress, OffATerminalLinesComeAtTheIntervalOnly) {
  const std::string text = written([](std::FILE* s) {
    progress_reporter p(100, true, 0.05, s, false);
    for (int i = 1; i <= 10; ++i) p.update(std::uint64_t(i));  // within the first interval: nothing
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    p.update(50);  // an interval later: one line
    p.finish();
  });
  EXPECT_EQ(lines_in(text), 2) << text;
  EXPECT_NE(text.find("50/100 points"), std::string::npos) << text;
}

TEST(Progress, AShortRunWritesNoLineAndQuietWritesNothing) {
  EXPECT_EQ(written([](std::FILE* s) {
              progress_reporter p(10, true, 3600.0, s, false);
              p.update(10);
              p.finish();
            }),
            "");
  for (bool terminal : {false, true})
    EXPECT_EQ(written([&](std::FILE* s) {
                progress_reporter p(10, false, 0.0, s, terminal);
                p.update(5);
                p.finish();
              }),
              "");
}

TEST(Progress, OnATerminalABarRedrawnInPlace) {
  const std::string text = written([](std::FILE* s) {
    progress_reporter p(10, true, 0.0, s, true);
    p.update(5);
    p.finish();
  });
  EXPECT_EQ(text.front(), '\r');
  EXPECT_EQ(lines_in(text), 1);
  EXPECT_NE(text.find("100.0%"), std::string::npos);
}

}  // namespace
