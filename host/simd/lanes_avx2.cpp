// The lane loops compiled for AVX2 (see flow_lanes.hpp; this file's
// compile flags are set in host/CMakeLists.txt).
#include "simd/lanes_impl.hpp"

namespace scaleham::lanes {

template <class Real>
void rk4_group_avx2(const group<Real>& g, const handover<Real>& ho) {
  rk4_group<Real, xsimd::avx2>(g, ho);
}

template <class Real>
void dopri5_group_avx2(group<Real>& g, const handover<Real>& ho) {
  dopri5_group<Real, xsimd::avx2>(g, ho);
}

template void rk4_group_avx2(const group<double>&, const handover<double>&);
template void rk4_group_avx2(const group<float>&, const handover<float>&);
template void dopri5_group_avx2(group<double>&, const handover<double>&);
template void dopri5_group_avx2(group<float>&, const handover<float>&);

}  // namespace scaleham::lanes
