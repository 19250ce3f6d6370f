// Members of sweep_config (sweep_config.hpp). The coordinates come from the
// same axis_spec::position the grid evaluates on every backend (grid.hpp), so
// a dimension scale in the output is bitwise what the points were computed at.
#include "sweep_config.hpp"

namespace scaleham {

std::vector<double> axis_config::coordinates() const {
  if (kind == axis_kind::values) return values;
  const axis_spec<double> spec{slot, kind, count, lo, hi, kind == axis_kind::logspace ? log_ratio_of(lo, hi) : 0.0,
                               nullptr};
  std::vector<double> out;
  out.reserve(count > 0 ? static_cast<std::size_t>(count) : 0);
  for (std::int64_t i = 0; i < count; ++i) out.push_back(spec.position(i));
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

std::string sweep_config::parameter_name(int slot) const {
  for (std::size_t i = 0; i < formulas.slots.size(); ++i)
    if (formulas.slots[i] == slot) return formulas.parameters[i];
  return param_name(slot);
}

std::uint64_t sweep_config::size() const {
  // parse_config has checked that the product fits in 64 bits.
  std::uint64_t n = 1;
  for (std::uint64_t d : shape()) n *= d;
  return n;
}

}  // namespace scaleham
