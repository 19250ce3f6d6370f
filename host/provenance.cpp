// Provenance of an output file: the build's git commit, the command line and
// the host, written as root attributes (output.hpp, run_info::provenance).
#include <unistd.h>

#include <climits>
#include <string>
#include <utility>
#include <vector>

#include "build_info.hpp"
#include "output.hpp"

namespace scaleham {

std::string quoted_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()[]{}~#!") == std::string::npos;
    std::string word = arg;
    if (!plain) {
      word = "'";
      for (char c : arg) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
      word += "'";
    }
    line += (i ? " " : "") + word;
  }
  return line;
}

std::string host_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

std::vector<std::pair<std::string, std::string>> process_provenance(const std::string& command_line) {
  return {{"git_commit", build_git_commit()}, {"command_line", command_line}, {"host", host_name()}};
}

}  // namespace scaleham
