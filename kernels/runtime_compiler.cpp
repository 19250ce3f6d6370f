#include "runtime_compiler.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <nvrtc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

#include "cuda_backend.hpp"
#include "formula_source.hpp"
#include "scaleham/point.hpp"

#ifndef SCALEHAM_CUDA_MAJOR
#error "SCALEHAM_CUDA_MAJOR (the CUDA toolkit's major version) must be defined by the build"
#endif
#ifndef SCALEHAM_CUDA_LIBRARY_DIR
#define SCALEHAM_CUDA_LIBRARY_DIR ""
#endif

namespace scaleham::cuda {

namespace {

namespace fs = std::filesystem;

/// The NVRTC functions we call, from the library loaded at first use.
struct nvrtc_library {
  decltype(&::nvrtcVersion) version = nullptr;
  decltype(&::nvrtcGetErrorString) error_string = nullptr;
  decltype(&::nvrtcCreateProgram) create = nullptr;
  decltype(&::nvrtcCompileProgram) compile = nullptr;
  decltype(&::nvrtcGetProgramLogSize) log_size = nullptr;
  decltype(&::nvrtcGetProgramLog) log = nullptr;
  decltype(&::nvrtcGetCUBINSize) cubin_size = nullptr;
  decltype(&::nvrtcGetCUBIN) cubin = nullptr;
  decltype(&::nvrtcDestroyProgram) destroy = nullptr;
  int major = 0, minor = 0;  ///< NVRTC's version, e.g. 13.0
};

template <class F>
void resolve(void* handle, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(handle, name));
  if (f == nullptr) throw compile_error(fmt::format("NVRTC has no function {} ({})", name, dlerror()));
}

/// libnvrtc.so.<major>: by the loader's search path, then in the toolkit this
/// binary was built with, then under $CUDA_HOME and $CUDA_PATH.
const nvrtc_library& nvrtc() {
  static std::once_flag once;
  static nvrtc_library api;
  static std::string failure;
  std::call_once(once, [] {
    const std::string file = fmt::format("libnvrtc.so.{}", SCALEHAM_CUDA_MAJOR);
    std::vector<std::string> candidates = {file};
    if (std::string(SCALEHAM_CUDA_LIBRARY_DIR).size() > 0)
      candidates.push_back(std::string(SCALEHAM_CUDA_LIBRARY_DIR) + "/" + file);
    for (const char* variable : {"CUDA_HOME", "CUDA_PATH"})
      if (const char* home = std::getenv(variable)) candidates.push_back(std::string(home) + "/lib64/" + file);
    void* handle = nullptr;
    for (const std::string& candidate : candidates)
      if ((handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    if (handle == nullptr) {
      failure = fmt::format(
          "the GPU kernels of formula models and of axes over settings are compiled at run time by NVRTC, "
          "and {} was not found (searched the library path, {} and $CUDA_HOME/lib64); install the CUDA "
          "toolkit's NVRTC, or run on the CPU (--backend cpu)",
          file, SCALEHAM_CUDA_LIBRARY_DIR);
      return;
    }
    try {
      resolve(handle, api.version, "nvrtcVersion");
      resolve(handle, api.error_string, "nvrtcGetErrorString");
      resolve(handle, api.create, "nvrtcCreateProgram");
      resolve(handle, api.compile, "nvrtcCompileProgram");
      resolve(handle, api.log_size, "nvrtcGetProgramLogSize");
      resolve(handle, api.log, "nvrtcGetProgramLog");
      resolve(handle, api.cubin_size, "nvrtcGetCUBINSize");
      resolve(handle, api.cubin, "nvrtcGetCUBIN");
      resolve(handle, api.destroy, "nvrtcDestroyProgram");
      api.version(&api.major, &api.minor);
    } catch (const compile_error& e) {
      failure = e.what();
    }
  });
  if (!failure.empty()) throw compile_error(failure);
  return api;
}

template <class Real>
constexpr const char* real_name() {
  return sizeof(Real) == sizeof(double) ? "double" : "float";
}

/// 64-bit FNV-1a: names a cache file; the file itself holds the whole key.
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

/// The digest of the embedded headers (the core as built into this binary),
/// computed once per process.
const std::string& headers_digest() {
  static const std::string digest = [] {
    std::string headers;
    for (int i = 0; i < embedded_source_count; ++i)
      headers += std::string(embedded_sources[i].name) + "\n" + embedded_sources[i].text;
    return fmt::format("headers {:016x} {}\n", fnv1a(headers), headers.size());
  }();
  return digest;
}

/// Everything a compile depends on besides the program: NVRTC's version, the
/// options, and the embedded headers.
std::string key_of(const std::string& program, const std::vector<std::string>& options) {
  std::string key = fmt::format("nvrtc {}.{}\n", nvrtc().major, nvrtc().minor);
  for (const std::string& o : options) key += o + "\n";
  return key + headers_digest() + program;
}

constexpr const char* cache_magic = "scaleham kernel cache 2\n";

/// The cached image of `key` in `file`, or "" (absent, another key, damaged:
/// the file holds the whole key and a checksum of the image).
std::string read_cached(const fs::path& file, const std::string& key) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::string magic(std::char_traits<char>::length(cache_magic), '\0');
  std::uint64_t key_size = 0, image_size = 0, checksum = 0;
  in.read(magic.data(), std::streamsize(magic.size()));
  in.read(reinterpret_cast<char*>(&key_size), sizeof key_size);
  if (!in || magic != cache_magic || key_size != key.size()) return "";
  std::string stored(key_size, '\0');
  in.read(stored.data(), std::streamsize(key_size));
  in.read(reinterpret_cast<char*>(&image_size), sizeof image_size);
  in.read(reinterpret_cast<char*>(&checksum), sizeof checksum);
  if (!in || stored != key || image_size == 0 || image_size > (std::uint64_t(1) << 32)) return "";
  std::string image(image_size, '\0');
  in.read(image.data(), std::streamsize(image_size));
  if (!in || in.peek() != std::char_traits<char>::eof() || fnv1a(image) != checksum) return "";
  return image;
}

/// Stores the image under `file`, atomically (written aside, then renamed), so
/// that concurrent runs and a crash mid-write never leave a torn file.
/// Returns "" or why it could not.
std::string write_cached(const fs::path& file, const std::string& key, const std::string& image) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return fmt::format("cannot create {}: {}", file.parent_path().string(), ec.message());
  // Unique per writer, also among processes of one pid on several hosts
  // sharing the directory (containers): host name, pid and a clock reading.
  char host[256] = "host";
  ::gethostname(host, sizeof host - 1);
  const fs::path aside =
      file.string() + fmt::format(".{}.{}.{:x}.tmp", host, ::getpid(),
                                  std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream out(aside, std::ios::binary | std::ios::trunc);
    const std::uint64_t key_size = key.size(), image_size = image.size(), checksum = fnv1a(image);
    out.write(cache_magic, std::streamsize(std::char_traits<char>::length(cache_magic)));
    out.write(reinterpret_cast<const char*>(&key_size), sizeof key_size);
    out.write(key.data(), std::streamsize(key.size()));
    out.write(reinterpret_cast<const char*>(&image_size), sizeof image_size);
    out.write(reinterpret_cast<const char*>(&checksum), sizeof checksum);
    out.write(image.data(), std::streamsize(image.size()));
    if (!out.flush()) {
      fs::remove(aside, ec);
      return fmt::format("cannot write {}", aside.string());
    }
  }
  fs::rename(aside, file, ec);
  if (ec) {
    fs::remove(aside, ec);
    return fmt::format("cannot rename into {}: {}", file.string(), ec.message());
  }
  return "";
}

/// NVRTC's compile of `program` with `options`: the cubin, or compile_error with its log.
std::string compile(const std::string& program, const std::vector<std::string>& options) {
  const nvrtc_library& api = nvrtc();
  std::vector<const char*> header_texts, header_names;
  for (int i = 0; i < embedded_source_count; ++i) {
    header_names.push_back(embedded_sources[i].name);
    header_texts.push_back(embedded_sources[i].text);
  }
  nvrtcProgram handle = nullptr;
  nvrtcResult code = api.create(&handle, program.c_str(), "scaleham_formula_kernels.cu", int(header_texts.size()),
                                header_texts.data(), header_names.data());
  if (code != NVRTC_SUCCESS) throw compile_error(std::string("NVRTC: ") + api.error_string(code));
  struct destroy_at_exit {
    const nvrtc_library& api;
    nvrtcProgram& handle;
    ~destroy_at_exit() { api.destroy(&handle); }
  } destroy{api, handle};
  std::vector<const char*> argv;
  for (const std::string& o : options) argv.push_back(o.c_str());
  code = api.compile(handle, int(argv.size()), argv.data());
  if (code != NVRTC_SUCCESS) {
    std::size_t size = 0;
    api.log_size(handle, &size);
    std::string log(size, '\0');
    if (size > 0) api.log(handle, log.data());
    throw compile_error(fmt::format("NVRTC cannot compile the formula kernels ({}):\n{}", api.error_string(code),
                                    log));
  }
  std::size_t size = 0;
  api.cubin_size(handle, &size);
  std::string cubin(size, '\0');
  api.cubin(handle, cubin.data());
  return cubin;
}

}  // namespace

std::string formula_optimization() {
  const char* v = std::getenv("SCALEHAM_FORMULA_OPTIMIZATION");
  const std::string level = v != nullptr && *v != '\0' ? v : "full";
  if (level != "fast" && level != "full")
    throw compile_error("SCALEHAM_FORMULA_OPTIMIZATION must be 'full' or 'fast', not '" + level + "'");
  return level;
}

std::string runtime_compiler_unavailable() {
  try {
    nvrtc();
    return "";
  } catch (const compile_error& e) {
    return e.what();
  }
}

std::string kernel_cache_directory() {
  if (const char* dir = std::getenv("SCALEHAM_KERNEL_CACHE"); dir != nullptr && *dir != '\0') return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir != nullptr && *dir != '\0')
    return std::string(dir) + "/scaleham/kernels";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::string(home) + "/.cache/scaleham/kernels";
  return "";
}

template <class Real>
std::string sweep_kernels_program(const kernel_variant& variant) {
  // The kernels' parameters are laid out by the host compiler and read by
  // NVRTC's code: the sizes are checked where a mismatch would be silent.
  return fmt::format(
      R"(#include "sweep_kernels.cuh"

{models}
static_assert(sizeof(scaleham::sweep_spec<{real}>) == {spec_size} &&
              alignof(scaleham::sweep_spec<{real}>) == {spec_align},
              "the host and NVRTC lay sweep_spec out differently");
static_assert(sizeof(scaleham::point_result<{real}>) == {result_size},
              "the host and NVRTC lay point_result out differently");
static_assert(sizeof(scaleham::relaxation_result<{real}>) == {relaxation_size},
              "the host and NVRTC lay relaxation_result out differently");

extern "C" __global__ void __maxnreg__(255)
    {relaxations}(scaleham::sweep_spec<{real}> spec, std::uint64_t first, std::uint64_t count,
                  const std::uint64_t* keys, const std::uint32_t* n_keys,
                  scaleham::relaxation_result<{real}>* table, {real}* table_curves, {real}* scratch) {{
  scaleham::cuda::evaluate_relaxations_of<{per_point}>({models_name}{{}}, spec, first, count, keys, n_keys, table,
                                          table_curves, scratch);
}}

extern "C" __global__ void __maxnreg__(255)
    {batch}(scaleham::sweep_spec<{real}> spec, std::uint64_t first, std::uint64_t count,
            const std::uint64_t* keys, const std::uint32_t* n_keys,
            const scaleham::relaxation_result<{real}>* table, const {real}* table_curves,
            scaleham::point_result<{real}>* out, {real}* curves, {real}* scratch) {{
  scaleham::cuda::evaluate_batch_of<{per_point}>({models_name}{{}}, spec, first, count, keys, n_keys, table, table_curves,
                                    out, curves, scratch);
}}
)",
      fmt::arg("models", variant.models_source), fmt::arg("real", real_name<Real>()),
      fmt::arg("per_point", variant.per_point_settings ? "true" : "false"),
      fmt::arg("spec_size", sizeof(sweep_spec<Real>)), fmt::arg("spec_align", alignof(sweep_spec<Real>)),
      fmt::arg("result_size", sizeof(point_result<Real>)),
      fmt::arg("relaxation_size", sizeof(relaxation_result<Real>)),
      fmt::arg("relaxations", relaxations_kernel_name), fmt::arg("batch", batch_kernel_name),
      fmt::arg("models_name", runtime_models_name));
}

template <class Real>
kernel_image compile_sweep_kernels(const kernel_variant& variant, int compute_capability,
                                   const std::function<void()>& before_compile) {
  const std::string program = sweep_kernels_program<Real>(variant);
  std::vector<std::string> options = {"--std=c++17", fmt::format("--gpu-architecture=sm_{}", compute_capability),
                                      "-default-device"};
  // -Ofast-compile exists from NVRTC 12.8 on; an older one compiles fully.
  if (formula_optimization() == "fast" && nvrtc().major * 100 + nvrtc().minor >= 1208)
    options.push_back("--Ofast-compile=min");
  const std::string key = key_of(program, options);
  kernel_image image;
  const std::string directory = kernel_cache_directory();
  fs::path file;
  if (!directory.empty()) {
    file = fs::path(directory) /
           fmt::format("sm_{}-{}-{:016x}.cubin", compute_capability, real_name<Real>(), fnv1a(key));
    image.cubin = read_cached(file, key);
    if (!image.cubin.empty()) {
      image.from_cache = true;
      image.cache_file = file.string();
      return image;
    }
  } else {
    image.cache_note = "no cache directory (set SCALEHAM_KERNEL_CACHE or HOME)";
  }
  if (before_compile) before_compile();
  const auto started = std::chrono::steady_clock::now();
  image.cubin = compile(program, options);
  image.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!file.empty()) {
    image.cache_note = write_cached(file, key, image.cubin);
    if (image.cache_note.empty()) image.cache_file = file.string();
  }
  return image;
}

template std::string sweep_kernels_program<double>(const kernel_variant&);
template std::string sweep_kernels_program<float>(const kernel_variant&);
template kernel_image compile_sweep_kernels<double>(const kernel_variant&, int, const std::function<void()>&);
template kernel_image compile_sweep_kernels<float>(const kernel_variant&, int, const std::function<void()>&);

}  // namespace scaleham::cuda
