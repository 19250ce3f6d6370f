// The cost of a model written as a formula (scaleham/expression.hpp, the
// interpreted program with forward-mode derivatives) against the built-in
// polynomial/Laurent model, per evaluation of β and F with their derivatives:
// the quantity the flow's right-hand side needs once per stage. The same
// functions both ways: the paper's β = λg, F = A/g, and a model with a
// correction the polynomial family can also express (β = λg + b2 g²,
// F = A/g + f0), plus a formula only expressions can write, for scale.
//
//   build/cpu/benchmarks/bench_expression --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <vector>

#include "expression_parser.hpp"
#include "scaleham/expression.hpp"
#include "scaleham/model.hpp"

namespace {

using namespace scaleham;

const std::vector<std::string> names = {"lambda", "A", "b2", "f0"};
const double params[] = {0.1, 50.0, 0.01, 2.0};

/// g values the flow visits: spread, so no branch predictor learns one.
std::vector<double> couplings() {
  std::vector<double> g(1024);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = 1.0 + 199.0 * double((i * 7919) % 1024) / 1024.0;
  return g;
}

void polynomial_model(benchmark::State& state, bool correction) {
  model<double> m;
  m.beta.b[1] = 0.1;
  m.F.coeff(-1) = 50.0;
  if (correction) m.beta.b[2] = 0.01, m.F.coeff(0) = 2.0;
  const std::vector<double> g = couplings();
  for (auto _ : state)
    for (const double x : g) {
      const value_slope<double> beta = m.beta.eval(x);
      const value_slope<double> F = m.F.eval(x);
      benchmark::DoNotOptimize(beta);
      benchmark::DoNotOptimize(F);
    }
  state.SetItemsProcessed(state.iterations() * std::int64_t(g.size()));
}

void expression_model(benchmark::State& state, const char* beta_text, const char* F_text) {
  const expression_program beta_program = parse_expression(beta_text, names);
  const expression_program F_program = parse_expression(F_text, names);
  const std::vector<double> g = couplings();
  for (auto _ : state)
    for (const double x : g) {
      const value_slope<double> beta = evaluate(beta_program, x, params);
      const value_slope<double> F = evaluate(F_program, x, params);
      benchmark::DoNotOptimize(beta);
      benchmark::DoNotOptimize(F);
    }
  state.SetItemsProcessed(state.iterations() * std::int64_t(g.size()));
}

BENCHMARK_CAPTURE(polynomial_model, paper, false);
BENCHMARK_CAPTURE(expression_model, paper, "lambda*g", "A/g");
BENCHMARK_CAPTURE(polynomial_model, corrected, true);
BENCHMARK_CAPTURE(expression_model, corrected, "lambda*g + b2*g^2", "A/g + f0");
BENCHMARK_CAPTURE(expression_model, exponential_tail, "lambda*g/(1 + g/40)", "A/g + f0*exp(-g/20)");

}  // namespace

BENCHMARK_MAIN();
