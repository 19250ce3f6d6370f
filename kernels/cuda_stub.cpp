// The CUDA backend when scaleham is built without it: host code still links,
// probe() explains, and any attempt to run on the GPU throws `unavailable`.
#include "cuda_backend.hpp"

namespace scaleham::cuda {

namespace {
constexpr const char* not_compiled =
    "scaleham was built without the CUDA backend (configure with SCALEHAM_ENABLE_CUDA=ON "
    "on a machine with nvcc)";
}

probe_result probe(int device) {
  probe_result r;
  r.device = device;
  r.reason = not_compiled;
  return r;
}

std::string compiled_architectures() { return ""; }

template <class Real>
std::uint64_t max_batch_points(const sweep_spec<Real>&, bool, int) {
  throw unavailable(not_compiled);
}
template std::uint64_t max_batch_points(const sweep_spec<double>&, bool, int);
template std::uint64_t max_batch_points(const sweep_spec<float>&, bool, int);

std::string runtime_compiler_unavailable() { return not_compiled; }

template <class Real>
runtime_kernels_report prepare_runtime_kernels(const sweep_spec<Real>&, int,
                                               const std::function<void(const std::string&)>&) {
  throw unavailable(not_compiled);
}
template runtime_kernels_report prepare_runtime_kernels(const sweep_spec<double>&, int,
                                                        const std::function<void(const std::string&)>&);
template runtime_kernels_report prepare_runtime_kernels(const sweep_spec<float>&, int,
                                                        const std::function<void(const std::string&)>&);

template <class Real>
struct sweep_runner<Real>::state {};

template <class Real>
sweep_runner<Real>::sweep_runner(const sweep_spec<Real>&, std::uint64_t, bool, int, int) {
  throw unavailable(not_compiled);
}
template <class Real>
sweep_runner<Real>::~sweep_runner() = default;
template <class Real>
sweep_runner<Real>::sweep_runner(sweep_runner&&) noexcept = default;
template <class Real>
sweep_runner<Real>& sweep_runner<Real>::operator=(sweep_runner&&) noexcept = default;
template <class Real>
void sweep_runner<Real>::start(int, std::uint64_t, std::uint64_t) {
  throw unavailable(not_compiled);
}
template <class Real>
const point_result<Real>* sweep_runner<Real>::finish(int) {
  throw unavailable(not_compiled);
}
template <class Real>
const Real* sweep_runner<Real>::curves(int) const {
  throw unavailable(not_compiled);
}

template class sweep_runner<double>;
template class sweep_runner<float>;

std::vector<model_fit<double>> fit_datasets(const weighted_table<double>&, relaxation_model, std::uint64_t,
                                            std::uint64_t, const model_options<double>&, int) {
  throw unavailable(not_compiled);
}

}  // namespace scaleham::cuda
