// libFuzzer harness of the sweep-configuration parser: any input is TOML text
// given to parse_config_text, after its leading lines that start with "--set "
// (each the KEY=VALUE of a command-line override, applied to the rest). A
// config_error (syntax error, unknown key, bad
// value) is the expected answer to bad input; any other exception, a crash or
// a sanitizer report is a bug: the exception escapes and libFuzzer reports it
// as a deadly signal (std::terminate -> abort) with the input that caused it.
// An accepted configuration is then turned into the grid the backends see,
// as `scaleham run` does next.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "sweep.hpp"

namespace {

template <class Real>
void evaluate_grid_ends(const scaleham::sweep_config& config) {
  const scaleham::sweep_plan<Real> plan(config);
  const scaleham::sweep_spec<Real>& spec = plan.spec();
  Real parameters[scaleham::param_count];
  spec.grid.parameters(0, parameters);
  spec.grid.parameters(spec.grid.size() - 1, parameters);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  while (text.rfind("--set ", 0) == 0) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    overrides.emplace_back(text.substr(6, end - 6));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  try {
    const scaleham::sweep_config config = scaleham::parse_config_text(text, "fuzz.toml", overrides);
    (void)config.shape();
    (void)config.size();
    for (const scaleham::axis_config& axis : config.axes)
      if (axis.kind == scaleham::axis_kind::values || axis.count <= 4096) (void)axis.coordinates();
    evaluate_grid_ends<double>(config);
    evaluate_grid_ends<float>(config);
  } catch (const scaleham::config_error&) {
    // Rejected with a message: fine.
  }
  return 0;
}
