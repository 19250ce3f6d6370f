// The CUDA backend: one thread per grid point running the fused per-point
// function of the core (point.hpp), two slots of device and pinned memory so
// batch k+1 computes while the host writes batch k.
#include <algorithm>
#include <climits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_select.cuh>

#include "cuda_backend.hpp"
#include "cuda_support.cuh"
#include "formula_source.hpp"
#include "runtime_compiler.hpp"
#include "sweep_kernels.cuh"

#ifndef SCALEHAM_CUDA_ARCHITECTURES
#define SCALEHAM_CUDA_ARCHITECTURES "unknown"
#endif

namespace scaleham::cuda {

namespace {

/// Values of one thread's quadrature overflow list (quadrature_options::scratch).
constexpr std::uint64_t scratch_values_per_thread = 5 * std::uint64_t(quadrature_capacity);

/// Projections (grid_spec::projection onto relaxation_slots) of points
/// first .. first+count−1: the keys the batch's distinct relaxations are found by.
template <class Real>
__global__ void __launch_bounds__(threads_per_block)
    projection_keys(grid_spec<Real> grid, std::uint64_t first, std::uint64_t count, std::uint64_t* keys) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += stride)
    keys[i] = grid.projection(first + i, relaxation_slots);
}

/// The relaxation table of a batch of the built-in models (sweep_kernels.cuh).
/// __maxnreg__(255) instead of __launch_bounds__(128): ptxas then gives it 128
/// (double) / 86 (float) registers and no spills, where with the launch bound
/// it chose 96 / 64 and spilled 674/2112 B / 8/16 B (sm_90, nvcc 13.0). Its
/// speed on a GPU is still to be measured against the alternatives. The
/// kernels of formula models (runtime_compiler.hpp) are declared alike.
template <class Real>
__global__ void __maxnreg__(255)
    evaluate_relaxations(sweep_spec<Real> spec, std::uint64_t first, std::uint64_t count,
                         const std::uint64_t* keys, const std::uint32_t* n_keys, relaxation_result<Real>* table,
                         Real* table_curves, Real* scratch) {
  evaluate_relaxations_of<false>(builtin_models{}, spec, first, count, keys, n_keys, table, table_curves, scratch);
}

/// A batch's points of the built-in models (sweep_kernels.cuh). The spec
/// travels by value (kernel parameter space). __maxnreg__(255) as for
/// evaluate_relaxations: ptxas then gives it 144 (double) / 96 (float)
/// registers and no spills, where __launch_bounds__(128) capped it at 128 / 64
/// and spilled 48/84 B / 120/756 B (sm_90, nvcc 13.0). Its speed against the
/// capped variant is still to be measured on a GPU.
template <class Real>
__global__ void __maxnreg__(255)
    evaluate_batch(sweep_spec<Real> spec, std::uint64_t first, std::uint64_t count, const std::uint64_t* keys,
                   const std::uint32_t* n_keys, const relaxation_result<Real>* table, const Real* table_curves,
                   point_result<Real>* out, Real* curves, Real* scratch) {
  evaluate_batch_of<false>(builtin_models{}, spec, first, count, keys, n_keys, table, table_curves, out, curves,
                    scratch);
}

/// The two kernels a sweep runs: those of the built-in models, or those
/// compiled at run time for formula models (same parameters).
struct sweep_kernels {
  const void* relaxations;
  const void* batch;
};

template <class Real>
sweep_kernels builtin_kernels() {
  return {reinterpret_cast<const void*>(&evaluate_relaxations<Real>),
          reinterpret_cast<const void*>(&evaluate_batch<Real>)};
}

/// Kernels compiled at run time and loaded in this process, by precision,
/// architecture and variant: a library loads into every context, present
/// and future, so one load serves every device of that architecture.
struct loaded_runtime_kernels {
  sweep_kernels kernels;
  cudaLibrary_t library;  ///< kept loaded until the process ends
};
std::mutex loaded_mutex;
std::map<std::tuple<int, int, std::string, bool, std::string>, loaded_runtime_kernels> loaded;

/// Fits jobs 0 .. count−1 of one law over a dataset table (model_fit_job:
/// datasets × replicas). Up to 255 registers, as evaluate_batch: the four
/// laws' LM (a 3×3 QR copied per damped trial) spilled 712 B at the 128
/// that __launch_bounds__ alone gave it (ptxas sm_90).
__global__ void __maxnreg__(255)
    fit_batch(weighted_table<double> table, relaxation_model model, std::uint64_t replicas, std::uint64_t seed,
              model_options<double> options, std::uint64_t count, model_fit<double>* out) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  for (std::uint64_t job = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; job < count;
       job += stride)
    out[job] = model_fit_job(table, model, replicas, seed, job, options);
}

/// Makes `device` current for this host thread; returns it.
int select_device(int device) {
  SCALEHAM_CUDA_CALL(cudaSetDevice(device));
  return device;
}

int device_attribute(cudaDeviceAttr attribute, int device) {
  int value = 0;
  SCALEHAM_CUDA_CALL(cudaDeviceGetAttribute(&value, attribute, device));
  return value;
}

/// Blocks for `count` items: one thread each, up to a cap (max_blocks, or
/// 2^20 blocks); the grid-stride loops of the kernels take the rest.
int blocks_for(std::uint64_t count, int max_blocks) {
  const std::uint64_t needed = std::max<std::uint64_t>(1, (count + threads_per_block - 1) / threads_per_block);
  const std::uint64_t cap = max_blocks > 0 ? std::uint64_t(max_blocks) : std::uint64_t(1) << 20;
  return static_cast<int>(std::min(needed, cap));
}

/// Bytes of local memory (stack) the runtime reserves to launch `kernel`:
/// its per-thread frame for every thread the device can keep resident.
std::uint64_t local_memory_reservation(const void* kernel, int device) {
  cudaFuncAttributes attributes{};
  SCALEHAM_CUDA_CALL(cudaFuncGetAttributes(&attributes, kernel));
  return std::uint64_t(attributes.localSizeBytes) *
         std::uint64_t(device_attribute(cudaDevAttrMaxThreadsPerMultiProcessor, device)) *
         std::uint64_t(device_attribute(cudaDevAttrMultiProcessorCount, device));
}

/// Bytes of results (and curves) per point of a batch, with the batch's
/// relaxation table (a row and a curve per point at most) and, when points
/// share relaxations, their keys (three arrays) and the sort's temporary storage.
template <class Real>
std::uint64_t bytes_per_point(const sweep_spec<Real>& spec, bool write_curves) {
  const bool relaxation = spec.settings.relaxation.enabled;
  const std::uint64_t n_T = std::uint64_t(spec.settings.relaxation.n_T);
  const std::uint64_t curve_values = write_curves && relaxation ? n_T : 0;
  std::uint64_t bytes = sizeof(point_result<Real>) + curve_values * sizeof(Real);
  if (relaxation) bytes += sizeof(relaxation_result<Real>) + n_T * sizeof(Real);
  if (shares_relaxation(spec)) bytes += 3 * sizeof(std::uint64_t) + 2 * sizeof(std::uint64_t);
  return bytes;
}

/// Blocks of threads_per_block that `device` keeps resident running the
/// batch kernel (at least 1): the most a batch is launched with, since
/// the grid-stride loops take the rest and each launched thread has its slice
/// of the quadrature scratch.
int resident_blocks(const sweep_kernels& kernels, int device) {
  int per_sm = 0;
  SCALEHAM_CUDA_CALL(
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernels.batch, threads_per_block, 0));
  return std::max(1, per_sm) * device_attribute(cudaDevAttrMultiProcessorCount, device);
}

/// Bytes of quadrature scratch of one slot launched with `blocks` blocks.
template <class Real>
std::uint64_t scratch_bytes(int blocks) {
  return std::uint64_t(blocks) * threads_per_block * scratch_values_per_thread * sizeof(Real);
}

/// The largest local-memory reservation of the sweep kernels.
std::uint64_t sweep_local_memory_reservation(const sweep_kernels& kernels, int device) {
  return std::max(local_memory_reservation(kernels.batch, device),
                  local_memory_reservation(kernels.relaxations, device));
}

/// The kernels compiled at run time for `spec` on `device`'s architecture:
/// loaded before in this process, or compiled (or read from the cache) and
/// loaded now, with `report` filled in (before_compile called just before a
/// compile).
template <class Real>
sweep_kernels load_runtime_kernels(const sweep_spec<Real>& spec, int device,
                                   const std::function<void(const std::string&)>& before_compile,
                                   runtime_kernels_report& report) {
  select_device(device);
  const int architecture = device_attribute(cudaDevAttrComputeCapabilityMajor, device) * 10 +
                           device_attribute(cudaDevAttrComputeCapabilityMinor, device);
  report.architecture = "sm_" + std::to_string(architecture);
  const kernel_variant variant = variant_of(spec);
  // One compile at a time: devices of one architecture wait for the first.
  const std::lock_guard<std::mutex> lock(loaded_mutex);
  const auto key = std::make_tuple(int(sizeof(Real)), architecture, variant.models_source,
                                   variant.per_point_settings, formula_optimization());
  if (const auto found = loaded.find(key); found != loaded.end()) return found->second.kernels;
  const std::string what = spec.formulas == nullptr ? "per-point settings"
                           : variant.per_point_settings ? "the formula models with per-point settings"
                                                        : "the formula models";
  const kernel_image image = compile_sweep_kernels<Real>(variant, architecture, [&] {
    if (before_compile)
      before_compile("compiling the GPU kernels for " + what + " (" + report.architecture + ", " +
                     (sizeof(Real) == sizeof(double) ? "double" : "float") + ", " + formula_optimization() +
                     " optimisation) with NVRTC, once: later runs read them from the cache" +
                     (formula_optimization() == "full"
                          ? " (this takes a minute or two; SCALEHAM_FORMULA_OPTIMIZATION=fast takes seconds)"
                          : ""));
  });
  report.compiled = !image.from_cache;
  report.compile_seconds = image.compile_seconds;
  report.cache_file = image.cache_file;
  report.cache_note = image.cache_note;
  loaded_runtime_kernels entry{};
  SCALEHAM_CUDA_CALL(cudaLibraryLoadData(&entry.library, image.cubin.data(), nullptr, nullptr, 0, nullptr,
                                         nullptr, 0));
  cudaKernel_t relaxations = nullptr, batch = nullptr;
  try {
    SCALEHAM_CUDA_CALL(cudaLibraryGetKernel(&relaxations, entry.library, relaxations_kernel_name));
    SCALEHAM_CUDA_CALL(cudaLibraryGetKernel(&batch, entry.library, batch_kernel_name));
  } catch (...) {
    cudaLibraryUnload(entry.library);
    throw;
  }
  // The runtime's kernel calls take a cudaKernel_t as the function pointer.
  entry.kernels = {reinterpret_cast<const void*>(relaxations), reinterpret_cast<const void*>(batch)};
  loaded.emplace(key, entry);
  return entry.kernels;
}

/// The kernels `spec` runs on `device`.
template <class Real>
sweep_kernels kernels_for(const sweep_spec<Real>& spec, int device) {
  if (!needs_runtime_kernels(spec)) return builtin_kernels<Real>();
  runtime_kernels_report report;
  return load_runtime_kernels(spec, device, {}, report);
}

/// Per slot, beside its results: the batch's relaxation table, the keys that
/// find a point's row in it, the sort's temporary storage and the quadrature
/// scratch. Allocated on a slot's first start.
template <class Real>
struct relaxation_buffers {
  device_buffer<relaxation_result<Real>> table;
  device_buffer<Real> table_curves;
  device_buffer<std::uint64_t> keys, sorted_keys, distinct_keys;
  device_buffer<std::uint32_t> n_distinct;
  device_buffer<unsigned char> sort_storage;
  std::size_t sort_storage_bytes = 0;
  device_buffer<Real> scratch;
  bool allocated = false;
};

}  // namespace

std::string compiled_architectures() { return SCALEHAM_CUDA_ARCHITECTURES; }

probe_result probe(int device) {
  probe_result r;
  r.device = device;
  cudaError_t code = cudaGetDeviceCount(&r.device_count);
  if (code != cudaSuccess || r.device_count == 0) {
    r.device_count = 0;
    r.reason = code != cudaSuccess ? std::string("no usable CUDA device: ") + cudaGetErrorString(code)
                                   : std::string("no CUDA device found");
    cudaGetLastError();  // clear the error so later calls start clean
    return r;
  }
  if (device < 0 || device >= r.device_count) {
    r.reason = "CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(r.device_count) +
               " visible: 0.." + std::to_string(r.device_count - 1) + ")";
    return r;
  }
  cudaDeviceProp properties{};
  if ((code = cudaGetDeviceProperties(&properties, device)) != cudaSuccess ||
      (code = cudaSetDevice(device)) != cudaSuccess) {
    r.reason = "cannot use CUDA device " + std::to_string(device) + ": " + cudaGetErrorString(code);
    cudaGetLastError();
    return r;
  }
  r.device_name = properties.name;
  r.compute_capability = properties.major * 10 + properties.minor;
  // Loading the kernels fails (cudaErrorNoKernelImageForDevice) when the binary
  // holds neither machine code for this architecture nor PTX the driver can
  // compile for it: then the GPU is unusable, and auto falls back cleanly.
  const void* kernels[] = {reinterpret_cast<const void*>(&evaluate_batch<double>),
                           reinterpret_cast<const void*>(&evaluate_batch<float>),
                           reinterpret_cast<const void*>(&evaluate_relaxations<double>),
                           reinterpret_cast<const void*>(&evaluate_relaxations<float>),
                           reinterpret_cast<const void*>(&projection_keys<double>),
                           reinterpret_cast<const void*>(&projection_keys<float>),
                           reinterpret_cast<const void*>(&fit_batch)};
  for (const void* kernel : kernels) {
    cudaFuncAttributes attributes{};
    if ((code = cudaFuncGetAttributes(&attributes, kernel)) != cudaSuccess) {
      r.reason = std::string("CUDA device ") + std::to_string(device) + " (" + r.device_name + ", sm_" +
                 std::to_string(r.compute_capability) + ") cannot load scaleham's kernels (" +
                 cudaGetErrorString(code) + "); this build has code for CUDA architectures " +
                 compiled_architectures() + ": rebuild with -DCMAKE_CUDA_ARCHITECTURES=" +
                 std::to_string(r.compute_capability);
      cudaGetLastError();
      return r;
    }
  }
  std::size_t free = 0, total = 0;
  if ((code = cudaMemGetInfo(&free, &total)) != cudaSuccess) {
    r.reason = std::string("cannot read the memory of CUDA device ") + std::to_string(device) + ": " +
               cudaGetErrorString(code);
    cudaGetLastError();
    return r;
  }
  r.free_memory = free;
  r.usable = true;
  return r;
}

template <class Real>
std::uint64_t max_batch_points(const sweep_spec<Real>& spec, bool write_curves, int device) {
  select_device(device);
  const sweep_kernels kernels = kernels_for(spec, device);
  std::size_t free = 0, total = 0;
  SCALEHAM_CUDA_CALL(cudaMemGetInfo(&free, &total));
  const std::uint64_t reserved =
      sweep_local_memory_reservation(kernels, device) + 2 * scratch_bytes<Real>(resident_blocks(kernels, device));
  const std::uint64_t usable = free > reserved ? free - reserved : 0;
  return std::max<std::uint64_t>(1, usable * 2 / 5 / (2 * bytes_per_point(spec, write_curves)));
}

template <class Real>
struct sweep_runner<Real>::state {
  int device;  // first member: made current before any stream or buffer exists
  stream streams[2];
  device_buffer<Real> axis_values[max_axes];  // explicit values of `values` axes
  sweep_spec<Real> spec{};
  sweep_kernels kernels{};  // built-in, or compiled for the formulas
  std::uint64_t capacity = 0;
  int blocks = 1;
  std::uint64_t curve_values = 0;  // per point; 0 when curves are not written
  device_buffer<point_result<Real>> device_results[2];
  pinned_buffer<point_result<Real>> host_results[2];
  device_buffer<Real> device_curves[2];
  pinned_buffer<Real> host_curves[2];
  bool shared = false;  // points share relaxations (shares_relaxation)
  std::vector<relaxation_buffers<Real>> relaxations;  // per slot, grown on a slot's first start

  explicit state(int device_index) : device(select_device(device_index)) {}
  /// Slot `slot`'s relaxation buffers, allocated on its first use.
  relaxation_buffers<Real>& relaxations_of(int slot) {
    state& s = *this;
    if (s.relaxations.size() <= std::size_t(slot)) s.relaxations.resize(std::size_t(slot) + 1);
    relaxation_buffers<Real>& b = s.relaxations[std::size_t(slot)];
    if (b.allocated) return b;
    const std::uint64_t n_T = std::uint64_t(s.spec.settings.relaxation.n_T);
    if (s.spec.settings.relaxation.enabled) {
      b.table = device_buffer<relaxation_result<Real>>(s.capacity);
      b.table_curves = device_buffer<Real>(s.capacity * n_T);
    }
    if (s.spec.settings.relaxation.enabled && s.shared) {
      b.keys = device_buffer<std::uint64_t>(s.capacity);
      b.sorted_keys = device_buffer<std::uint64_t>(s.capacity);
      b.distinct_keys = device_buffer<std::uint64_t>(s.capacity);
      b.n_distinct = device_buffer<std::uint32_t>(1);
      std::size_t sort_bytes = 0, unique_bytes = 0;
      SCALEHAM_CUDA_CALL(cub::DeviceRadixSort::SortKeys(nullptr, sort_bytes, b.keys.data(), b.sorted_keys.data(),
                                                        int(s.capacity), 0, 64));
      SCALEHAM_CUDA_CALL(cub::DeviceSelect::Unique(nullptr, unique_bytes, b.sorted_keys.data(),
                                                   b.distinct_keys.data(), b.n_distinct.data(), int(s.capacity)));
      b.sort_storage_bytes = std::max(sort_bytes, unique_bytes);
      b.sort_storage = device_buffer<unsigned char>(b.sort_storage_bytes);
    }
    b.scratch = device_buffer<Real>(std::uint64_t(s.blocks) * threads_per_block * scratch_values_per_thread);
    b.allocated = true;
    return b;
  }

  state(const state&) = delete;
  state& operator=(const state&) = delete;
  /// A copy may still be in flight (an exception between start and finish):
  /// wait before the buffers it writes into are freed.
  ~state() {
    cudaSetDevice(device);
    for (const stream& s : streams) s.drain();
  }
};

template <class Real>
sweep_runner<Real>::sweep_runner(const sweep_spec<Real>& spec, std::uint64_t batch_capacity, bool write_curves,
                                 int device, int max_blocks)
    : state_(std::make_unique<state>(device)) {
  state& s = *state_;
  s.spec = spec;
  // Explicit axis values move to the device; the kernel's copy of the spec points there.
  for (int a = 0; a < spec.grid.n_axes; ++a) {
    const axis_spec<Real>& axis = spec.grid.axes[a];
    if (axis.kind != axis_kind::values) continue;
    s.axis_values[a] = upload(axis.values, static_cast<std::size_t>(axis.count), s.streams[0]);
    s.spec.grid.axes[a].values = s.axis_values[a].data();
  }
  s.capacity = std::max<std::uint64_t>(batch_capacity, 1);
  if (s.capacity > std::uint64_t(INT_MAX)) throw std::logic_error("CUDA batch capacity beyond 2^31 − 1 points");
  // No more blocks than stay resident: each launched thread owns a slice of
  // the quadrature scratch.
  s.kernels = kernels_for(spec, s.device);
  s.blocks = std::min(blocks_for(s.capacity, max_blocks), resident_blocks(s.kernels, s.device));
  s.shared = shares_relaxation(spec);
  if (write_curves && spec.settings.relaxation.enabled)
    s.curve_values = std::uint64_t(spec.settings.relaxation.n_T);
  for (int slot = 0; slot < 2; ++slot) {
    s.device_results[slot] = zeroed_device_buffer<point_result<Real>>(s.capacity, s.streams[slot]);
    s.host_results[slot] = pinned_buffer<point_result<Real>>(s.capacity);
    s.device_curves[slot] = device_buffer<Real>(s.capacity * s.curve_values);
    s.host_curves[slot] = pinned_buffer<Real>(s.capacity * s.curve_values);
  }
}

template <class Real>
sweep_runner<Real>::~sweep_runner() = default;
template <class Real>
sweep_runner<Real>::sweep_runner(sweep_runner&&) noexcept = default;
template <class Real>
sweep_runner<Real>& sweep_runner<Real>::operator=(sweep_runner&&) noexcept = default;

template <class Real>
void sweep_runner<Real>::start(int slot, std::uint64_t first, std::uint64_t count) {
  state& s = *state_;
  if (count > s.capacity) throw std::logic_error("batch larger than the capacity of the CUDA runner");
  if (count == 0) return;
  SCALEHAM_CUDA_CALL(cudaSetDevice(s.device));
  const cudaStream_t stream = s.streams[slot].get();
  Real* device_curves = s.curve_values > 0 ? s.device_curves[slot].data() : nullptr;
  const int blocks = std::min<int>(s.blocks, blocks_for(count, s.blocks));
  relaxation_buffers<Real>& b = s.relaxations_of(slot);
  const bool relaxation = s.spec.settings.relaxation.enabled;
  const std::uint64_t* keys = nullptr;
  const std::uint32_t* n_keys = nullptr;
  if (relaxation && s.shared) {  // the batch's distinct projections, sorted
    projection_keys<Real><<<blocks, threads_per_block, 0, stream>>>(s.spec.grid, first, count, b.keys.data());
    SCALEHAM_CUDA_CHECK_LAUNCH();
    std::size_t bytes = b.sort_storage_bytes;
    SCALEHAM_CUDA_CALL(cub::DeviceRadixSort::SortKeys(b.sort_storage.data(), bytes, b.keys.data(),
                                                      b.sorted_keys.data(), int(count), 0, 64, stream));
    bytes = b.sort_storage_bytes;
    SCALEHAM_CUDA_CALL(cub::DeviceSelect::Unique(b.sort_storage.data(), bytes, b.sorted_keys.data(),
                                                 b.distinct_keys.data(), b.n_distinct.data(), int(count), stream));
    keys = b.distinct_keys.data();
    n_keys = b.n_distinct.data();
  }
  // The argument lists match the kernels' parameters type for type
  // (evaluate_relaxations, evaluate_batch; their compiled counterparts alike).
  std::uint64_t first_point = first, points = count;
  Real* scratch = b.scratch.data();
  if (relaxation) {
    relaxation_result<Real>* table = b.table.data();
    Real* table_curves = b.table_curves.data();
    void* arguments[] = {&s.spec, &first_point, &points, &keys, &n_keys, &table, &table_curves, &scratch};
    SCALEHAM_CUDA_CALL(
        cudaLaunchKernel(s.kernels.relaxations, dim3(blocks), dim3(threads_per_block), arguments, 0, stream));
    SCALEHAM_CUDA_CHECK_LAUNCH();
  }
  const relaxation_result<Real>* table = relaxation ? b.table.data() : nullptr;
  const Real* table_curves = b.table_curves.data();
  point_result<Real>* out = s.device_results[slot].data();
  void* arguments[] = {&s.spec, &first_point, &points, &keys, &n_keys, &table, &table_curves,
                       &out, &device_curves, &scratch};
  SCALEHAM_CUDA_CALL(cudaLaunchKernel(s.kernels.batch, dim3(blocks), dim3(threads_per_block), arguments, 0, stream));
  SCALEHAM_CUDA_CHECK_LAUNCH();
  SCALEHAM_CUDA_CALL(cudaMemcpyAsync(s.host_results[slot].data(), s.device_results[slot].data(),
                                     count * sizeof(point_result<Real>), cudaMemcpyDeviceToHost, stream));
  if (device_curves != nullptr)
    SCALEHAM_CUDA_CALL(cudaMemcpyAsync(s.host_curves[slot].data(), device_curves,
                                       count * s.curve_values * sizeof(Real), cudaMemcpyDeviceToHost, stream));
}

template <class Real>
const Real* sweep_runner<Real>::curves(int slot) const {
  return state_->curve_values > 0 ? state_->host_curves[slot].data() : nullptr;
}

template <class Real>
const point_result<Real>* sweep_runner<Real>::finish(int slot) {
  SCALEHAM_CUDA_CALL(cudaStreamSynchronize(state_->streams[slot].get()));
  return state_->host_results[slot].data();
}

template <class Real>
runtime_kernels_report prepare_runtime_kernels(const sweep_spec<Real>& spec, int device,
                                               const std::function<void(const std::string&)>& before_compile) {
  if (!needs_runtime_kernels(spec))
    throw std::invalid_argument("prepare_runtime_kernels: the sweep runs the kernels built with the program");
  runtime_kernels_report report;
  load_runtime_kernels(spec, device, before_compile, report);
  return report;
}

template class sweep_runner<double>;
template class sweep_runner<float>;
template runtime_kernels_report prepare_runtime_kernels(const sweep_spec<double>&, int,
                                                        const std::function<void(const std::string&)>&);
template runtime_kernels_report prepare_runtime_kernels(const sweep_spec<float>&, int,
                                                        const std::function<void(const std::string&)>&);
template std::uint64_t max_batch_points(const sweep_spec<double>&, bool, int);
template std::uint64_t max_batch_points(const sweep_spec<float>&, bool, int);

std::vector<model_fit<double>> fit_datasets(const weighted_table<double>& host_table, relaxation_model model,
                                            std::uint64_t replicas, std::uint64_t seed,
                                            const model_options<double>& options, int device) {
  select_device(device);
  const std::uint64_t count = host_table.n_datasets * (replicas + 1);
  std::vector<model_fit<double>> host(count);
  if (count == 0) return host;
  const stream on;
  try {
    const std::uint64_t rows = host_table.offset[host_table.n_datasets];
    const device_buffer<double> T = upload(host_table.T, rows, on), y = upload(host_table.y, rows, on);
    const device_buffer<double> w = host_table.w ? upload(host_table.w, rows, on) : device_buffer<double>();
    const device_buffer<std::uint64_t> offset = upload(host_table.offset, host_table.n_datasets + 1, on);
    const device_buffer<model_fit<double>> fits = zeroed_device_buffer<model_fit<double>>(count, on);
    const weighted_table<double> table{T.data(), y.data(), host_table.w ? w.data() : nullptr, offset.data(),
                                       host_table.n_datasets};
    fit_batch<<<blocks_for(count, 0), threads_per_block, 0, on.get()>>>(table, model, replicas, seed, options,
                                                                          count, fits.data());
    SCALEHAM_CUDA_CHECK_LAUNCH();
    SCALEHAM_CUDA_CALL(cudaMemcpyAsync(host.data(), fits.data(), count * sizeof(model_fit<double>),
                                       cudaMemcpyDeviceToHost, on.get()));
    SCALEHAM_CUDA_CALL(cudaStreamSynchronize(on.get()));
  } catch (...) {
    on.drain();  // nothing may still write into `host` or read freed buffers
    throw;
  }
  return host;
}

}  // namespace scaleham::cuda
