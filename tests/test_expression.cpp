// Formulas for β and F (host/expression_parser.hpp, scaleham/expression.hpp):
// every operator and function against its closed form and the closed form of
// its derivative, precedence and associativity, folding, the generated C++
// source (compiled here as host code) against the interpreter, and every
// error with its column and token.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "expression_parser.hpp"
#include "formula_source.hpp"
#include "formula_lowering.hpp"
#include "scaleham/expression.hpp"

namespace {

using namespace scaleham;

const std::vector<std::string> names = {"lambda", "A", "alpha", "gstar"};
const double params[] = {0.1, 50.0, 1.5, 3.0};

struct closed_form {
  const char* formula;
  std::function<double(double)> value, slope;
};

// Each formula with its value and derivative written out by hand.
const closed_form forms[] = {
    {"lambda*g", [](double g) { return 0.1 * g; }, [](double) { return 0.1; }},
    {"A/g", [](double g) { return 50.0 / g; }, [](double g) { return -50.0 / (g * g); }},
    {"A/g^alpha", [](double g) { return 50.0 / std::pow(g, 1.5); },
     [](double g) { return -1.5 * 50.0 / std::pow(g, 2.5); }},
    {"lambda*g/(1 + g/gstar)", [](double g) { return 0.1 * g / (1 + g / 3.0); },
     [](double g) { return 0.1 / ((1 + g / 3.0) * (1 + g / 3.0)); }},
    {"A/g + 2*exp(-g/0.5)", [](double g) { return 50.0 / g + 2 * std::exp(-g / 0.5); },
     [](double g) { return -50.0 / (g * g) - 4 * std::exp(-g / 0.5); }},
    {"log(g) - sqrt(g)", [](double g) { return std::log(g) - std::sqrt(g); },
     [](double g) { return 1 / g - 0.5 / std::sqrt(g); }},
    {"sin(g)*cos(2*g)", [](double g) { return std::sin(g) * std::cos(2 * g); },
     [](double g) { return std::cos(g) * std::cos(2 * g) - 2 * std::sin(g) * std::sin(2 * g); }},
    {"tanh(g - 1)", [](double g) { return std::tanh(g - 1); },
     [](double g) { return 1 - std::tanh(g - 1) * std::tanh(g - 1); }},
    {"abs(g - 2)", [](double g) { return std::fabs(g - 2); }, [](double g) { return g < 2 ? -1.0 : 1.0; }},
    {"pow(g, g)", [](double g) { return std::pow(g, g); },
     [](double g) { return std::pow(g, g) * (std::log(g) + 1); }},
    {"2^g", [](double g) { return std::pow(2.0, g); }, [](double g) { return std::pow(2.0, g) * std::log(2.0); }},
    {"-g^2", [](double g) { return -(g * g); }, [](double g) { return -2 * g; }},
    {"1.5e-3*g^3 - 2E+1", [](double g) { return 1.5e-3 * g * g * g - 20; },
     [](double g) { return 4.5e-3 * g * g; }},
    {"g × A ÷ (g − 1)", [](double g) { return g * 50.0 / (g - 1); },
     [](double g) { return -50.0 / ((g - 1) * (g - 1)); }},
    {"+g - -g", [](double g) { return 2 * g; }, [](double) { return 2.0; }},
    {"A*g^-3 + 2*g^5 - pow(g, 2)", [](double g) { return 50.0 / (g * g * g) + 2 * std::pow(g, 5) - g * g; },
     [](double g) { return -150.0 / (g * g * g * g) + 10 * std::pow(g, 4) - 2 * g; }},
};

TEST(Expression, EveryFeatureMatchesItsClosedFormAndDerivative) {
  for (const closed_form& f : forms) {
    const expression_program p = parse_expression(f.formula, names);
    for (const double g : {0.3, 1.7, 2.5, 4.0}) {
      const value_slope<double> r = evaluate(p, g, params);
      EXPECT_NEAR(r.value, f.value(g), 1e-13 * (1 + std::fabs(f.value(g)))) << f.formula << " at g = " << g;
      EXPECT_NEAR(r.slope, f.slope(g), 1e-12 * (1 + std::fabs(f.slope(g)))) << f.formula << "' at g = " << g;
      // float: the same program in single precision.
      const float fparams[] = {0.1f, 50.0f, 1.5f, 3.0f};
      const value_slope<float> rf = evaluate(p, float(g), fparams);
      EXPECT_NEAR(rf.value, f.value(g), 2e-5 * (1 + std::fabs(f.value(g)))) << f.formula;
    }
  }
}

TEST(Expression, PrecedenceAndAssociativity) {
  const auto at = [](const char* formula, double g = 2.0) { return evaluate(parse_expression(formula, names), g, params).value; };
  EXPECT_EQ(at("2^3^2"), 512.0);    // right-associative
  EXPECT_EQ(at("-2^2"), -4.0);      // ^ before unary minus
  EXPECT_EQ(at("2^-1"), 0.5);       // a signed exponent
  EXPECT_EQ(at("1 - 2 - 3"), -4.0);  // left-associative
  EXPECT_EQ(at("8 / 4 / 2"), 1.0);
  EXPECT_EQ(at("1 + 2 * 3"), 7.0);
  EXPECT_EQ(at("(1 + 2) * 3"), 9.0);
  EXPECT_EQ(at("g*g^2"), 8.0);
}

TEST(Expression, SmallIntegerPowersAreMultiplications) {
  const expression_program p = parse_expression("g^2", names);
  ASSERT_EQ(p.steps, 2);
  EXPECT_EQ(p.op[1], expression_op::integer_power);
  for (const double g : {0.3, -1.7, 12.5}) {
    EXPECT_EQ(evaluate(p, g, params).value, g * g);  // exact: one multiplication
    EXPECT_EQ(evaluate(p, g, params).slope, 2 * g);
  }
  EXPECT_EQ(evaluate(parse_expression("g^-1", names), 4.0, params).value, 0.25);
  EXPECT_EQ(evaluate(parse_expression("g^0", names), 4.0, params).value, 1.0);
  EXPECT_EQ(evaluate(parse_expression("g^0", names), 4.0, params).slope, 0.0);
  EXPECT_EQ(evaluate(parse_expression("g^0", names), 0.0, params).slope, 0.0);  // not 0 * Inf
  // A fractional or a parameter exponent stays pow.
  EXPECT_EQ(parse_expression("g^2.5", names).op[2], expression_op::power);
  EXPECT_EQ(parse_expression("g^alpha", names).op[2], expression_op::power);
}

TEST(Expression, ConstantsAreFoldedAndTheDerivativeOfAConstantIsZero) {
  const expression_program folded = parse_expression("2 * 3 + exp(0) * 4", names);
  EXPECT_EQ(folded.steps, 1);
  EXPECT_EQ(evaluate(folded, 1.0, params).value, 10.0);
  const expression_program with_parameter = parse_expression("A * 2", names);
  EXPECT_EQ(evaluate(with_parameter, 1.0, params).slope, 0.0);
  // log of a parameter at a point where it is 0 has a NaN slope unless the
  // constancy in g is known: it is.
  const double zero[] = {0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(evaluate(parse_expression("log(A) + g", names), 1.0, zero).slope, 1.0);
}

TEST(Expression, DomainErrorsAreNaNOrInfinityNeverACrash) {
  EXPECT_TRUE(std::isnan(evaluate(parse_expression("log(g)", names), -1.0, params).value));
  EXPECT_TRUE(std::isnan(evaluate(parse_expression("sqrt(g)", names), -1.0, params).value));
  EXPECT_TRUE(std::isinf(evaluate(parse_expression("g^-1", names), 0.0, params).value));
  EXPECT_TRUE(std::isinf(evaluate(parse_expression("A/g", names), 0.0, params).value));
  EXPECT_TRUE(std::isnan(evaluate(parse_expression("0^(-1) - 0^(-1)", names), 1.0, params).value));
}

// The generated source, compiled as host code (no __device__), computes the
// interpreter's numbers. It was generated from the same formulas by
// expression_source and pasted here by the test below on mismatch.
#define __device__
#define __forceinline__ inline
namespace generated {
using std::cos;
using std::exp;
using std::fabs;
using std::log;
using std::pow;
using std::sin;
using std::sqrt;
using std::tanh;
template <class Real>
__device__ __forceinline__ scaleham::value_slope<Real> rational_beta(Real g, const Real* params) {
  const Real v0 = params[0];
  const Real v1 = g;
  const Real d1 = Real(1);
  const Real v2 = v0 * v1;
  const Real d2 = Real(0) * v1 + v0 * d1;
  const Real v3 = Real(1);
  const Real v4 = g;
  const Real d4 = Real(1);
  const Real v5 = params[3];
  const Real v6 = v4 / v5;
  const Real d6 = (d4 - v6 * Real(0)) / v5;
  const Real v7 = v3 + v6;
  const Real d7 = Real(0) + d6;
  const Real v8 = v2 / v7;
  const Real d8 = (d2 - v8 * d7) / v7;
  return {v8, d8};
}
}  // namespace generated

TEST(Expression, GeneratedSourceComputesWhatTheInterpreterDoes) {
  const expression_program p = parse_expression("lambda*g/(1 + g/gstar)", names);
  const std::string source = expression_source(p, "rational_beta");
  // The pasted copy above is this source: a change to the generator shows here.
  EXPECT_NE(source.find("const Real d8 = (d2 - v8 * d7) / v7;"), std::string::npos) << source;
  EXPECT_NE(source.find("return {v8, d8};"), std::string::npos) << source;
  for (const double g : {0.5, 2.0, 7.0}) {
    const value_slope<double> want = evaluate(p, g, params);
    const value_slope<double> got = generated::rational_beta(g, params);
    EXPECT_EQ(got.value, want.value);
    EXPECT_EQ(got.slope, want.slope);
  }
  // A folded −0 stays −0 (as the interpreter's constant), not +0.
  EXPECT_NE(expression_source(parse_expression("g + -0", names), "z").find("-Real(0)"), std::string::npos)
      << expression_source(parse_expression("g + -0", names), "z");
  // Every operation has its line.
  const std::string all = expression_source(
      parse_expression("pow(g, 2.5) + g^3 + 2^g + exp(g) + log(g) + sqrt(g) + sin(g) + cos(g) + tanh(g) + abs(g) - g*g/g", names),
      "f");
  for (const char* call : {"pow(", "integer_power(", "exp(", "log(", "sqrt(", "sin(", "cos(", "tanh(", "fabs("})
    EXPECT_NE(all.find(call), std::string::npos) << call;
}

struct bad_formula {
  const char* formula;
  int column;
  const char* token;
  const char* says;
};

TEST(Expression, ErrorsNameTheColumnAndTheToken) {
  const bad_formula cases[] = {
      {"lambda*g)", 9, ")", "unexpected ')' after a complete formula"},
      {"lamda*g", 1, "lamda", "unknown name 'lamda' (did you mean 'lambda'?)"},
      {"A/g +", 6, "", "the formula ends where a number, a name or '(' was expected"},
      {"exp g", 5, "g", "expected '(' after the function exp, found 'g'"},
      {"(g + 1", 7, "", "the formula ends where ')' was expected"},
      {"pow(g)", 6, ")", "expected ',' and the exponent of pow(x, y), found ')'"},
      {"sin(g, 2)", 6, ",", "this function takes one argument"},
      {"g $ 2", 3, "$", "unexpected character '$'"},
      {"1e+", 1, "1e+", "malformed number '1e+'"},
      {"1e999 * g", 1, "1e999", "too large"},
      {"", 1, "", "the formula is empty"},
      {"   ", 1, "", "the formula is empty"},
      {"g ** 2", 4, "*", "expected a number, a name or '(', found '*'"},
      {"2 × × g", 5, "*", "expected a number, a name or '('"},
      {"x + g", 1, "x", "unknown name 'x'"},
  };
  for (const bad_formula& c : cases) {
    try {
      parse_expression(c.formula, names);
      ADD_FAILURE() << c.formula << ": accepted";
    } catch (const expression_error& e) {
      EXPECT_EQ(e.column, c.column) << c.formula << ": " << e.what();
      EXPECT_EQ(e.token, c.token) << c.formula << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.formula << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("column " + std::to_string(c.column) + ": ", 0), 0u) << e.what();
    }
  }
}

TEST(Expression, TooLongAFormulaIsRefusedNotTruncated) {
  std::string formula = "g";
  for (int i = 0; i < max_expression_steps; ++i) formula += " + g";
  EXPECT_THROW(parse_expression(formula, names), expression_error);
  std::string fits = "g";
  for (int i = 0; i < 40; ++i) fits += " + g";
  EXPECT_EQ(evaluate(parse_expression(fits, names), 1.0, params).value, 41.0);
}

}  // namespace

namespace {

/// The built-in form of beta and F in parameters lambda, A, b2 (or nothing).
std::optional<scaleham::builtin_form> form_of(const char* beta, const char* F) {
  const std::vector<std::string> declared = {"lambda", "A", "b2"};
  scaleham::model_formulas m;
  m.beta = parse_expression(beta, declared);
  m.F = parse_expression(F, declared);
  int used = 0;
  for (const std::string& name : declared)
    used += std::string(beta).find(name) != std::string::npos || std::string(F).find(name) != std::string::npos;
  return scaleham::builtin_form_of(m, used);
}

}  // namespace

TEST(FormulaLowering, PolynomialsWithOneParameterPerCoefficientRunAsTheBuiltinModel) {
  using namespace scaleham;
  // The paper's model: lambda in b1, A in f_m1, every other coefficient 0.
  const auto paper = form_of("lambda*g", "A/g");
  ASSERT_TRUE(paper.has_value());
  EXPECT_EQ(paper->slot_of_parameter[0], param_b1);
  EXPECT_EQ(paper->slot_of_parameter[1], param_f_m1);
  for (int slot = param_b0; slot <= param_f4; ++slot)
    if (slot != param_b1 && slot != param_f_m1) {
      EXPECT_EQ(paper->parameter_of[std::size_t(slot)], -1) << param_name(slot);
      EXPECT_EQ(paper->coefficient[std::size_t(slot)], 0.0) << param_name(slot);
    }
  // Numbers, sums, products, integer powers and division by a monomial.
  const auto more = form_of("g*lambda + b2*g^2 - 0.5", "(A + 2*g)/g + 3/g^4 + g^4/8");
  ASSERT_TRUE(more.has_value());
  EXPECT_EQ(more->slot_of_parameter[2], param_b2);
  EXPECT_EQ(more->coefficient[param_b0], -0.5);
  EXPECT_EQ(more->coefficient[param_f0], 2.0);
  EXPECT_EQ(more->coefficient[param_f_m4], 3.0);
  EXPECT_EQ(more->coefficient[param_f4], 0.125);
  EXPECT_EQ(more->parameter_of[param_f_m1], 1);
  // What is not such a polynomial is interpreted.
  for (const auto& [beta, F] : std::vector<std::pair<const char*, const char*>>{
           {"lambda*g", "-A/g"},               // -A is not one parameter
           {"2*lambda*g", "A/g"},              // nor is 2 lambda
           {"lambda*g + lambda*g^2", "A/g"},   // lambda in two coefficients
           {"lambda*g^5", "A/g"},              // beta beyond degree 4
           {"lambda*g", "A/g^5"},              // F beyond g^-4
           {"lambda*g", "A/g^1.5"},            // not an integer power
           {"lambda*g/(1 + g)", "A/g"},        // not a monomial below the line
           {"lambda*g", "A*exp(g)"},           // a function of g
           {"lambda*g", "A/g + 1/A"}}) {       // a coefficient that is a formula of A
    EXPECT_FALSE(form_of(beta, F).has_value()) << beta << ", " << F;
  }
}
