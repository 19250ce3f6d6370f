// Reading a sweep configuration from TOML (schema: docs/config.md).
//
// Every problem with a configuration is reported before anything runs, as one
// config_error that names the source, the line and the key, e.g.
//   sweep.toml:12: key 'flow.rtol': must be 0 or in [2.2e-14, 1), got -1
// Unknown sections and keys are errors (with a suggestion for near misses), so
// a typo never silently falls back to a default.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sweep_config.hpp"

namespace scaleham {

/// Bad configuration: unreadable file, TOML syntax error, unknown key, wrong
/// type or impossible value. The message names the source, the line (where
/// known) and the key. The CLI maps it to exit code 2.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reads and validates the TOML file at `path` (source_name = path), with
/// `overrides` as parse_config_text takes them. Throws config_error, also when
/// the file cannot be read.
sweep_config parse_config_file(const std::string& path, const std::vector<std::string>& overrides = {});

/// Parses and validates TOML `text`; `source_name` prefixes every error message
/// and is stored in sweep_config::source_name. `overrides` ("KEY=VALUE",
/// `--set`) replace or add settings before validation; an error about one of
/// them names it ("--set flow.rtol=-1: key 'flow.rtol': ..."), and the
/// resolved TOML becomes source_text (config_overrides.hpp). Throws config_error.
sweep_config parse_config_text(std::string_view text, const std::string& source_name,
                               const std::vector<std::string>& overrides = {});

/// "SOURCE:LINE: key 'KEY'" where the config sets `dotted_key` (e.g.
/// "flow.rtol"), or "SOURCE: key 'KEY' (default)" where it leaves it at its
/// default: the start of a config_error message about that key found after
/// parsing (checks that depend on the command line, like --precision).
std::string config_key_location(const sweep_config& config, const std::string& dotted_key);

/// TOML text of the built-in example (the paper's worked example, docs/design.md §1.4),
/// byte-identical to examples/paper.toml.
std::string_view builtin_example_config();

}  // namespace scaleham
