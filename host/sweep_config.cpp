// Members of sweep_config (sweep_config.hpp). The coordinates come from the
// same axis_spec::coordinate the grid evaluates on the device, so a dimension
// scale in the output is exactly what the points were computed at.
#include "sweep_config.hpp"

namespace scaleham {

std::vector<double> axis_config::coordinates() const {
  const std::int64_t n =
      kind == axis_kind::values ? static_cast<std::int64_t>(values.size()) : count;
  const axis_spec<double> spec{slot, kind, n, lo, hi, values.data()};
  std::vector<double> out;
  out.reserve(n > 0 ? static_cast<std::size_t>(n) : 0);
  for (std::int64_t i = 0; i < n; ++i) out.push_back(spec.coordinate(i));
  return out;
}

std::vector<std::uint64_t> sweep_config::shape() const {
  if (random) return {random_points};
  std::vector<std::uint64_t> dims;
  for (const axis_config& a : axes)
    dims.push_back(a.kind == axis_kind::values ? a.values.size()
                                               : static_cast<std::uint64_t>(a.count));
  return dims;
}

std::uint64_t sweep_config::size() const {
  // parse_config has checked that the product fits in 64 bits.
  std::uint64_t n = 1;
  for (std::uint64_t d : shape()) n *= d;
  return n;
}

}  // namespace scaleham
