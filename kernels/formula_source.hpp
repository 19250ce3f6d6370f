// Formula models as CUDA C++ source, for the kernels compiled at run time
// (runtime_compiler.hpp): each formula becomes straight-line code, one line
// per step of its program, computing what the interpreter (evaluate(),
// expression.hpp) computes step by step, with no loop and no branch on the
// operation, so the compiler sees the model as it sees a built-in one. Plain
// C++ (no CUDA): it is built, and tested, with or without the CUDA backend.
#pragma once

#include <string>

#include "scaleham/expression.hpp"

namespace scaleham {

/// The program as a function
///   template <class Real> __device__ __forceinline__ value_slope<Real> NAME(Real g, const Real* params)
/// of the same value and derivative as evaluate(program, g, params).
std::string expression_source(const expression_program& program, const std::string& name);

/// The name of the family of models runtime_models_source defines.
inline constexpr const char* runtime_models_name = "scaleham_runtime_models";

/// The formulas as a family of models (the counterpart of formula_models,
/// expression.hpp) named runtime_models_name: a struct whose call operator
/// makes a point's model from its parameter vector, with β and F compiled
/// from the formulas, their parameters read from slots param_x0...
std::string runtime_models_source(const model_formulas& formulas);

/// The built-in models (builtin_models) under that name: for the kernels
/// compiled at run time for sweeps over settings.
std::string builtin_models_source();

}  // namespace scaleham
