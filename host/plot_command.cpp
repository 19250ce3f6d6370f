#include "plot_command.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace scaleham {

int run_plot_command(const std::vector<std::string>& args) {
  const char* python = std::getenv("SCALEHAM_PYTHON");
  if (python == nullptr || *python == '\0') python = "python3";
  // The package in this source tree (when it is there) before an installed one.
  const std::filesystem::path package_dir = SCALEHAM_PYTHON_PACKAGE_DIR;
  if (std::filesystem::is_directory(package_dir / "scaleham")) {
    const char* old = std::getenv("PYTHONPATH");
    const std::string path = package_dir.string() + (old && *old ? std::string(":") + old : std::string());
    setenv("PYTHONPATH", path.c_str(), 1);
  }
  std::vector<std::string> words = {python, "-m", "scaleham", "plot"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  execvp(python, argv.data());
  std::fprintf(stderr,
               "scaleham: error: cannot run %s for `scaleham plot` (%s); it needs Python 3 with the scaleham "
               "package and matplotlib (README, \"Python\")\n",
               python, std::strerror(errno));
  return 1;
}

}  // namespace scaleham
