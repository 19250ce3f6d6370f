#include "csv.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string_view>

#include "input_file.hpp"

namespace scaleham {
namespace {

constexpr int min_rows = 4;  // three parameters and one degree of freedom

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

/// A field: trimmed, with one pair of surrounding double quotes removed. A
/// view into the text: rows are read without allocating (issue 10).
std::string_view field_view(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = trim(s.substr(1, s.size() - 2));
  return s;
}

/// The fields of `line` into `fields` (cleared first; its capacity is reused
/// from row to row, so a file's rows cost no allocation once the first is read).
void split_fields(std::string_view line, std::vector<std::string_view>& fields) {
  fields.clear();
  while (true) {
    const std::size_t comma = line.find(',');
    fields.push_back(field_view(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

/// "'T', 'tau'": the names as messages show them (see shown()); at most 20,
/// so that a header of a million columns does not become a message of megabytes.
std::string quoted_list(const std::vector<std::string>& names) {
  constexpr std::size_t most = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) out += (i ? ", '" : "'") + shown(names[i]) + "'";
  if (names.size() > most) out += fmt::format(", ... ({} columns)", names.size());
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
  int T_col = -1, y_col = -1, set_col = -1, sigma_col = -1;
  std::map<std::string, std::size_t, std::less<>> dataset_index;  // dataset value -> index in out.datasets
  std::vector<std::string_view> fields;  // the current line's fields: views into `text`
  long current = -1;                     // the previous row's dataset, and its key
  std::string_view current_key;
  const std::string stem = stem_of(source);

  // NUL bytes would cut every message that quotes a field, and a UTF-16
  // file would read as a header of garbled names: refuse both, saying why.
  int binary_line = 0;
  const std::string reason = not_text_reason(text, binary_line);
  if (!reason.empty()) throw fail(binary_line, reason);
  // A UTF-8 byte-order mark (spreadsheets write one) is not part of the first name.
  std::size_t position = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;

  const auto next_of = [&](char c, std::size_t from) {
    const void* hit = std::memchr(text.data() + from, c, text.size() - from);
    return hit ? std::size_t(static_cast<const char*>(hit) - text.data()) : text.size();
  };
  std::size_t next_lf = next_of('\n', position), next_cr = next_of('\r', position);
  int line_number = 0;
  while (position < text.size()) {
    // Lines end with LF, CRLF or a lone CR (old Mac files, some instrument
    // software): each counts as one line, so CR-only files are read too.
    // The next LF and the next CR, each found by memchr and kept until the
    // line passes it (find_first_of("\r\n") called memchr once per byte of
    // the text: 30% of the reader). Kept, not searched again per line, so a
    // file of one kind of line ending stays linear in its size.
    if (next_lf < position) next_lf = next_of('\n', position);
    if (next_cr < position) next_cr = next_of('\r', position);
    const std::size_t end = next_lf < next_cr ? next_lf : next_cr;
    const std::string_view line = trim(std::string_view(text).substr(position, end - position));
    position = end + (end + 1 < text.size() && text[end] == '\r' && text[end + 1] == '\n' ? 2 : 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;

    if (header.empty()) {
      split_fields(line, fields);
      header.assign(fields.begin(), fields.end());
      header_line = line_number;
      // Columns are found by name, so a repeated name would silently pick the
      // first of the two (T_K,T_K). Empty names cannot be asked for: allowed.
      std::map<std::string_view, std::size_t> column_of;
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty()) continue;
        const auto [it, inserted] = column_of.try_emplace(header[i], i);
        if (!inserted)
          throw fail(line_number, fmt::format("column name '{}' appears twice in the header (columns {} and {}); "
                                              "column names must be unique",
                                              shown(header[i]), it->second + 1, i + 1));
      }
      const auto choose = [&](const std::string& given, const char* option) {
        const int column = find_exact(header, given);
        if (column < 0)
          throw fail(line_number, fmt::format("no column '{}' ({}); the header has {}", shown(given), option,
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
        throw fail(line_number, fmt::format("column '{}' cannot be both the temperature and y", shown(header[T_col])));
      if (set_col >= 0 && (set_col == T_col || set_col == y_col))
        throw fail(line_number, fmt::format("column '{}' cannot be the dataset column and a value column",
                                            shown(header[set_col])));
      if (!options.sigma_column.empty()) {
        sigma_col = choose(options.sigma_column, "--sigma-column");
        if (sigma_col == T_col || sigma_col == y_col || sigma_col == set_col)
          throw fail(line_number, fmt::format("column '{}' cannot be the σ column and another one",
                                              shown(header[sigma_col])));
        out.sigma_column = header[sigma_col];
      }
      out.T_column = header[T_col];
      out.y_column = header[y_col];
      out.dataset_column = set_col >= 0 ? header[set_col] : std::string();
      out.scale = options.scale ? *options.scale : y_scale_of_column(out.y_column);
      continue;
    }

    split_fields(line, fields);
    if (fields.size() != header.size())
      throw fail(line_number, fmt::format("{} fields, but the header (line {}) has {}", fields.size(),
                                          header_line, header.size()));
    const auto number = [&](int column) {
      const std::string_view f = fields[column];
      if (f.empty()) throw fail(line_number, fmt::format("empty value in column '{}'", shown(header[column])));
      // Decimal only: strtod alone would read 0x2BC as 700.
      double value = 0;
      if (!parse_decimal(f, value))
        throw fail(line_number, fmt::format("'{}' in column '{}' is not a number", shown(f),
                                            shown(header[column])));
      if (!std::isfinite(value))
        throw fail(line_number, fmt::format("'{}' in column '{}' is not finite", shown(f), shown(header[column])));
      return value;
    };
    const double T = number(T_col);
    if (!(T > 0))
      throw fail(line_number, fmt::format("temperature {} in column '{}' is not positive (kelvin)",
                                          shown(fields[T_col]), shown(header[T_col])));
    const double value = number(y_col);
    double y = 0;
    switch (out.scale) {
      case y_scale::linear:
        if (!(value > 0))
          throw fail(line_number, fmt::format("{} in column '{}' is not positive (linear scale; use "
                                              "--y-scale log10 or ln for logarithms)",
                                              shown(fields[y_col]), shown(header[y_col])));
        y = std::log(value);
        break;
      case y_scale::log10: y = value * 2.302585092994045684; break;
      case y_scale::ln: y = value; break;
    }
    if (!std::isfinite(y))
      throw fail(line_number, fmt::format("{} in column '{}' overflows its natural log", shown(fields[y_col]),
                                          shown(header[y_col])));

    double w = 1;
    if (sigma_col >= 0) {
      const double sigma = number(sigma_col);
      if (!(sigma > 0))
        throw fail(line_number, fmt::format("σ {} in column '{}' is not positive", shown(fields[sigma_col]),
                                            shown(header[sigma_col])));
      double sigma_ln = sigma;  // relative σ, and absolute σ of ln y
      if (!options.sigma_relative && out.scale == y_scale::linear) sigma_ln = sigma / value;
      if (!options.sigma_relative && out.scale == y_scale::log10) sigma_ln = sigma * 2.302585092994045684;
      w = 1 / sigma_ln;
      if (!(std::isfinite(w) && w > 0))
        throw fail(line_number, fmt::format("σ {} in column '{}' gives no finite weight", shown(fields[sigma_col]),
                                            shown(header[sigma_col])));
    }

    std::string_view key;
    if (set_col >= 0) {
      key = fields[set_col];
      if (key.empty()) throw fail(line_number, fmt::format("empty value in dataset column '{}'", shown(header[set_col])));
    }
    // Rows of one dataset usually come together: the previous row's dataset
    // first, then the map, looked up by the view (std::less<>: no key string).
    if (current < 0 || key != current_key) {
      auto it = dataset_index.find(key);
      if (it == dataset_index.end()) {
        it = dataset_index.emplace(std::string(key), out.datasets.size()).first;
        out.datasets.push_back(fit_dataset{set_col >= 0 ? stem + ":" + std::string(key) : stem, {}, {}, {}, {}});
        out.first_line.push_back(line_number);
      }
      current = static_cast<long>(it->second);
      current_key = key;  // a view into `text`, which outlives the loop
    }
    fit_dataset& d = out.datasets[static_cast<std::size_t>(current)];
    d.T.push_back(T);
    d.y.push_back(y);
    if (sigma_col >= 0) d.w.push_back(w);
    d.line.push_back(line_number);
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
          set_col >= 0 ? fmt::format("dataset '{}' (first row here) has {} row{}", shown(out.datasets[d].name), rows,
                                     rows == 1 ? "" : "s")
                       : fmt::format("{} data row{}", rows, rows == 1 ? "" : "s");
      throw fail(out.first_line[d], fmt::format("{}; a VFT fit needs at least {}", what, min_rows));
    }
  }
  return out;
}

csv_file read_fit_csv(const std::string& path, const csv_options& options) {
  // Only regular files of at most max_csv_bytes: /dev/zero would be read until
  // memory runs out and a FIFO without a writer would block forever.
  std::string text;
  try {
    text = read_input_file(path, max_csv_bytes, "a CSV file");
  } catch (const input_file_error& e) {
    throw csv_error(fmt::format("{}: {}", path, e.what()));
  }
  return parse_fit_csv(text, path, options);
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
  // The names label the results (the table, the JSON, the `dataset` scale of
  // the HDF5 file): two datasets with one name could not be told apart. They
  // can still clash: a file given twice, or "x.csv" with dataset value "b"
  // beside a file "x:b.csv".
  std::map<std::string, std::pair<std::size_t, std::size_t>> seen;  // name -> (file, dataset)
  for (std::size_t f = 0; f < files.size(); ++f)
    for (std::size_t d = 0; d < files[f].datasets.size(); ++d) {
      const auto [it, inserted] = seen.try_emplace(files[f].datasets[d].name, f, d);
      if (inserted) continue;
      const csv_file& earlier = files[it->second.first];
      if (earlier.path == files[f].path)
        throw csv_error(fmt::format("{}: the file is given twice", shown(files[f].path, 200)));
      throw csv_error(fmt::format(
          "{}:{}: dataset name '{}' is also the name of a dataset of {} (line {}); every dataset needs its own "
          "name: rename a file or a dataset value",
          files[f].path, files[f].first_line[d], shown(files[f].datasets[d].name), earlier.path,
          earlier.first_line[it->second.second]));
    }
  return files;
}

}  // namespace scaleham
