// Throughput of the writer path of `scaleham run` (issue 10, goal 5): the
// driver, the journal and the HDF5 writer fed by a producer that returns every
// batch at once (run_options::instant_producer), as a host feeding a fast GPU
// would see it. Also the two CPU-backend figures the end-to-end goal compares:
// the whole run (compute + journal + HDF5) and the compute alone.
//
//   bench_writer [--mode instant|run|compute] [--points N] [--compression L]
//                [--curves] [--precision double|float] [--batch-points N]
//                [--output-option 'KEY = VALUE']... [--threads T] [--dir DIR] [--repeat R]
//
// The grid is the built-in example's (λ × A) resized to about N points
// (a square grid); cpu_seconds is the process's user + system time over the
// repetition. --output-option lines are appended to its [output] table
// (float32 = true, flow = ["g", "status"], ...); --threads sets the writer's
// threads (default: every core). Prints one JSON line per repetition: mode, points, seconds,
// points per second, seconds writing, file bytes. Exits 1 on any failure, so
// its CTest smoke run checks something.
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "config.hpp"
#include "cpu_backend.hpp"
#include "driver.hpp"
#include "sweep.hpp"

namespace {

using namespace scaleham;

/// CPU seconds (user + system) of the process so far: under contention a
/// steadier measure of the work than wall time.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return double(t.tv_sec) + 1e-6 * double(t.tv_usec); };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string replace_once(std::string text, const std::string& what, const std::string& with) {
  const auto at = text.find(what);
  if (at == std::string::npos) {
    std::fprintf(stderr, "bench_writer: '%s' not in the built-in example\n", what.c_str());
    std::exit(1);
  }
  return text.replace(at, what.size(), with);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "instant", precision = "double", dir = "/tmp";
  std::uint64_t points = 1'000'000, batch_points = 0;
  int compression = 4, repeat = 1;
  unsigned threads = 0;  // writer threads (0: every core)
  bool curves = false;
  std::vector<std::string> output_options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_writer: %s needs a value\n", arg.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (arg == "--mode") mode = next();
    else if (arg == "--points") points = std::stoull(next());
    else if (arg == "--compression") compression = std::stoi(next());
    else if (arg == "--curves") curves = true;
    else if (arg == "--precision") precision = next();
    else if (arg == "--batch-points") batch_points = std::stoull(next());
    else if (arg == "--output-option") output_options.push_back(next());
    else if (arg == "--dir") dir = next();
    else if (arg == "--threads") threads = unsigned(std::stoul(next()));
    else if (arg == "--repeat") repeat = std::stoi(next());
    else {
      std::fprintf(stderr, "bench_writer: unknown argument %s\n", arg.c_str());
      return 1;
    }
  }
  const auto side = std::max<std::uint64_t>(1, std::uint64_t(std::llround(std::sqrt(double(points)))));
  std::string text(builtin_example_config());
  text = replace_once(text, "linspace = [0.05, 0.15, 21]", fmt::format("linspace = [0.05, 0.15, {}]", side));
  text = replace_once(text, "linspace = [25.0, 75.0, 21]", fmt::format("linspace = [25.0, 75.0, {}]", side));
  text = replace_once(text, "compression = 4", fmt::format("compression = {}", compression));
  if (curves) text = replace_once(text, "curves = false", "curves = true");
  // [output] is the example's last table: an option replaces the line that
  // sets its key there, or is appended.
  const std::size_t output_table = text.find("[output]");
  for (const std::string& option : output_options) {
    const std::string key = option.substr(0, option.find_first_of(" ="));
    const std::size_t at = text.find("\n" + key + " =", output_table);
    if (at == std::string::npos) {
      text += option + "\n";
    } else {
      const std::size_t end = text.find('\n', at + 1);
      text.replace(at + 1, end - at - 1, option);
    }
  }

  try {
    const sweep_config config = parse_config_text(text, "<bench_writer>");
    const std::string out = (std::filesystem::path(dir) / fmt::format("bench_writer_{}.h5", ::getpid())).string();
    for (int r = 0; r < repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = cpu_seconds();
      double seconds_writing = 0;
      std::uintmax_t bytes = 0;
      if (mode == "compute") {
        // The CPU backend's loop alone, in batches of the run's default size.
        const std::uint64_t batch = batch_points > 0 ? batch_points : std::uint64_t(1) << 16;
        const bool with_curves = curves;
        auto compute = [&](auto real) {
          using Real = decltype(real);
          const sweep_plan<Real> plan(config);
          const std::uint64_t n_T = with_curves ? std::uint64_t(config.settings.relaxation.n_T) : 0;
          std::vector<point_result<Real>> results(batch);
          std::vector<Real> curve_values(batch * n_T);
          for (std::uint64_t first = 0; first < config.size(); first += batch)
            evaluate_points(plan.spec(), first, std::min(batch, config.size() - first), results.data(),
                            n_T > 0 ? curve_values.data() : nullptr);
        };
        if (precision == "float") compute(float{});
        else compute(double{});
      } else if (mode == "instant" || mode == "run") {
        run_options options;
        options.output_path = out;
        options.backend = "cpu";
        options.precision = precision;
        options.force = true;
        options.quiet = true;
        options.batch_points = batch_points;
        options.instant_producer = mode == "instant";
        options.writer_threads = threads;
        const run_summary summary = run_sweep(config, options);
        seconds_writing = summary.seconds_writing;
        bytes = std::filesystem::file_size(out);
        std::filesystem::remove(out);
      } else {
        std::fprintf(stderr, "bench_writer: unknown mode %s\n", mode.c_str());
        return 1;
      }
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::printf(
          "{\"mode\": \"%s\", \"points\": %llu, \"compression\": %d, \"curves\": %s, \"precision\": \"%s\", "
          "\"threads\": %u, \"seconds\": %.4f, \"cpu_seconds\": %.3f, \"points_per_second\": %.0f, \"seconds_writing\": %.4f, \"file_bytes\": %llu}\n",
          mode.c_str(), static_cast<unsigned long long>(config.size()), compression, curves ? "true" : "false",
          precision.c_str(), threads, seconds, cpu_seconds() - cpu_start, double(config.size()) / seconds, seconds_writing,
          static_cast<unsigned long long>(bytes));
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_writer: %s\n", e.what());
    return 1;
  }
  return 0;
}
