// `scaleham run CONFIG --set KEY=VALUE ...`: settings of the configuration
// replaced or added from the command line before it is validated, so every
// override passes the same checks as the file, with the same messages, naming
// the override ("--set flow.rtol=-1: key 'flow.rtol': must be ..."). Private
// to the configuration reader (config.cpp, config_parser.hpp).
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

namespace scaleham {

/// Applies "KEY=VALUE" overrides to `root`, in order: KEY is a dotted path of
/// tables ("flow.rtol", "output.curves"; missing tables are created), VALUE a
/// TOML value ("1e-10", "true", "[0.1, 0.2, 3]", "\"on_manifold\"", or a bare
/// word as a string: on_manifold). Each inserted value's source names its
/// override (override_source). Throws config_error for a malformed override.
void apply_overrides(toml::table& root, const std::vector<std::string>& overrides);

/// The source name an override's value carries: "--set KEY=VALUE".
std::string override_source(const std::string& override_text);

/// Whether a node's source is an override (its name starts with "--set ").
bool is_override_source(const toml::source_region& where);

}  // namespace scaleham
