// Provenance of an output file: the build's git commit, the command line and
// the host, written as root attributes (output.hpp, run_info::provenance).
#include <unistd.h>

#include <climits>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "build_info.hpp"
#include "output.hpp"
#include "scaleham/config.hpp"

namespace scaleham {

std::string shell_quoted(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_of(" \t\n'\"\\$`*?;&|<>()[]{}~#!") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string quoted_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + shell_quoted(argv[i]);
  return line;
}

std::string host_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<std::pair<std::string, std::string>> process_provenance(const std::string& command_line,
                                                                    const std::string& title) {
  const std::string commit = build_git_commit();
  return {{"git_commit", commit},
          {"command_line", command_line},
          {"host", host_name()},
          // The global attributes of the CF conventions, for netCDF tools.
          {"Conventions", "CF-1.8"},
          {"title", title},
          {"source", std::string("scaleham ") + SCALEHAM_VERSION_STRING + " (git " + commit + ")"},
          {"history", utc_now_iso8601() + " " + command_line}};
}

}  // namespace scaleham
