// Formula models that are built-in models in disguise. When β is a polynomial
// of degree <= 4 in g and F a Laurent polynomial with powers -4..4, and each
// coefficient is a number or one declared parameter (beta = "lambda*g",
// F = "A/g + f0 + 2/g^2"), the sweep runs as the built-in model: each
// parameter becomes the coefficient slot it multiplies (lambda -> b1, A ->
// f_m1), so the run takes the built-in path on every backend (SIMD lanes on
// the CPU, the compiled kernels on the GPU) and its results are bit for bit
// those of the same model written with coefficients. Other formulas are
// interpreted (expression.hpp).
#pragma once

#include <array>
#include <optional>

#include "scaleham/expression.hpp"
#include "scaleham/parameters.hpp"

namespace scaleham {

/// A formula model as a built-in one.
struct builtin_form {
  /// Coefficient slots b0..f4 (indices param_b0..param_f4): a number, or
  /// the parameter in parameter_of[slot] (>= 0) with its base value.
  std::array<double, param_f4 + 1> coefficient{};
  std::array<int, param_f4 + 1> parameter_of{};
  /// The coefficient slot of each declared parameter.
  std::array<int, max_model_parameters> slot_of_parameter{};
};

/// The built-in form of `formulas` with `parameters` declared parameters, if
/// it has one (see above); each parameter must appear in exactly one
/// coefficient.
std::optional<builtin_form> builtin_form_of(const model_formulas& formulas, int parameters);

}  // namespace scaleham
