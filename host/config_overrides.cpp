#include "config_overrides.hpp"

#include <fmt/format.h>

#include <cctype>
#include <string_view>
#include <utility>

#include "config.hpp"
#include "input_file.hpp"

namespace scaleham {

namespace {

/// A bare word (letters, digits, _ - .) that TOML would not read as a value:
/// taken as a string, so `--set flow.p0=on_manifold` needs no shell quoting.
bool bare_word(std::string_view text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

/// KEY = VALUE read as TOML (the dotted KEY makes the sections, each key and
/// value with the override as its source), a bare-word VALUE as a string.
toml::table parse_override(const std::string& key, const std::string& value, const std::string& source) {
  try {
    return toml::parse(key + " = " + value, source);
  } catch (const toml::parse_error& e) {
    if (bare_word(value)) {
      try {
        return toml::parse(key + " = \"" + value + "\"", source);
      } catch (const toml::parse_error&) {
        // The key is what is wrong: said below.
      }
    }
    const bool key_ok = [&] {
      try {
        (void)toml::parse(key + " = 0", source);
        return true;
      } catch (const toml::parse_error&) {
        return false;
      }
    }();
    if (!key_ok)
      throw config_error(fmt::format("{}: '{}' is not a key path (SECTION.KEY, e.g. flow.rtol)", shown(source),
                                     shown(key)));
    throw config_error(fmt::format("{}: not a TOML value ({}); strings with other characters than letters, "
                                   "digits, _ - . need quotes: --set 'KEY=\"text\"'",
                                   shown(source), shown(e.description(), 200)));
  }
}

/// Puts every setting of `from` into `into`: sections merged, values replaced
/// (key and value both then carry the override's source).
void merge(toml::table& into, toml::table& from, const std::string& source, const std::string& path) {
  for (auto&& [key, node] : from) {
    const std::string here = path.empty() ? std::string(key.str()) : path + "." + std::string(key.str());
    toml::node* existing = into.get(key.str());
    if (existing != nullptr && existing->is_table() && node.is_table()) {
      merge(*existing->as_table(), *node.as_table(), source, here);
      continue;
    }
    if (existing != nullptr && !existing->is_table() && node.is_table())
      throw config_error(fmt::format("{}: '{}' is not a section", shown(source), shown(here)));
    into.erase(key.str());  // (replacing in place would keep the file's key and its line)
    into.insert_or_assign(key, std::move(node));
  }
}

}  // namespace

std::string override_source(const std::string& override_text) { return "--set " + override_text; }

bool is_override_source(const toml::source_region& where) {
  return where.path != nullptr && where.path->rfind("--set ", 0) == 0;
}

void apply_overrides(toml::table& root, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides) {
    const std::string source = override_source(text);
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0)
      throw config_error(fmt::format("{}: expected KEY=VALUE, e.g. --set flow.rtol=1e-10", shown(source)));
    toml::table parsed = parse_override(text.substr(0, equals), text.substr(equals + 1), source);
    merge(root, parsed, source, "");
  }
}

}  // namespace scaleham
