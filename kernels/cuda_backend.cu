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
                   point_result<Real>* out) {
  const std::uint64_t stride = std::uint64_t(gridDim.x) * blockDim.x;
  for (std::uint64_t i = std::uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride)
    out[i] = spec.evaluate(first + i);
}

}  // namespace

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
  for (int slot = 0; slot < 2; ++slot) {
    s.device_results[slot] = device_buffer<point_result<Real>>(s.capacity);
    s.host_results[slot] = pinned_buffer<point_result<Real>>(s.capacity);
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
  evaluate_batch<Real><<<s.blocks, threads_per_block, 0, stream>>>(s.spec, first, count,
                                                                   s.device_results[slot].data());
  SCALEHAM_CUDA_CHECK_LAUNCH();
  SCALEHAM_CUDA_CALL(cudaMemcpyAsync(s.host_results[slot].data(), s.device_results[slot].data(),
                                     count * sizeof(point_result<Real>), cudaMemcpyDeviceToHost,
                                     stream));
}

template <class Real>
const point_result<Real>* sweep_runner<Real>::finish(int slot) {
  SCALEHAM_CUDA_CALL(cudaStreamSynchronize(state_->streams[slot].get()));
  return state_->host_results[slot].data();
}

template class sweep_runner<double>;
template class sweep_runner<float>;

}  // namespace scaleham::cuda
