// How long the run-time compiler (kernels/runtime_compiler.hpp) takes to
// compile the sweep kernels, per variant, precision and optimisation level,
// with NVRTC on this machine's CPU (no GPU needed): what a user waits the
// first time a formula model or an axis over settings runs on a GPU (later
// runs read the cache). Each compile goes into a fresh, empty cache.
//
//   runtime_compile [--levels fast,full] [--precisions double,float] [--arch 90]
//
// With --config FILE it instead compiles the kernels FILE's sweep needs into
// the cache runs use (SCALEHAM_KERNEL_CACHE, ...; the level from
// SCALEHAM_FORMULA_OPTIMIZATION), so a GPU node finds them compiled
// (scripts/gpu-check.sh --prepare does this for its formula step).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "config.hpp"
#include "expression_parser.hpp"
#include "formula_source.hpp"
#include "runtime_compiler.hpp"
#include "sweep.hpp"

namespace {

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

template <class Real>
void measure(const char* name, const scaleham::cuda::kernel_variant& variant, const std::string& level, int arch) {
  namespace fs = std::filesystem;
  const fs::path cache = fs::temp_directory_path() / ("scaleham-runtime-compile-" + std::to_string(::getpid()));
  fs::remove_all(cache);
  ::setenv("SCALEHAM_KERNEL_CACHE", cache.c_str(), 1);
  ::setenv("SCALEHAM_FORMULA_OPTIMIZATION", level.c_str(), 1);
  const auto start = std::chrono::steady_clock::now();
  const scaleham::cuda::kernel_image image = scaleham::cuda::compile_sweep_kernels<Real>(variant, arch);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-28s %-6s %-5s sm_%d  %7.2f s  cubin %zu bytes\n", name,
              sizeof(Real) == sizeof(double) ? "double" : "float", level.c_str(), arch, seconds, image.cubin.size());
  std::fflush(stdout);
  fs::remove_all(cache);
}

/// Compiles the kernels `config`'s sweep needs in precision Real into the cache runs use.
template <class Real>
void precompile(const scaleham::sweep_config& config, int arch) {
  const scaleham::sweep_plan<Real> plan(config);
  const char* precision = sizeof(Real) == sizeof(double) ? "double" : "float";
  if (plan.spec().formulas == nullptr && !plan.spec().sweeps_settings()) {
    std::printf("%s: runs the kernels built with the program; nothing to compile\n", config.source_name.c_str());
    return;
  }
  const scaleham::cuda::kernel_image image =
      scaleham::cuda::compile_sweep_kernels<Real>(scaleham::cuda::variant_of(plan.spec()), arch);
  const std::string outcome =
      image.from_cache           ? "already cached in " + image.cache_file
      : image.cache_file.empty() ? "compiled, NOT cached: " + image.cache_note
                                 : "compiled in " + std::to_string(image.compile_seconds) + " s, cached in " +
                                       image.cache_file;
  std::printf("%s: %s sm_%d %s: %s\n", config.source_name.c_str(), precision, arch,
              scaleham::cuda::formula_optimization().c_str(), outcome.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string levels = "fast,full", precisions = "double,float", config_file;
  int arch = 90;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--levels") levels = argv[i + 1];
    else if (flag == "--precisions") precisions = argv[i + 1];
    else if (flag == "--arch") arch = std::atoi(argv[i + 1]);
    else if (flag == "--config") config_file = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: runtime_compile [--levels fast,full] [--precisions double,float] [--arch 90]\n"
                           "       runtime_compile --config FILE [--precisions double,float] [--arch 90]\n");
      return 2;
    }
  }
  if (!config_file.empty()) {
    try {
      const scaleham::sweep_config config = scaleham::parse_config_file(config_file);
      for (const std::string& precision : split(precisions))
        precision == "float" ? precompile<float>(config, arch) : precompile<double>(config, arch);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "runtime_compile: %s\n", e.what());
      return 1;
    }
    return 0;
  }
  // examples/formulas.toml's model: a rational β, a non-integer power and an exponential in F.
  const std::vector<std::string> names = {"lambda", "gs", "A", "alpha", "B1", "g1"};
  scaleham::model_formulas formulas;
  formulas.beta = scaleham::parse_expression("lambda*g/(1 + g/gs)", names);
  formulas.F = scaleham::parse_expression("A/g^alpha + B1*exp(-g/g1)", names);
  const scaleham::cuda::kernel_variant formula{scaleham::runtime_models_source(formulas), false};
  const scaleham::cuda::kernel_variant settings{scaleham::builtin_models_source(), true};
  try {
    for (const std::string& level : split(levels))
      for (const std::string& precision : split(precisions)) {
        if (precision == "double") {
          measure<double>("formula model", formula, level, arch);
          measure<double>("built-in, per-point settings", settings, level, arch);
        } else {
          measure<float>("formula model", formula, level, arch);
          measure<float>("built-in, per-point settings", settings, level, arch);
        }
      }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "runtime_compile: %s\n", e.what());
    return 1;
  }
  return 0;
}
