/// \file expression.hpp
/// A user's formula in g and named parameters (β or F of the model), compiled
/// to a flat program and evaluated with its exact derivative in g by
/// forward-mode automatic differentiation: every step carries (value, d/dg)
/// and applies the chain rule, so derivatives are exact, never finite
/// differences.
///
/// The program is trivially copyable with a fixed capacity, so it can travel
/// to the GPU in a kernel argument like the polynomial models. Steps are in
/// evaluation order (each refers only to earlier steps); the last is the
/// result. Domain errors follow IEEE arithmetic (log of a negative number is
/// NaN, 0^-1 is Inf) and end as a status of the point that met them, never as
/// a crash. The parser (host/expression_parser.hpp) builds programs; this
/// header only runs them.
#pragma once

#include <cmath>

#include "scaleham/config.hpp"
#include "scaleham/model.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/parameters.hpp"

namespace scaleham {

/// What one step of an expression program computes.
enum class expression_op : unsigned char {
  constant,   ///< a number (the step's `value`)
  variable,   ///< g
  parameter,  ///< params[a]: a named parameter of the model (per point, d/dg = 0)
  add, subtract, multiply, divide,  ///< steps a and b
  power,      ///< step a raised to step b
  negate, exp, log, sqrt, sin, cos, tanh, abs,  ///< of step a
  integer_power  ///< step a to the integer power `value` (|n| <= 16), by multiplications (integer_power())
};

/// x^n for an integer n by binary powering (x^-n = 1/x^n): far cheaper than
/// pow; x^2 is exact (one multiplication), higher powers round a few times,
/// as repeated multiplication does.
template <class Real>
SCALEHAM_HD inline Real integer_power(Real x, int n) {
  unsigned k = n < 0 ? unsigned(-n) : unsigned(n);
  Real result = Real(1);
  while (k != 0) {
    if (k & 1u) result *= x;
    x *= x;
    k >>= 1;
  }
  return n < 0 ? Real(1) / result : result;
}

/// Most steps in one program (a formula of a few dozen operations fits easily).
inline constexpr int max_expression_steps = 96;

struct expression_program {
  expression_op op[max_expression_steps] = {};
  unsigned char a[max_expression_steps] = {};  ///< first operand (a step, or a parameter index)
  unsigned char b[max_expression_steps] = {};  ///< second operand (a step)
  double value[max_expression_steps] = {};     ///< the number of a constant step
  /// Whether the step depends on g (else its derivative is 0 and needs no work).
  bool varies[max_expression_steps] = {};
  int steps = 0;
};

/// The value and d/dg of `program` at g, with the model's named parameters in
/// `params`. Real is float or double.
template <class Real>
SCALEHAM_HD value_slope<Real> evaluate(const expression_program& program, Real g, const Real* params) {
  Real v[max_expression_steps];
  Real d[max_expression_steps];
  for (int i = 0; i < program.steps; ++i) {
    const int a = program.a[i], b = program.b[i];
    Real value = Real(0), slope = Real(0);
    switch (program.op[i]) {
      case expression_op::constant: value = Real(program.value[i]); break;
      case expression_op::variable: value = g; slope = Real(1); break;
      case expression_op::parameter: value = params[a]; break;
      case expression_op::add: value = v[a] + v[b]; slope = d[a] + d[b]; break;
      case expression_op::subtract: value = v[a] - v[b]; slope = d[a] - d[b]; break;
      case expression_op::multiply: value = v[a] * v[b]; slope = d[a] * v[b] + v[a] * d[b]; break;
      case expression_op::divide:
        value = v[a] / v[b];
        slope = (d[a] - value * d[b]) / v[b];
        break;
      case expression_op::power:
        value = std::pow(v[a], v[b]);
        // A constant exponent: b a^(b-1) a', defined for a negative base too
        // (g^2 at g < 0); a varying one: a^b (b' ln a + b a'/a).
        if (!program.varies[b])
          slope = program.varies[a] ? v[b] * std::pow(v[a], v[b] - Real(1)) * d[a] : Real(0);
        else
          slope = value * (d[b] * std::log(v[a]) + v[b] * d[a] / v[a]);
        break;
      case expression_op::negate: value = -v[a]; slope = -d[a]; break;
      case expression_op::exp: value = std::exp(v[a]); slope = value * d[a]; break;
      case expression_op::log: value = std::log(v[a]); slope = d[a] / v[a]; break;
      case expression_op::sqrt: value = std::sqrt(v[a]); slope = d[a] / (Real(2) * value); break;
      case expression_op::sin: value = std::sin(v[a]); slope = std::cos(v[a]) * d[a]; break;
      case expression_op::cos: value = std::cos(v[a]); slope = -std::sin(v[a]) * d[a]; break;
      case expression_op::tanh: value = std::tanh(v[a]); slope = (Real(1) - value * value) * d[a]; break;
      case expression_op::abs:
        value = std::fabs(v[a]);
        slope = v[a] < Real(0) ? -d[a] : d[a];
        break;
      case expression_op::integer_power: {
        const int n = int(program.value[i]);
        value = integer_power(v[a], n);
        slope = n == 0 ? Real(0) : Real(n) * integer_power(v[a], n - 1) * d[a];
        break;
      }
    }
    v[i] = value;
    d[i] = program.varies[i] ? slope : Real(0);
  }
  return {v[program.steps - 1], d[program.steps - 1]};
}

/// Whether the F of a formula model (here or compiled at run time for the
/// GPU) has a pole at 0, probed at 0 and at ± the smallest normal number m:
/// F not finite at ±m (A/g^2, log g, exp(-1/g) from below), or not finite at
/// 0 and of at least √max_finite at ±m (A/g with A not tiny). A hole at 0
/// (A·g/g; A/g with A = 0, as the built-in model sees it) is not a pole.
template <class Model>
SCALEHAM_HD bool formula_pole_at_zero(const Model& model) {
  using Real = typename Model::real_type;
  const Real m = real_limits<Real>::min_normal();
  const Real above = model.F_at(m).value, below = model.F_at(-m).value;
  if (!std::isfinite(above) || !std::isfinite(below)) return true;
  const Real large = std::sqrt(real_limits<Real>::max_finite());
  return !std::isfinite(model.F_at(Real(0)).value) && (std::fabs(above) >= large || std::fabs(below) >= large);
}

/// β and F of a model written as formulas. Their parameter steps read the
/// slots param_x0.. of a point's parameter vector (parameters.hpp).
struct model_formulas {
  expression_program beta;
  expression_program F;
};

/// A model whose β and F are formulas (a model in the sense of model.hpp),
/// for one point: the formulas and that point's parameter vector, both of
/// which must outlive it.
template <class Real>
struct expression_model {
  using real_type = Real;
  const model_formulas* formulas;
  const Real* params;  ///< the point's whole parameter vector

  SCALEHAM_HD value_slope<Real> beta_at(Real g) const {
    return evaluate(formulas->beta, g, params + param_x0);
  }
  SCALEHAM_HD value_slope<Real> F_at(Real g) const { return evaluate(formulas->F, g, params + param_x0); }
  SCALEHAM_HD bool F_singular_at_zero() const { return formula_pole_at_zero(*this); }
};

/// How a point's parameter vector becomes its model when β and F are formulas
/// (the counterpart of builtin_models, parameters.hpp).
struct formula_models {
  const model_formulas* formulas;
  template <class Real>
  SCALEHAM_HD expression_model<Real> operator()(const Real* params) const {
    return {formulas, params};
  }
};

}  // namespace scaleham
