#include "expression_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>

#include "input_file.hpp"

namespace scaleham {

namespace {

struct token {
  enum kind_type { number, name, symbol, end } kind = end;
  std::string text;    ///< as written (a symbol: its ASCII form)
  double value = 0;    ///< a number's
  int column = 0;      ///< 1-based, in characters
};

const char* const function_names[] = {"exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "pow"};

/// Splits the formula into tokens; × ÷ − are read as * / -.
std::vector<token> tokenize(std::string_view text) {
  std::vector<token> tokens;
  std::size_t i = 0;
  int column = 1;
  const auto fail = [&](const std::string& found, const std::string& why) {
    throw expression_error(column, found, why);
  };
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\t') {
      ++i, ++column;
      continue;
    }
    token t;
    t.column = column;
    if (std::isdigit(c) || (c == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      // digits [. digits] [e|E [+|-] digits]
      std::size_t j = i;
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && text[j] == '.') {
        ++j;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      }
      if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (k >= text.size() || !std::isdigit(static_cast<unsigned char>(text[k])))
          fail(std::string(text.substr(i, k - i)), fmt::format("malformed number '{}'", shown(text.substr(i, k - i))));
        while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
        j = k;
      }
      t.kind = token::number;
      t.text = std::string(text.substr(i, j - i));
      t.value = std::strtod(t.text.c_str(), nullptr);
      if (!std::isfinite(t.value)) fail(t.text, fmt::format("the number {} is too large", shown(t.text)));
      column += int(j - i);
      i = j;
    } else if (std::isalpha(c) || c == '_') {
      std::size_t j = i;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      t.kind = token::name;
      t.text = std::string(text.substr(i, j - i));
      column += int(j - i);
      i = j;
    } else if (std::string_view("+-*/^(),").find(char(c)) != std::string_view::npos) {
      t.kind = token::symbol;
      t.text = std::string(1, char(c));
      ++i, ++column;
    } else if (text.substr(i, 2) == "\xC3\x97" || text.substr(i, 2) == "\xC3\xB7" || text.substr(i, 3) == "\xE2\x88\x92") {
      t.kind = token::symbol;
      t.text = text.substr(i, 2) == "\xC3\x97" ? "*" : text.substr(i, 2) == "\xC3\xB7" ? "/" : "-";
      i += t.text == "-" ? 3 : 2;
      ++column;
    } else {
      // One character (a whole UTF-8 sequence) as found.
      std::size_t n = 1;
      while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
      const std::string found(text.substr(i, n));
      fail(found, fmt::format("unexpected character '{}'", shown(found)));
    }
    tokens.push_back(std::move(t));
  }
  token end;
  end.column = column;
  tokens.push_back(end);
  return tokens;
}

/// Levenshtein distance, for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// Recursive descent over the tokens, emitting steps as it goes (operands
/// before the operation: the program's order).
class parser {
 public:
  parser(std::vector<token> tokens, const std::vector<std::string>& parameters)
      : tokens_(std::move(tokens)), parameters_(parameters) {}

  expression_program parse() {
    const int result = expression();
    if (peek().kind != token::end) fail(peek(), fmt::format("unexpected '{}' after a complete formula", shown(peek().text)));
    // The result must be the last step: copy it there if folding left it earlier.
    if (result != program_.steps - 1) emit(expression_op::add, result, constant(0.0));
    return program_;
  }

 private:
  const token& peek() const { return tokens_[at_]; }
  const token& next() { return tokens_[at_++]; }
  bool accept(const char* symbol) {
    if (peek().kind == token::symbol && peek().text == symbol) return ++at_, true;
    return false;
  }

  [[noreturn]] void fail(const token& t, const std::string& why) const {
    throw expression_error(t.column, t.text, why);
  }
  [[noreturn]] void fail_expected(const char* what) const {
    const token& t = peek();
    if (t.kind == token::end) fail(t, fmt::format("the formula ends where {} was expected", what));
    fail(t, fmt::format("expected {}, found '{}'", what, shown(t.text)));
  }

  int emit(expression_op op, int a = 0, int b = 0, double value = 0) {
    if (program_.steps >= max_expression_steps)
      fail(peek(), fmt::format("the formula needs more than {} steps; split it or simplify it", max_expression_steps));
    const int i = program_.steps++;
    program_.op[i] = op;
    program_.a[i] = static_cast<unsigned char>(a);
    program_.b[i] = static_cast<unsigned char>(b);
    program_.value[i] = value;
    const bool unary = op >= expression_op::negate;
    program_.varies[i] = op == expression_op::variable ||
                         (op > expression_op::parameter && (program_.varies[a] || (!unary && program_.varies[b])));
    return fold(i);
  }
  int constant(double value) { return emit(expression_op::constant, 0, 0, value); }

  /// A step whose operands are all constants (not g, not parameters) is
  /// replaced by its value.
  int fold(int i) {
    const expression_op op = program_.op[i];
    if (op <= expression_op::parameter) return i;
    const bool unary = op >= expression_op::negate;
    const auto is_constant = [&](int s) { return program_.op[s] == expression_op::constant; };
    if (!is_constant(program_.a[i]) || (!unary && !is_constant(program_.b[i]))) return i;
    // The operation on its constants alone, as evaluate() computes it.
    expression_program alone;
    alone.op[0] = expression_op::constant, alone.value[0] = program_.value[program_.a[i]];
    alone.op[1] = expression_op::constant, alone.value[1] = program_.value[program_.b[i]];
    alone.op[2] = op, alone.a[2] = 0, alone.b[2] = 1, alone.value[2] = program_.value[i];
    alone.steps = 3;
    const double value = evaluate<double>(alone, 0.0, nullptr).value;
    // The operands are the constant steps just before this one: drop all three.
    program_.steps = std::min(program_.a[i], unary ? program_.a[i] : program_.b[i]);
    return constant(value);
  }

  // expression := term (('+' | '-') term)*
  int expression() {
    int left = term();
    while (true) {
      if (accept("+")) left = emit(expression_op::add, left, term());
      else if (accept("-")) left = emit(expression_op::subtract, left, term());
      else return left;
    }
  }
  // term := unary (('*' | '/') unary)*
  int term() {
    int left = unary();
    while (true) {
      if (accept("*")) left = emit(expression_op::multiply, left, unary());
      else if (accept("/")) left = emit(expression_op::divide, left, unary());
      else return left;
    }
  }
  // unary := ('-' | '+') unary | power
  int unary() {
    if (accept("-")) return emit(expression_op::negate, unary());
    if (accept("+")) return unary();
    return power();
  }
  // power := primary ('^' unary)?      (right-associative, binds tighter than unary minus on its left)
  int power() {
    const int base = primary();
    if (accept("^")) return raise(base, unary());
    return base;
  }

  /// base^exponent; a small integer constant exponent becomes multiplications.
  int raise(int base, int exponent) {
    const double n = program_.op[exponent] == expression_op::constant ? program_.value[exponent] : 0.5;
    if (program_.varies[base] && n == std::floor(n) && std::fabs(n) <= 16 && exponent == program_.steps - 1) {
      --program_.steps;  // the exponent's constant step: its value moves into the operation
      return emit(expression_op::integer_power, base, 0, n);
    }
    return emit(expression_op::power, base, exponent);
  }
  // primary := number | g | parameter | function '(' expression [',' expression] ')' | '(' expression ')'
  int primary() {
    const token& t = peek();
    if (t.kind == token::number) return next(), constant(t.value);
    if (accept("(")) {
      const int inner = expression();
      if (!accept(")")) fail_expected("')'");
      return inner;
    }
    if (t.kind != token::name) fail_expected("a number, a name or '('");
    next();
    if (t.text == "g") return emit(expression_op::variable);
    const auto p = std::find(parameters_.begin(), parameters_.end(), t.text);
    if (p != parameters_.end()) return emit(expression_op::parameter, int(p - parameters_.begin()));
    const auto f = std::find(std::begin(function_names), std::end(function_names), t.text);
    if (f == std::end(function_names)) fail(t, unknown_name(t.text));
    if (!accept("(")) fail_expected(fmt::format("'(' after the function {}", t.text).c_str());
    const int x = expression();
    if (t.text == "pow") {
      if (!accept(",")) fail_expected("',' and the exponent of pow(x, y)");
      const int y = expression();
      if (!accept(")")) fail_expected("')'");
      return raise(x, y);
    }
    if (!accept(")")) fail_expected(peek().text == "," ? "')' (this function takes one argument)" : "')'");
    static const expression_op ops[] = {expression_op::exp, expression_op::log, expression_op::sqrt,
                                        expression_op::sin, expression_op::cos, expression_op::tanh,
                                        expression_op::abs};
    return emit(ops[f - std::begin(function_names)], x);
  }

  std::string unknown_name(const std::string& name) const {
    std::vector<std::string> known = parameters_;
    known.emplace_back("g");
    for (const char* f : function_names) known.emplace_back(f);
    std::string best;
    std::size_t best_distance = 3;  // at most 2 edits
    for (const std::string& k : known)
      if (const std::size_t d = distance(name, k); d < best_distance) best = k, best_distance = d;
    std::string names;
    for (const std::string& p : parameters_) names += (names.empty() ? "" : ", ") + p;
    return fmt::format("unknown name '{}'{}; the formula may use g{}{}, numbers and {}", shown(name),
                       best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                       names.empty() ? "" : " and the parameters ", names,
                       "exp log sqrt sin cos tanh abs pow");
  }

  std::vector<token> tokens_;
  const std::vector<std::string>& parameters_;
  std::size_t at_ = 0;
  expression_program program_;
};

}  // namespace

bool is_function_name(std::string_view name) {
  return std::find(std::begin(function_names), std::end(function_names), name) != std::end(function_names);
}

expression_program parse_expression(std::string_view text, const std::vector<std::string>& parameters) {
  if (parameters.size() > 255) throw std::invalid_argument("a formula takes at most 255 parameters");
  std::vector<token> tokens = tokenize(text);
  if (tokens.size() == 1) throw expression_error(1, "", "the formula is empty");
  return parser(std::move(tokens), parameters).parse();
}

}  // namespace scaleham
