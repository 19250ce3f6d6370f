// The run-time compiler of sweep kernels (kernels/runtime_compiler.hpp),
// without a GPU: NVRTC compiles the sweep kernels of a formula model, and of
// per-point settings, to cubins for sm_90 and sm_80 here as on a GPU node, the cache of
// compiled kernels is hit, missed and repaired as documented, errors carry
// NVRTC's log, and the headers built into the binary are the source tree's.
// (Running the compiled kernels is tests/test_cuda_backend.cpp's, on a GPU.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "expression_parser.hpp"
#include "formula_source.hpp"
#include "runtime_compiler.hpp"
#include "scoped_env.hpp"
#include "scaleham/point.hpp"

namespace {

namespace fs = std::filesystem;
using scaleham::cuda::compile_error;
using scaleham::cuda::compile_sweep_kernels;
using scaleham::cuda::kernel_image;
using scaleham::testing::scoped_env;

/// A fresh cache directory for one test.
fs::path fresh_cache(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("scaleham-kernel-cache-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  return dir;
}

std::string models(const char* beta, const char* F) {
  const std::vector<std::string> names = {"lambda", "gstar", "A", "alpha", "B", "g1"};
  scaleham::model_formulas m;
  m.beta = scaleham::parse_expression(beta, names);
  m.F = scaleham::parse_expression(F, names);
  return scaleham::runtime_models_source(m);
}

bool is_elf(const std::string& image) { return image.size() > 4 && image.compare(0, 4, "\x7f" "ELF") == 0; }

// The compiles here are `fast` (about 4 s each on 2 cores, against 1–2.5 min
// at the default `full`, benchmarks/RESULTS.md): what is tested is the
// program and the cache, the same at both levels.
TEST(RuntimeCompiler, FormulaKernelsCompileAndTheCacheIsHitMissedAndRepaired) {
  const fs::path dir = fresh_cache("hit");
  const scoped_env cache("SCALEHAM_KERNEL_CACHE", dir.string());
  const scoped_env level("SCALEHAM_FORMULA_OPTIMIZATION", "fast");
  const std::string source = models("lambda*g/(1 + g/gstar)", "A/g^alpha + B*exp(-g/g1)");

  const kernel_image first = compile_sweep_kernels<double>({source, false}, 90);
  EXPECT_FALSE(first.from_cache);
  EXPECT_GT(first.compile_seconds, 0.0);
  EXPECT_TRUE(is_elf(first.cubin));
  ASSERT_FALSE(first.cache_file.empty()) << first.cache_note;
  EXPECT_EQ(fs::path(first.cache_file).parent_path(), dir);
  EXPECT_NE(first.cache_file.find("sm_90-double-"), std::string::npos) << first.cache_file;

  const kernel_image again = compile_sweep_kernels<double>({source, false}, 90);
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(again.cubin, first.cubin);
  EXPECT_EQ(again.cache_file, first.cache_file);

  // A torn or damaged file is not used: the kernels are compiled anew and
  // the file replaced.
  fs::resize_file(first.cache_file, fs::file_size(first.cache_file) / 2);
  const kernel_image repaired = compile_sweep_kernels<double>({source, false}, 90);
  EXPECT_FALSE(repaired.from_cache);
  EXPECT_TRUE(is_elf(repaired.cubin));
  EXPECT_TRUE(compile_sweep_kernels<double>({source, false}, 90).from_cache);

  // Other models, per-point settings, another precision or architecture: another entry.
  const kernel_image other = compile_sweep_kernels<float>({scaleham::builtin_models_source(), true}, 80);
  EXPECT_FALSE(other.from_cache);
  EXPECT_TRUE(is_elf(other.cubin));
  EXPECT_NE(other.cache_file.find("sm_80-float-"), std::string::npos) << other.cache_file;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
  fs::remove_all(dir);
}

TEST(RuntimeCompiler, AnUnwritableCacheStillCompilesAndSaysWhy) {
  const fs::path file = fresh_cache("blocked");
  { std::ofstream(file) << "a file where the cache directory should be"; }
  const scoped_env cache("SCALEHAM_KERNEL_CACHE", (file / "kernels").string());
  const scoped_env level("SCALEHAM_FORMULA_OPTIMIZATION", "fast");
  const kernel_image image = compile_sweep_kernels<float>({models("lambda*g", "A/g"), false}, 90);
  EXPECT_TRUE(is_elf(image.cubin));
  EXPECT_TRUE(image.cache_file.empty());
  EXPECT_NE(image.cache_note.find("cannot create"), std::string::npos) << image.cache_note;
  fs::remove(file);
}

TEST(RuntimeCompiler, ACompileErrorCarriesNvrtcsLog) {
  const scoped_env cache("SCALEHAM_KERNEL_CACHE", fresh_cache("error").string());
  try {
    compile_sweep_kernels<double>({"struct scaleham_runtime_models { int broken( };", false}, 90);
    FAIL() << "compiled a program with a syntax error";
  } catch (const compile_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("NVRTC cannot compile the formula kernels"), std::string::npos) << what;
    EXPECT_NE(what.find("error"), std::string::npos) << what;
  }
}

TEST(RuntimeCompiler, TheOptimizationLevelIsFastFullOrRefused) {
  {
    const scoped_env level("SCALEHAM_FORMULA_OPTIMIZATION", "");
    EXPECT_EQ(scaleham::cuda::formula_optimization(), "full");
  }
  {
    const scoped_env level("SCALEHAM_FORMULA_OPTIMIZATION", "fast");
    EXPECT_EQ(scaleham::cuda::formula_optimization(), "fast");
  }
  const scoped_env level("SCALEHAM_FORMULA_OPTIMIZATION", "O3");
  EXPECT_THROW(compile_sweep_kernels<double>({models("lambda*g", "A/g"), false}, 90), compile_error);
}

TEST(RuntimeCompiler, TheProgramChecksTheHostsLayoutsAndNamesItsKernels) {
  const std::string program = scaleham::cuda::sweep_kernels_program<double>({models("lambda*g", "A/g"), false});
  EXPECT_NE(program.find("static_assert(sizeof(scaleham::sweep_spec<double>) == " +
                         std::to_string(sizeof(scaleham::sweep_spec<double>))),
            std::string::npos);
  EXPECT_NE(program.find(std::string("extern \"C\" __global__ void __maxnreg__(255)\n    ") +
                         scaleham::cuda::batch_kernel_name + "("),
            std::string::npos)
      << program;
  EXPECT_NE(program.find(scaleham::cuda::relaxations_kernel_name), std::string::npos);
  EXPECT_NE(program.find("evaluate_batch_of<false>("), std::string::npos);
  // Sweeps over settings: each point's settings, of the built-in models too.
  const std::string settings =
      scaleham::cuda::sweep_kernels_program<float>({scaleham::builtin_models_source(), true});
  EXPECT_NE(settings.find("evaluate_batch_of<true>("), std::string::npos);
  EXPECT_NE(settings.find("evaluate_relaxations_of<true>("), std::string::npos);
  EXPECT_NE(settings.find("scaleham::builtin_models"), std::string::npos);
}

TEST(RuntimeCompiler, TheEmbeddedHeadersAreTheSourceTrees) {
  int core_headers = 0;
  for (int i = 0; i < scaleham::cuda::embedded_source_count; ++i) {
    const std::string name = scaleham::cuda::embedded_sources[i].name;
    fs::path path;
    if (name.rfind("scaleham/", 0) == 0) path = fs::path(SCALEHAM_SOURCE_DIR) / "include" / name, ++core_headers;
    else if (name == "sweep_kernels.cuh" || name == "nvrtc_std.h") path = fs::path(SCALEHAM_SOURCE_DIR) / "kernels" / name;
    else continue;  // a standard header's stand-in
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, scaleham::cuda::embedded_sources[i].text) << name << " is stale in the binary";
  }
  int on_disk = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(SCALEHAM_SOURCE_DIR) / "include" / "scaleham"))
    on_disk += entry.path().extension() == ".hpp";
  EXPECT_EQ(core_headers, on_disk);
}

}  // namespace
