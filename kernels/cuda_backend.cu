// The CUDA backend: one thread per grid point running the fused per-point
// function of the core (point.hpp), two slots of device and pinned memory so
// batch k+1 computes while the host writes batch k.
#include <algorithm>
#include <vector>

#include "cuda_backend.hpp"
#include "cuda_support.cuh"
#include "scaleham/point.hpp"
#include "sweep.hpp"

namespace scaleham::cuda {

namespace {

constexpr int threads_per_block = 128;

/// Evaluates grid points first .. first+count−1 into out[0 .. count).
/// The spec travels by value (kernel parameter space); grid points are
/// generated from their index, so nothing but the results touches memory.
template <class Real>
__global__ void __launch_bounds__(threads_per_block)
    evaluate_batch(sweep_spec<Real> spec, std::uint64_t first, std::uint64_t count,
                   point_result<Real>* out, Real* curves) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  const std::uint64_t n_T = std::uint64_t(spec.settings.relaxation.n_T);
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride)
    out[i] = spec.evaluate(first + i, curves ? curves + i * n_T : nullptr);
}

/// Fits jobs 0 .. count−1 of a dataset table (fit_job: datasets × replicas).
__global__ void __launch_bounds__(threads_per_block)
    fit_batch(dataset_table<double> table, std::uint64_t replicas, std::uint64_t seed,
              vft_options<double> options, std::uint64_t count, vft_fit<double>* out) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  for (std::uint64_t job = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; job < count;
       job += stride)
    out[job] = fit_job(table, replicas, seed, job, options);
}

template <class T>
device_buffer<T> to_device(const std::vector<T>& host) {
  device_buffer<T> buffer(host.size());
  if (!host.empty())
    SCALEHAM_CUDA_CALL(
        cudaMemcpy(buffer.data(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return buffer;
}

}  // namespace

std::vector<vft_fit<double>> fit_datasets(const std::vector<fit_dataset>& datasets,
                                          std::uint64_t replicas, std::uint64_t seed,
                                          const vft_options<double>& options) {
  const probe_result gpu = probe();
  if (!gpu.usable) throw unavailable(gpu.reason);
  const packed_datasets packed(datasets);
  const device_buffer<double> T = to_device(packed.T), y = to_device(packed.y);
  const device_buffer<std::uint64_t> offset = to_device(packed.offset);
  const std::uint64_t count = datasets.size() * (replicas + 1);
  device_buffer<vft_fit<double>> fits(count);
  const dataset_table<double> table{T.data(), y.data(), offset.data(), datasets.size()};
  const int blocks = static_cast<int>(std::min<std::uint64_t>(
      (count + threads_per_block - 1) / threads_per_block, std::uint64_t(1) << 16));
  if (count > 0)
    fit_batch<<<std::max(blocks, 1), threads_per_block>>>(table, replicas, seed, options, count,
                                                          fits.data());
  SCALEHAM_CUDA_CHECK_LAUNCH();
  std::vector<vft_fit<double>> host(count);
  if (count > 0)
    SCALEHAM_CUDA_CALL(cudaMemcpy(host.data(), fits.data(), count * sizeof(vft_fit<double>),
                                  cudaMemcpyDeviceToHost));
  return host;
}

probe_result probe() {
  probe_result r;
  const cudaError_t code = cudaGetDeviceCount(&r.device_count);
  if (code != cudaSuccess || r.device_count == 0) {
    r.device_count = 0;
    r.reason = code != cudaSuccess ? std::string("no usable CUDA device: ") + cudaGetErrorString(code)
                                   : std::string("no CUDA device found");
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return r;
  }
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) != cudaSuccess) {
    r.reason = "cannot read the properties of CUDA device 0";
    return r;
  }
  r.usable = true;
  r.device_name = properties.name;
  std::size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) == cudaSuccess) r.free_memory = free;
  return r;
}

template <class Real>
struct sweep_runner<Real>::state {
  std::vector<device_buffer<Real>> axis_values;  // explicit values of `values` axes
  sweep_spec<Real> spec;
  std::uint64_t capacity;
  int blocks;
  stream streams[2];
  device_buffer<point_result<Real>> device_results[2];
  pinned_buffer<point_result<Real>> host_results[2];
  std::uint64_t curve_values = 0;  // per point; 0 when curves are not written
  device_buffer<Real> device_curves[2];
  pinned_buffer<Real> host_curves[2];
};

template <class Real>
sweep_runner<Real>::sweep_runner(const sweep_config& config, std::uint64_t batch_capacity)
    : state_(std::make_unique<state>()) {
  state& s = *state_;
  // Explicit axis values live on the device; the spec points there.
  std::vector<const Real*> pointers;
  for (const std::vector<Real>& values : axis_values_as<Real>(config)) {
    device_buffer<Real> buffer(values.size());
    if (!values.empty())
      SCALEHAM_CUDA_CALL(cudaMemcpy(buffer.data(), values.data(), values.size() * sizeof(Real),
                                    cudaMemcpyHostToDevice));
    pointers.push_back(values.empty() ? nullptr : buffer.data());
    s.axis_values.push_back(std::move(buffer));
  }
  s.spec = make_sweep_spec<Real>(config, pointers);
  s.capacity = std::max<std::uint64_t>(batch_capacity, 1);
  int device = 0, multiprocessors = 0;
  SCALEHAM_CUDA_CALL(cudaGetDevice(&device));
  SCALEHAM_CUDA_CALL(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  // Enough blocks to fill the device several times over; the grid-stride loop does the rest.
  const std::uint64_t needed = (s.capacity + threads_per_block - 1) / threads_per_block;
  s.blocks = static_cast<int>(std::min<std::uint64_t>(needed, std::uint64_t(multiprocessors) * 32));
  if (config.output.curves && config.settings.relaxation.enabled)
    s.curve_values = std::uint64_t(config.settings.relaxation.n_T);
  for (int slot = 0; slot < 2; ++slot) {
    s.device_results[slot] = device_buffer<point_result<Real>>(s.capacity);
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
  if (count > s.capacity) throw unavailable("batch larger than the capacity of the CUDA runner");
  if (count == 0) return;
  const cudaStream_t stream = s.streams[slot].get();
  Real* device_curves = s.curve_values > 0 ? s.device_curves[slot].data() : nullptr;
  evaluate_batch<Real><<<s.blocks, threads_per_block, 0, stream>>>(
      s.spec, first, count, s.device_results[slot].data(), device_curves);
  SCALEHAM_CUDA_CHECK_LAUNCH();
  SCALEHAM_CUDA_CALL(cudaMemcpyAsync(s.host_results[slot].data(), s.device_results[slot].data(),
                                     count * sizeof(point_result<Real>), cudaMemcpyDeviceToHost,
                                     stream));
  if (device_curves != nullptr)
    SCALEHAM_CUDA_CALL(cudaMemcpyAsync(s.host_curves[slot].data(), device_curves,
                                       count * s.curve_values * sizeof(Real),
                                       cudaMemcpyDeviceToHost, stream));
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

template class sweep_runner<double>;
template class sweep_runner<float>;

}  // namespace scaleham::cuda
