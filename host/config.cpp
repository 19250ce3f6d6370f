// Reading and validating sweep configurations: the public entry points
// (config.hpp). The schema is config_schema.hpp (documented in docs/config.md;
// keep the two in step), the reader config_parser.hpp.
#include "config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <sstream>
#include <string>
#include <vector>

#include "config_overrides.hpp"
#include "config_parser.hpp"
#include "config_schema.hpp"
#include "input_file.hpp"

namespace scaleham {

using config_reading::config_parser;

std::string config_key_location(const sweep_config& config, const std::string& dotted_key) {
  // The last override that sets the key, or a section around it (flow={rtol=...}).
  for (auto it = config.overrides.rbegin(); it != config.overrides.rend(); ++it) {
    std::string key = it->substr(0, it->find('='));
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    if (dotted_key == key || dotted_key.rfind(key + ".", 0) == 0)
      return fmt::format("{}: key '{}'", shown(override_source(*it)), dotted_key);
  }
  try {
    const toml::table root = toml::parse(config.file_text, config.source_name);
    if (const toml::node* node = root.at_path(dotted_key).node())
      return fmt::format("{}:{}: key '{}'", config.source_name, node->source().begin.line, dotted_key);
  } catch (const toml::parse_error&) {
    // The text parsed once already; fall through to the plain form.
  }
  return fmt::format("{}: key '{}' (default)", config.source_name, dotted_key);
}

sweep_config parse_config_text(std::string_view text, const std::string& source_name,
                               const std::vector<std::string>& overrides) {
  // toml++ would stop at a NUL with a message that quotes it (and so ends
  // there where it is printed), and reads UTF-16 as garbage: say what it is.
  int binary_line = 0;
  const std::string binary = not_text_reason(text, binary_line);
  if (!binary.empty()) throw config_error(fmt::format("{}:{}: {}", source_name, binary_line, binary));
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw config_error(fmt::format("{}:{}: TOML syntax error: {}", source_name,
                                   e.source().begin.line, shown(e.description(), 200)));
  }
  apply_overrides(root, overrides);
  sweep_config config = config_parser(source_name).parse(root);
  config.source_name = source_name;
  config.file_text = std::string(text);
  config.overrides = overrides;
  if (overrides.empty()) {
    config.source_text = config.file_text;
  } else {
    // The configuration as run, in a form that reads back to the same values
    // (toml++ writes floats with 17 significant digits). The first line names
    // the overrides, not the file: a resume from another directory (another
    // path to the same file) must find the same text.
    std::ostringstream resolved;
    resolved << "# the configuration file with";
    for (const std::string& o : overrides) resolved << " " << shown(override_source(o), 1000);
    resolved << "\n" << toml::toml_formatter(root) << "\n";
    config.source_text = resolved.str();
  }
  return config;
}

sweep_config parse_config_file(const std::string& path, const std::vector<std::string>& overrides) {
  // Only a regular file of at most max_config_bytes: a directory reads as
  // nothing, /dev/zero until memory runs out, a FIFO without a writer forever.
  std::string text;
  try {
    text = read_input_file(path, max_config_bytes, "a configuration");
  } catch (const input_file_error& e) {
    throw config_error(fmt::format("{}: {}", path, e.what()));
  }
  return parse_config_text(text, path, overrides);
}

std::string_view builtin_example_config() { return config_reading::paper_example; }

}  // namespace scaleham
