#include "formula_source.hpp"

#include <fmt/format.h>

#include <cmath>

namespace scaleham {

namespace {

/// A double as C++ source that reads back to the same value.
std::string literal(double value) {
  if (std::isnan(value)) return "scaleham::real_limits<Real>::quiet_nan()";
  if (std::isinf(value)) return value > 0 ? "scaleham::real_limits<Real>::infinity()" : "-scaleham::real_limits<Real>::infinity()";
  if (value == 0 && std::signbit(value)) return "-Real(0)";  // {:.17g} would print -0: +0 in C++
  return fmt::format("Real({:.17g})", value);
}

}  // namespace

std::string expression_source(const expression_program& p, const std::string& name) {
  std::string code = fmt::format(
      "template <class Real>\n__device__ __forceinline__ scaleham::value_slope<Real> {}(Real g, const Real* params) {{\n",
      name);
  const auto v = [](int i) { return fmt::format("v{}", i); };
  const auto d = [&](int i) { return p.varies[i] ? fmt::format("d{}", i) : std::string("Real(0)"); };
  for (int i = 0; i < p.steps; ++i) {
    const int a = p.a[i], b = p.b[i];
    std::string value, slope;
    switch (p.op[i]) {
      case expression_op::constant: value = literal(p.value[i]); break;
      case expression_op::variable: value = "g", slope = "Real(1)"; break;
      case expression_op::parameter: value = fmt::format("params[{}]", a); break;
      case expression_op::add: value = v(a) + " + " + v(b), slope = d(a) + " + " + d(b); break;
      case expression_op::subtract: value = v(a) + " - " + v(b), slope = d(a) + " - " + d(b); break;
      case expression_op::multiply:
        value = v(a) + " * " + v(b), slope = d(a) + " * " + v(b) + " + " + v(a) + " * " + d(b);
        break;
      case expression_op::divide:
        value = v(a) + " / " + v(b), slope = "(" + d(a) + " - " + v(i) + " * " + d(b) + ") / " + v(b);
        break;
      case expression_op::power:
        value = "pow(" + v(a) + ", " + v(b) + ")";
        slope = !p.varies[b] ? v(b) + " * pow(" + v(a) + ", " + v(b) + " - Real(1)) * " + d(a)
                             : v(i) + " * (" + d(b) + " * log(" + v(a) + ") + " + v(b) + " * " + d(a) + " / " + v(a) + ")";
        break;
      case expression_op::negate: value = "-" + v(a), slope = "-" + d(a); break;
      case expression_op::exp: value = "exp(" + v(a) + ")", slope = v(i) + " * " + d(a); break;
      case expression_op::log: value = "log(" + v(a) + ")", slope = d(a) + " / " + v(a); break;
      case expression_op::sqrt: value = "sqrt(" + v(a) + ")", slope = d(a) + " / (Real(2) * " + v(i) + ")"; break;
      case expression_op::sin: value = "sin(" + v(a) + ")", slope = "cos(" + v(a) + ") * " + d(a); break;
      case expression_op::cos: value = "cos(" + v(a) + ")", slope = "-sin(" + v(a) + ") * " + d(a); break;
      case expression_op::tanh: value = "tanh(" + v(a) + ")", slope = "(Real(1) - " + v(i) + " * " + v(i) + ") * " + d(a); break;
      case expression_op::abs:
        value = "fabs(" + v(a) + ")", slope = "(" + v(a) + " < Real(0) ? -" + d(a) + " : " + d(a) + ")";
        break;
      case expression_op::integer_power: {
        const int n = int(p.value[i]);
        value = fmt::format("scaleham::integer_power({}, {})", v(a), n);
        slope = n == 0 ? std::string("Real(0)")
                       : fmt::format("Real({}) * scaleham::integer_power({}, {}) * {}", n, v(a), n - 1, d(a));
        break;
      }
    }
    code += fmt::format("  const Real {} = {};\n", v(i), value);
    if (p.varies[i]) code += fmt::format("  const Real d{} = {};\n", i, slope);
  }
  code += fmt::format("  return {{{}, {}}};\n}}\n", v(p.steps - 1), d(p.steps - 1));
  return code;
}

std::string runtime_models_source(const model_formulas& formulas) {
  // The math functions the lines call (exp, pow, ...) are CUDA's, in the
  // global namespace under NVRTC; the pole probe is the interpreter's.
  return expression_source(formulas.beta, "formula_beta") + expression_source(formulas.F, "formula_F") +
         fmt::format(R"(
template <class Real>
struct formula_model {{
  using real_type = Real;
  const Real* params;  ///< the point's formula parameters (slots x0..)
  __device__ __forceinline__ scaleham::value_slope<Real> beta_at(Real g) const {{ return formula_beta(g, params); }}
  __device__ __forceinline__ scaleham::value_slope<Real> F_at(Real g) const {{ return formula_F(g, params); }}
  __device__ bool F_singular_at_zero() const {{ return scaleham::formula_pole_at_zero(*this); }}
}};

struct {} {{
  template <class Real>
  __device__ formula_model<Real> operator()(const Real* params) const {{ return {{params + scaleham::param_x0}}; }}
}};
)",
                     runtime_models_name);
}

std::string builtin_models_source() {
  return fmt::format("struct {} : scaleham::builtin_models {{}};\n", runtime_models_name);
}

}  // namespace scaleham
