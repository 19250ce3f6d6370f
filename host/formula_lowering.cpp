#include "formula_lowering.hpp"

#include <map>
#include <vector>

namespace scaleham {

namespace {

/// One coefficient: a number, or one parameter (times 1).
struct term {
  int parameter = -1;  ///< >= 0: the parameter; else the number `value`
  double value = 0;
};

/// A formula as Σ term_k g^k, or nothing when it is not of that form.
using laurent_terms = std::optional<std::map<int, term>>;

std::optional<term> sum(const term& a, const term& b) {
  if (a.parameter >= 0 || b.parameter >= 0) return std::nullopt;  // A + 1 is not one parameter
  return term{-1, a.value + b.value};
}

std::optional<term> product(const term& a, const term& b) {
  if (a.parameter < 0 && b.parameter < 0) return term{-1, a.value * b.value};
  if (a.parameter < 0 && a.value == 1) return b;
  if (b.parameter < 0 && b.value == 1) return a;
  return std::nullopt;
}

/// Drops zero numbers (0*g is no term), merges a term into a sum.
bool add_term(std::map<int, term>& into, int power, const term& t) {
  if (t.parameter < 0 && t.value == 0) return true;
  const auto found = into.find(power);
  if (found == into.end()) {
    into[power] = t;
    return true;
  }
  const std::optional<term> s = sum(found->second, t);
  if (!s) return false;
  if (s->value == 0) into.erase(found);
  else found->second = *s;
  return true;
}

laurent_terms add(const laurent_terms& a, const laurent_terms& b, double sign) {
  if (!a || !b) return std::nullopt;
  std::map<int, term> out = *a;
  for (const auto& [k, t] : *b) {
    if (sign < 0 && t.parameter >= 0) return std::nullopt;  // -A is not one parameter
    if (!add_term(out, k, term{t.parameter, sign * t.value})) return std::nullopt;
  }
  return out;
}

laurent_terms multiply(const laurent_terms& a, const laurent_terms& b) {
  if (!a || !b) return std::nullopt;
  std::map<int, term> out;
  for (const auto& [ka, ta] : *a)
    for (const auto& [kb, tb] : *b) {
      const std::optional<term> p = product(ta, tb);
      if (!p || !add_term(out, ka + kb, *p)) return std::nullopt;
    }
  return out;
}

/// Division by a monomial c g^m with a number c.
laurent_terms divide(const laurent_terms& a, const laurent_terms& b) {
  if (!a || !b || b->size() != 1) return std::nullopt;
  const auto& [m, c] = *b->begin();
  if (c.parameter >= 0) return std::nullopt;
  std::map<int, term> out;
  for (const auto& [k, t] : *a) {
    if (t.parameter >= 0 && c.value != 1) return std::nullopt;
    out[k - m] = t.parameter >= 0 ? t : term{-1, t.value / c.value};
  }
  return out;
}

laurent_terms power(const laurent_terms& a, int n) {
  if (!a) return std::nullopt;
  if (n < 0) {
    if (a->size() != 1 || a->begin()->second.parameter >= 0) return std::nullopt;
    const auto& [m, c] = *a->begin();
    return std::map<int, term>{{n * m, term{-1, integer_power(c.value, n)}}};
  }
  laurent_terms out = std::map<int, term>{{0, term{-1, 1.0}}};
  for (int i = 0; i < n; ++i) out = multiply(out, a);
  return out;
}

laurent_terms terms_of(const expression_program& p) {
  std::vector<laurent_terms> step(std::size_t(p.steps));
  for (int i = 0; i < p.steps; ++i) {
    // The operands are steps for the operations (a parameter step's `a` is
    // the parameter's index instead): read them only there.
    const auto a = [&]() -> const laurent_terms& { return step[p.a[i]]; };
    const auto b = [&]() -> const laurent_terms& { return step[p.b[i]]; };
    laurent_terms& out = step[std::size_t(i)];
    switch (p.op[i]) {
      case expression_op::constant:
        out = std::map<int, term>{};
        add_term(*out, 0, term{-1, p.value[i]});
        break;
      case expression_op::variable: out = std::map<int, term>{{1, term{-1, 1.0}}}; break;
      case expression_op::parameter: out = std::map<int, term>{{0, term{int(p.a[i]), 0.0}}}; break;
      case expression_op::add: out = add(a(), b(), 1); break;
      case expression_op::subtract: out = add(a(), b(), -1); break;
      case expression_op::multiply: out = multiply(a(), b()); break;
      case expression_op::divide: out = divide(a(), b()); break;
      case expression_op::negate: out = add(std::map<int, term>{}, a(), -1); break;
      case expression_op::integer_power: out = power(a(), int(p.value[i])); break;
      default: out = std::nullopt; break;  // functions, and powers the parser did not make integer
    }
  }
  return step.back();
}

}  // namespace

std::optional<builtin_form> builtin_form_of(const model_formulas& formulas, int parameters) {
  const laurent_terms beta = terms_of(formulas.beta);
  const laurent_terms F = terms_of(formulas.F);
  if (!beta || !F) return std::nullopt;
  builtin_form form;
  form.parameter_of.fill(-1);
  form.slot_of_parameter.fill(-1);
  const auto place = [&](int slot, const term& t) {
    form.coefficient[std::size_t(slot)] = t.value;
    if (t.parameter < 0) return true;
    if (form.slot_of_parameter[std::size_t(t.parameter)] >= 0) return false;  // in two coefficients
    form.parameter_of[std::size_t(slot)] = t.parameter;
    form.slot_of_parameter[std::size_t(t.parameter)] = slot;
    return true;
  };
  for (const auto& [k, t] : *beta)
    if (k < 0 || k > max_beta_degree || !place(param_b0 + k, t)) return std::nullopt;
  for (const auto& [k, t] : *F)
    if (k < -max_laurent_order || k > max_laurent_order || !place(param_f_m4 + k + max_laurent_order, t))
      return std::nullopt;
  for (int i = 0; i < parameters; ++i)
    if (form.slot_of_parameter[std::size_t(i)] < 0) return std::nullopt;
  return form;
}

}  // namespace scaleham
