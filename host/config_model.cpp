// [model] of a configuration (config_parser.hpp): the built-in models'
// coefficients (b0..b4, f_m4..f4, lambda, A), or β and F as formulas in g and
// the parameters declared in [model.parameters] (expression_parser.hpp),
// which become slots param_x0.. of the parameter vector and can be swept like
// any other.
#include <cctype>

#include <optional>

#include "config_parser.hpp"
#include "expression_parser.hpp"
#include "formula_lowering.hpp"
#include "output_fields.hpp"

namespace scaleham::config_reading {

namespace {

/// Characters (UTF-8 code points) in `text`: the unit of a formula's columns.
int characters(std::string_view text) {
  int n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

/// Whether formula `program` reads parameter `index`.
bool reads_parameter(const expression_program& program, int index) {
  for (int i = 0; i < program.steps; ++i)
    if (program.op[i] == expression_op::parameter && program.a[i] == index) return true;
  return false;
}

}  // namespace

void config_parser::read_model(const toml::table& t) {
  check_keys(t, "model", known_keys("model"));
  const toml::node* beta = t.get("beta");
  const toml::node* F = t.get("F");
  if (beta == nullptr && F == nullptr) {
    for (const char* key : {"parameters", "interpret"})
      if (const toml::node* node = t.get(key))
        fail(node->source(), join("model", key),
             "is about formulas, but model.beta and model.F are not given (the built-in models take "
             "b0..b4, f_m4..f4, lambda and A in [model])");
    read_parameters(t, "model");
    return;
  }
  // Both or neither: half a formula model has no meaning for the other half's
  // coefficients (the paper's model as formulas: beta = "lambda*g", F = "A/g").
  if (beta == nullptr || F == nullptr) {
    const toml::node& given = beta != nullptr ? *beta : *F;
    fail(given.source(), beta != nullptr ? "model.beta" : "model.F",
         fmt::format("a formula model needs both model.beta and model.F (missing: model.{}; the paper's "
                     "model is beta = \"lambda*g\", F = \"A/g\")",
                     beta == nullptr ? "beta" : "F"));
  }
  for (auto&& [key, node] : t) {
    (void)node;
    const parameter_info* p = find_parameter(key.str());
    if (p != nullptr && p->section == "model")
      fail(key.source(), join("model", key.str()),
           "a coefficient of the built-in models, but beta and F are formulas here; the formulas' "
           "parameters are declared in [model.parameters]");
  }
  // The built-in coefficients are not the model: zero, so nothing reads
  // their defaults (B_rel_err, the paper's prediction from b1 and f_m1, is NaN).
  for (int slot = param_b0; slot <= param_f4; ++slot) config_.base[slot] = 0.0;
  if (const toml::node* node = t.get("parameters")) read_formula_parameters(*node);
  formula_config& formulas = config_.formulas;
  auto programs = std::make_shared<model_formulas>();
  formulas.beta = string(*beta, "model.beta");
  formulas.F = string(*F, "model.F");
  programs->beta = read_formula(*beta, "model.beta");
  programs->F = read_formula(*F, "model.F");
  for (std::size_t i = 0; i < formulas.parameters.size(); ++i)
    if (!reads_parameter(programs->beta, int(i)) && !reads_parameter(programs->F, int(i))) {
      const std::string key = "model.parameters." + formulas.parameters[i];
      fail(base_node_[param_x0 + i]->source(), key,
           fmt::format("declared, but neither model.beta nor model.F uses '{}'", formulas.parameters[i]));
    }
  // Polynomials in g with a number or one parameter per coefficient run as
  // the built-in model (formula_lowering.hpp), unless `interpret = true`
  // asks for the interpreter (tests and benchmarks compare the two). A key of
  // the configuration, not of the environment: a resumed run, the shards and
  // the MPI ranks of one sweep all read the same text.
  formulas.slots.clear();
  for (std::size_t i = 0; i < formulas.parameters.size(); ++i) formulas.slots.push_back(param_x0 + int(i));
  const toml::node* interpret_node = t.get("interpret");
  const bool interpret = interpret_node != nullptr && boolean(*interpret_node, "model.interpret");
  if (const std::optional<builtin_form> form =
          interpret ? std::nullopt : builtin_form_of(*programs, int(formulas.parameters.size()))) {
    for (int slot = param_b0; slot <= param_f4; ++slot) {
      const int parameter = form->parameter_of[std::size_t(slot)];
      config_.base[slot] = parameter >= 0 ? config_.base[param_x0 + parameter] : form->coefficient[std::size_t(slot)];
      if (parameter >= 0) {
        base_node_[slot] = base_node_[param_x0 + parameter];
        base_key_[slot] = base_key_[param_x0 + parameter];
      }
    }
    for (std::size_t i = 0; i < formulas.parameters.size(); ++i) {
      const int x = param_x0 + int(i);
      formulas.slots[i] = form->slot_of_parameter[i];
      config_.base[x] = 0.0;
      base_node_[x] = nullptr;
      base_key_[x].clear();
    }
    formulas.runs_as_builtin = true;
  }
  formulas.programs = std::move(programs);
}

void config_parser::read_formula_parameters(const toml::node& node) {
  const toml::table* table = node.as_table();
  if (table == nullptr)
    fail(node.source(), "model.parameters",
         fmt::format("expected a table of name = default value ([model.parameters]), got {}", type_words(node)));
  std::vector<std::string>& declared = config_.formulas.parameters;
  for (auto&& [key, value] : *table) {
    const std::string name(key.str());
    const std::string path = "model.parameters." + name;
    if (!is_identifier(name))
      fail(key.source(), path,
           "a parameter name is a letter or '_' followed by letters, digits or '_' (it appears in formulas)");
    if (name == "g" || is_function_name(name))
      fail(key.source(), path,
           fmt::format("'{}' is {} in formulas; choose another name", name,
                       name == "g" ? "the coupling" : "a function"));
    // Swept, the name is a dataset of the output beside the results.
    if (const std::string result = result_dataset_named(name); !result.empty())
      fail(key.source(), path,
           fmt::format("'{}' is the name of the result {}; choose another name (an axis over it "
                       "would clash with it in the output)",
                       name, result));
    const bool curve_dataset = std::any_of(std::begin(curve_dataset_names), std::end(curve_dataset_names),
                                           [&](const char* curve) { return name == curve; });
    if (curve_dataset || name == "point")
      fail(key.source(), path,
           fmt::format("'{}' names a dataset of the output; choose another name", name));
    if (const parameter_info* s = find_setting(name))
      fail(key.source(), path,
           fmt::format("'{}' is the setting {}.{} (an axis may sweep it); choose another name", name, s->section,
                       s->alias));
    if (const parameter_info* p = find_parameter(name); p != nullptr && p->section != "model")
      fail(key.source(), path,
           fmt::format("'{}' is already the parameter {} of [{}]; choose another name", name,
                       param_name(p->slot), p->section));
    if (declared.size() == std::size_t(max_model_parameters))
      fail(key.source(), path, fmt::format("too many parameters: a formula model has at most {}", max_model_parameters));
    const int slot = param_x0 + int(declared.size());
    declared.push_back(name);
    set_base(parameter_table[slot], finite_number(value, path), value, path);
  }
}

expression_program config_parser::read_formula(const toml::node& node, std::string_view key) const {
  const std::string text = string(node, key);
  try {
    return parse_expression(text, config_.formulas.parameters);
  } catch (const expression_error& e) {
    // The file's column when the string is written plainly on one line (its
    // region is the text and two quotes): the formula's column is then
    // counted from the opening quote. Otherwise the formula's own column.
    const toml::source_region& where = node.source();
    const bool plain = !is_override_source(where) && where.begin.line > 0 &&
                       where.begin.line == where.end.line &&
                       int(where.end.column) - int(where.begin.column) == characters(text) + 2;
    const std::string token = e.token.empty() ? "the end of the formula" : "'" + shown(e.token) + "'";
    const std::string message = fmt::format("at {} (column {} of \"{}\"): {}", token, e.column, shown(text), e.reason);
    if (plain)
      throw config_error(fmt::format("{}:{}:{}: key '{}': {}", source_, where.begin.line,
                                     where.begin.column + unsigned(e.column), key, message));
    fail(where, key, message);
  }
}

}  // namespace scaleham::config_reading
