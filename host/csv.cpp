#include "csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>

namespace scaleham {
namespace {

constexpr int min_rows = 4;  // three parameters and one degree of freedom

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

/// A field: trimmed, with one pair of surrounding double quotes removed.
std::string field_text(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = trim(s.substr(1, s.size() - 2));
  return std::string(s);
}

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(field_text(line.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                                  : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

/// Index of the column named exactly `name`, or -1.
int find_exact(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : int(it - header.begin());
}

/// Index of the first column whose name is one of `candidates` (case
/// insensitive, earlier candidates first), skipping `exclude`; or -1.
int find_default(const std::vector<std::string>& header, std::initializer_list<const char*> candidates,
                 const std::vector<int>& exclude) {
  for (const char* candidate : candidates)
    for (std::size_t i = 0; i < header.size(); ++i)
      if (lower(header[i]) == lower(candidate) &&
          std::find(exclude.begin(), exclude.end(), int(i)) == exclude.end())
        return int(i);
  return -1;
}

int first_other(const std::vector<std::string>& header, const std::vector<int>& exclude) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (std::find(exclude.begin(), exclude.end(), int(i)) == exclude.end()) return int(i);
  return -1;
}

std::string stem_of(const std::string& source) { return std::filesystem::path(source).stem().string(); }

}  // namespace

const char* y_scale_name(y_scale s) {
  switch (s) {
    case y_scale::linear: return "linear";
    case y_scale::log10: return "log10";
    case y_scale::ln: return "ln";
  }
  return "?";
}

y_scale parse_y_scale(const std::string& name) {
  if (name == "linear") return y_scale::linear;
  if (name == "log10") return y_scale::log10;
  if (name == "ln") return y_scale::ln;
  throw std::invalid_argument("unknown y scale '" + name + "' (linear, log10 or ln)");
}

y_scale y_scale_of_column(const std::string& column_name) {
  const std::string name = lower(column_name);
  if (starts_with(name, "log10")) return y_scale::log10;
  if (starts_with(name, "ln_")) return y_scale::ln;
  return y_scale::linear;
}

csv_file parse_fit_csv(const std::string& text, const std::string& source, const csv_options& options) {
  csv_file out;
  out.path = source;
  const auto fail = [&](int line, const std::string& what) -> csv_error {
    return csv_error(fmt::format("{}:{}: {}", source, line, what));
  };

  std::vector<std::string> header;
  int header_line = 0;
  int T_col = -1, y_col = -1, set_col = -1;
  std::map<std::string, std::size_t> dataset_index;  // dataset value -> index in out.datasets
  const std::string stem = stem_of(source);

  int line_number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(position, end - position));
    position = end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;

    if (header.empty()) {
      header = split_fields(line);
      header_line = line_number;
      const auto choose = [&](const std::string& given, const char* option) {
        const int column = find_exact(header, given);
        if (column < 0)
          throw fail(line_number, fmt::format("no column '{}' ({}); the header has {}", given, option,
                                              quoted_list(header)));
        return column;
      };
      if (!options.dataset_column.empty()) set_col = choose(options.dataset_column, "--dataset-column");
      else set_col = find_exact(header, "dataset");
      const std::vector<int> not_set = set_col >= 0 ? std::vector<int>{set_col} : std::vector<int>{};
      if (!options.T_column.empty()) T_col = choose(options.T_column, "--T-column");
      else {
        T_col = find_default(header, {"T", "T_K", "temperature"}, not_set);
        if (T_col < 0) T_col = first_other(header, not_set);
      }
      std::vector<int> taken = not_set;
      taken.push_back(T_col);
      if (!options.y_column.empty()) y_col = choose(options.y_column, "--y-column");
      else {
        y_col = find_default(header, {"tau", "tau_s", "log10_tau", "log10_tau_s"}, taken);
        if (y_col < 0) y_col = first_other(header, taken);
      }
      if (T_col < 0 || y_col < 0)
        throw fail(line_number, fmt::format("the header has {} but a temperature and a y column are needed",
                                            quoted_list(header)));
      if (T_col == y_col)
        throw fail(line_number, fmt::format("column '{}' cannot be both the temperature and y", header[T_col]));
      if (set_col >= 0 && (set_col == T_col || set_col == y_col))
        throw fail(line_number, fmt::format("column '{}' cannot be the dataset column and a value column",
                                            header[set_col]));
      out.T_column = header[T_col];
      out.y_column = header[y_col];
      out.dataset_column = set_col >= 0 ? header[set_col] : std::string();
      out.scale = options.scale ? *options.scale : y_scale_of_column(out.y_column);
      continue;
    }

    const std::vector<std::string> fields = split_fields(line);
    if (fields.size() != header.size())
      throw fail(line_number, fmt::format("{} fields, but the header (line {}) has {}", fields.size(),
                                          header_line, header.size()));
    const auto number = [&](int column) {
      const std::string& f = fields[column];
      if (f.empty()) throw fail(line_number, fmt::format("empty value in column '{}'", header[column]));
      char* stop = nullptr;
      const double value = std::strtod(f.c_str(), &stop);
      if (stop != f.c_str() + f.size())
        throw fail(line_number, fmt::format("'{}' in column '{}' is not a number", f, header[column]));
      if (!std::isfinite(value))
        throw fail(line_number, fmt::format("'{}' in column '{}' is not finite", f, header[column]));
      return value;
    };
    const double T = number(T_col);
    if (!(T > 0))
      throw fail(line_number, fmt::format("temperature {} in column '{}' is not positive (kelvin)",
                                          fields[T_col], header[T_col]));
    const double value = number(y_col);
    double y = 0;
    switch (out.scale) {
      case y_scale::linear:
        if (!(value > 0))
          throw fail(line_number, fmt::format("{} in column '{}' is not positive (linear scale; use "
                                              "--y-scale log10 or ln for logarithms)",
                                              fields[y_col], header[y_col]));
        y = std::log(value);
        break;
      case y_scale::log10: y = value * 2.302585092994045684; break;
      case y_scale::ln: y = value; break;
    }
    if (!std::isfinite(y))
      throw fail(line_number, fmt::format("{} in column '{}' overflows its natural log", fields[y_col], header[y_col]));

    std::string key;
    if (set_col >= 0) {
      key = fields[set_col];
      if (key.empty()) throw fail(line_number, fmt::format("empty value in dataset column '{}'", header[set_col]));
    }
    auto [it, inserted] = dataset_index.try_emplace(key, out.datasets.size());
    if (inserted) {
      out.datasets.push_back(fit_dataset{set_col >= 0 ? stem + ":" + key : stem, {}, {}});
      out.first_line.push_back(line_number);
    }
    fit_dataset& d = out.datasets[it->second];
    d.T.push_back(T);
    d.y.push_back(y);
  }

  if (header.empty()) {
    if (line_number == 0) throw csv_error(source + ": the file is empty (no header line)");
    throw fail(line_number, "no header line (only comments or blank lines)");
  }
  if (out.datasets.empty())
    throw fail(header_line, fmt::format("no data rows after the header; a VFT fit needs at least {}", min_rows));
  for (std::size_t d = 0; d < out.datasets.size(); ++d) {
    const std::size_t rows = out.datasets[d].T.size();
    if (rows < std::size_t(min_rows)) {
      const std::string what =
          set_col >= 0 ? fmt::format("dataset '{}' (first row here) has {} row{}", out.datasets[d].name, rows,
                                     rows == 1 ? "" : "s")
                       : fmt::format("{} data row{}", rows, rows == 1 ? "" : "s");
      throw fail(out.first_line[d], fmt::format("{}; a VFT fit needs at least {}", what, min_rows));
    }
  }
  return out;
}

csv_file read_fit_csv(const std::string& path, const csv_options& options) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw csv_error(path + ": is a directory, not a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw csv_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw csv_error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return parse_fit_csv(text.str(), path, options);
}

std::vector<csv_file> read_fit_csvs(const std::vector<std::string>& paths, const csv_options& options) {
  std::vector<csv_file> files;
  std::map<std::string, int> stems;
  for (const std::string& path : paths) {
    files.push_back(read_fit_csv(path, options));
    ++stems[stem_of(path)];
  }
  for (csv_file& f : files) {
    if (stems[stem_of(f.path)] < 2) continue;
    const std::string stem = stem_of(f.path);
    for (fit_dataset& d : f.datasets) d.name = f.path + d.name.substr(stem.size());
  }
  return files;
}

}  // namespace scaleham
