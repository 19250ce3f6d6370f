// Formulas a physicist writes for β(g) and F(g) (`[model] beta = "..."`,
// `F = "..."`), read into an expression_program (scaleham/expression.hpp):
//
//   numbers      2, 0.5, 1e-3, 6.02e23
//   names        g, and the model's declared parameters (lambda, A, alpha, ...)
//   operators    + - * / ^ (also × ÷ −), unary minus, parentheses;
//                ^ binds tightest and to the right: -g^2 = -(g^2), 2^3^2 = 2^9
//   functions    exp log sqrt sin cos tanh abs, pow(x, y)
//
// Errors name the column (1-based, in characters of the formula) and the
// offending token: "column 7: unexpected ')'", "column 3: unknown name 'lamda'
// (did you mean 'lambda'?)". The configuration reader adds the file, line and
// key. Constant parts are folded at parse time (2*3 is one step).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "scaleham/expression.hpp"

namespace scaleham {

/// A formula that cannot be read: `column` (1-based) and `token` (the text
/// found there, empty at the end) say where; what() is the full message.
struct expression_error : std::invalid_argument {
  int column;
  std::string token;
  std::string reason;  ///< what() without the column
  expression_error(int column_, std::string token_, std::string reason_)
      : std::invalid_argument("column " + std::to_string(column_) + ": " + reason_),
        column(column_),
        token(std::move(token_)),
        reason(std::move(reason_)) {}
};

/// Whether `name` is a function of formulas (exp, log, ..., pow).
bool is_function_name(std::string_view name);

/// Reads `text`, a formula in g and `parameters` (parameters[i] is
/// params[i] when evaluated). Throws expression_error.
expression_program parse_expression(std::string_view text, const std::vector<std::string>& parameters);

}  // namespace scaleham
