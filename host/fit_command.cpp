#include "fit_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "cuda_backend.hpp"
#include "backend_choice.hpp"
#include "h5.hpp"
#include "input_file.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "scaleham/config.hpp"

namespace scaleham {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// At most this many fits per backend call: the results of one call live in
/// host memory at once (about 150 bytes each). Datasets are never split.
constexpr std::uint64_t max_fits_per_call = std::uint64_t(1) << 22;

/// A decimal number (parse_decimal: no hexadecimal, which strtod would read).
double parse_number(const std::string& text, const std::string& what) {
  double v = nan;
  if (!parse_decimal(text, v)) throw std::invalid_argument(fmt::format("'{}' in {} is not a number", shown(text), what));
  return v;
}

std::string trimmed(const std::string& s) {
  const std::size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

double derived(const vft_fit<double>& f, int quantity) {
  switch (quantity) {
    case 0: return f.a;
    case 1: return f.B;
    case 2: return f.T_vf;
    case 3: return f.D;
    case 4: return f.Tg;
    default: return f.m;
  }
}

/// Fits and summarizes every dataset on the chosen backend, in calls of at
/// most max_fits_per_call fits (whole datasets), so memory stays bounded.
std::vector<dataset_result> fit_all(const std::vector<fit_dataset>& datasets, const fit_command_options& o,
                                    const vft_options<double>& options, bool use_cuda) {
  std::vector<dataset_result> results;
  const std::uint64_t per_dataset = o.bootstrap + 1;
  const std::size_t datasets_per_call =
      static_cast<std::size_t>(std::max<std::uint64_t>(1, max_fits_per_call / per_dataset));
  for (std::size_t first = 0; first < datasets.size(); first += datasets_per_call) {
    const std::size_t last = std::min(datasets.size(), first + datasets_per_call);
    const std::vector<fit_dataset> part(datasets.begin() + first, datasets.begin() + last);
    std::vector<vft_fit<double>> fits;
    if (use_cuda) {
      const packed_datasets packed(part);
      fits = cuda::fit_datasets(packed.table(), o.bootstrap, o.seed, options, o.device);
    } else {
      fits = fit_datasets_cpu(part, o.bootstrap, o.seed, options);
    }
    std::vector<dataset_result> chunk = summarize_fits(part, fits, o.bootstrap, o.lambdas, o.c);
    results.insert(results.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
  }
  return results;
}

// --- output file -------------------------------------------------------------------

/// A whole dataset of shape `dims` holding `values` (C order), chunked, uncompressed.
template <class T>
h5::dataset write_array(hid_t location, const std::string& name, const std::vector<hsize_t>& dims,
                        const std::vector<T>& values) {
  h5::dataset set = h5::create_dataset(location, name, h5::native_type<T>(), dims, 0);
  std::vector<hsize_t> start(dims.size(), 0);
  h5::write_hyperslab(set.get(), h5::native_type<T>(), start, dims, values.data());
  return set;
}

void write_contents(hid_t root, const fit_report& report) {
  const fit_command_options& o = report.options;
  const std::vector<dataset_result>& r = report.results;
  const hsize_t n = r.size();

  h5::write_attribute(root, "version", std::string_view(SCALEHAM_VERSION_STRING));
  for (const auto& [name, text] : process_provenance(o.command_line)) h5::write_attribute(root, name, text);
  h5::write_attribute(root, "model", std::string_view("ln y = a + B / (T - T_vf), y in its own units"));
  h5::write_attribute(root, "tg_level", o.tg_level);
  h5::write_attribute(root, "tg_log_level", std::log(o.tg_level));
  h5::write_attribute(root, "tg_level_source", report.tg_level_source);
  h5::write_attribute(root, "c", o.c);
  h5::write_attribute(root, "seed", o.seed);
  h5::write_attribute(root, "bootstrap", o.bootstrap);
  h5::write_attribute(root, "backend", report.backend);
  h5::write_attribute(root, "device", report.device);
  std::string files;
  for (std::size_t i = 0; i < o.files.size(); ++i)
    files += (i ? "\n" : "") + o.files[i] + " [" + report.y_columns[i] + "]";
  h5::write_attribute(root, "files", files);

  std::vector<std::string> names;
  for (const dataset_result& d : r) names.push_back(d.name);
  h5::dataset scale = h5::write_strings(root, "dataset", names);
  h5::describe(scale.get(), "1", "name of the dataset: file stem, and :value of the dataset column");
  h5::set_scale(scale.get(), "dataset");

  const auto column = [&](auto member) {
    std::vector<double> v;
    for (const dataset_result& d : r) v.push_back(d.fit.*member);
    return v;
  };
  struct real_field {
    const char* name;
    double vft_fit<double>::*member;
    const char* units;
    const char* long_name;
  };
  const real_field fields[] = {
      {"a", &vft_fit<double>::a, "1", "a = ln y0: natural log of the prefactor, y in its own units"},
      {"B", &vft_fit<double>::B, "K", "B of ln y = a + B/(T - T_vf) (= D T_vf)"},
      {"T_vf", &vft_fit<double>::T_vf, "K", "Vogel-Fulcher temperature T_vf"},
      {"D", &vft_fit<double>::D, "1", "strength D = B / T_vf"},
      {"Tg", &vft_fit<double>::Tg, "K", "Tg: temperature where y reaches tg_level"},
      {"m", &vft_fit<double>::m, "1", "fragility m = B Tg / (ln 10 (Tg - T_vf)^2)"},
      {"a_stderr", &vft_fit<double>::a_stderr, "1", "standard error of a (covariance at the optimum)"},
      {"B_stderr", &vft_fit<double>::B_stderr, "K", "standard error of B (covariance at the optimum)"},
      {"T_vf_stderr", &vft_fit<double>::T_vf_stderr, "K", "standard error of T_vf (covariance at the optimum)"},
      {"B_T_vf_correlation", &vft_fit<double>::B_T_vf_correlation, "1", "correlation of B and T_vf"},
      {"rms", &vft_fit<double>::rms, "1", "RMS residual of ln y"},
  };
  std::vector<h5::dataset> sets;
  for (const real_field& f : fields) {
    sets.push_back(write_array(root, f.name, {n}, column(f.member)));
    h5::describe(sets.back().get(), f.units, f.long_name);
  }
  std::vector<std::int32_t> n_points, iterations;
  std::vector<std::uint8_t> codes;
  for (const dataset_result& d : r) {
    n_points.push_back(d.fit.n_points);
    iterations.push_back(d.fit.iterations);
    codes.push_back(static_cast<std::uint8_t>(d.fit.code));
  }
  sets.push_back(write_array(root, "n_points", {n}, n_points));
  h5::describe(sets.back().get(), "1", "number of rows fitted");
  sets.push_back(write_array(root, "iterations", {n}, iterations));
  h5::describe(sets.back().get(), "1", "Levenberg-Marquardt iterations");
  sets.push_back(write_array(root, "status", {n}, codes));
  h5::describe(sets.back().get(), "1", "how the fit ended");
  h5::write_status_flags(sets.back().get());
  for (const h5::dataset& s : sets) h5::attach_scale(s.get(), 0, scale.get(), "dataset");

  if (o.bootstrap > 0) {
    h5::dataset quantile = h5::write_vector(root, "quantile", {0.025, 0.975});
    h5::describe(quantile.get(), "1", "quantile of the bootstrap distribution: the bounds of the 95% interval");
    h5::set_scale(quantile.get(), "quantile");
    std::vector<h5::dataset> ci_sets;
    for (std::size_t q = 0; q < ci_quantities.size(); ++q) {
      std::vector<double> values;
      for (const dataset_result& d : r) values.insert(values.end(), {d.ci[q].lo, d.ci[q].hi});
      ci_sets.push_back(write_array(root, std::string(ci_quantities[q]) + "_ci", {n, 2}, values));
      h5::describe(ci_sets.back().get(), fields[q].units,
               fmt::format("95% percentile bootstrap interval of {}", ci_quantities[q]));
      h5::attach_scale(ci_sets.back().get(), 1, quantile.get(), "quantile");
    }
    std::vector<std::uint64_t> used;
    for (const dataset_result& d : r) used.push_back(d.replicas_used);
    ci_sets.push_back(write_array(root, "bootstrap_replicas_used", {n}, used));
    h5::describe(ci_sets.back().get(), "1", "bootstrap replicas whose fit succeeded (ok or at_bound)");
    for (const h5::dataset& s : ci_sets) h5::attach_scale(s.get(), 0, scale.get(), "dataset");
  }

  if (!o.lambdas.empty()) {
    h5::dataset lambda = h5::write_vector(root, "lambda", o.lambdas);
    h5::describe(lambda.get(), "1", "lambda of the prediction A = lambda c B");
    h5::set_scale(lambda.get(), "lambda");
    std::vector<double> values;
    for (const dataset_result& d : r) values.insert(values.end(), d.A_predicted.begin(), d.A_predicted.end());
    h5::dataset A = write_array(root, "A_predicted", {n, hsize_t(o.lambdas.size())}, values);
    h5::describe(A.get(), "K", "the paper's prediction A = lambda c B (D T0 = A / lambda)");
    h5::attach_scale(A.get(), 0, scale.get(), "dataset");
    h5::attach_scale(A.get(), 1, lambda.get(), "lambda");
  }
}

// --- text --------------------------------------------------------------------------

std::string number(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

nlohmann::ordered_json json_number(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::vector<double> parse_lambda_spec(const std::string& spec) {
  std::vector<double> values;
  const std::string s = trimmed(spec);
  if (s.empty()) throw std::invalid_argument("--lambda is empty");
  if (s.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      const std::size_t colon = s.find(':', start);
      parts.push_back(trimmed(s.substr(start, colon == std::string::npos ? std::string::npos : colon - start)));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    if (parts.size() != 3) throw std::invalid_argument("--lambda range must be lo:hi:count, not '" + shown(spec) + "'");
    const double lo = parse_number(parts[0], "--lambda"), hi = parse_number(parts[1], "--lambda");
    char* stop = nullptr;
    const long count = std::strtol(parts[2].c_str(), &stop, 10);
    if (parts[2].empty() || stop != parts[2].c_str() + parts[2].size() || count < 1 || count > 1000000)
      throw std::invalid_argument("--lambda count '" + shown(parts[2]) + "' must be an integer from 1 to 1000000");
    if (count == 1 && lo != hi) throw std::invalid_argument("--lambda range with count 1 needs lo == hi");
    for (long i = 0; i < count; ++i)
      values.push_back(count == 1 ? lo : i == count - 1 ? hi : lo + (hi - lo) * double(i) / double(count - 1));
  } else {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = s.find(',', start);
      values.push_back(parse_number(trimmed(s.substr(start, comma == std::string::npos ? std::string::npos
                                                                                       : comma - start)),
                                    "--lambda"));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (double v : values)
    if (!(std::isfinite(v) && v > 0))
      throw std::invalid_argument(fmt::format("--lambda values must be finite and positive, not {}", v));
  return values;
}

double percentile(std::vector<double> values, double p) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return nan;
  std::sort(values.begin(), values.end());
  const double h = (double(values.size()) - 1) * p;
  const std::size_t lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  if (values[lo] == values[hi]) return values[lo];
  return values[lo] + (h - double(lo)) * (values[hi] - values[lo]);
}

std::vector<dataset_result> summarize_fits(const std::vector<fit_dataset>& datasets,
                                           const std::vector<vft_fit<double>>& fits, std::uint64_t replicas,
                                           const std::vector<double>& lambdas, double c) {
  if (fits.size() != datasets.size() * (replicas + 1))
    throw std::logic_error("summarize_fits: the batch does not match the datasets");
  std::vector<dataset_result> out;
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    dataset_result result;
    result.name = datasets[d].name;
    const std::size_t base = d * (replicas + 1);
    result.fit = fits[base];
    if (replicas > 0) {
      std::array<std::vector<double>, 6> samples;
      for (std::uint64_t r = 1; r <= replicas; ++r) {
        const vft_fit<double>& f = fits[base + r];
        if (!succeeded(f.code)) continue;
        ++result.replicas_used;
        for (int q = 0; q < 6; ++q) samples[q].push_back(derived(f, q));
      }
      for (int q = 0; q < 6; ++q) result.ci[q] = {percentile(samples[q], 0.025), percentile(samples[q], 0.975)};
    } else {
      result.ci.fill({nan, nan});
    }
    for (double lambda : lambdas) result.A_predicted.push_back(lambda * c * result.fit.B);
    out.push_back(std::move(result));
  }
  return out;
}

fit_report run_fit_command(const fit_command_options& options) {
  if (options.files.empty()) throw csv_error("no data files given");
  if (!(std::isfinite(options.tg_level) && options.tg_level > 0))
    throw std::invalid_argument("--tg-level must be finite and positive");
  if (!(std::isfinite(options.c) && options.c > 0)) throw std::invalid_argument("--c must be finite and positive");
  if (options.bootstrap > max_bootstrap)
    throw std::invalid_argument(fmt::format("--bootstrap must be at most {}", max_bootstrap));
  if (options.backend != "auto" && options.backend != "cpu" && options.backend != "cuda")
    throw std::invalid_argument("unknown backend '" + options.backend + "'");

  fit_report report;
  report.options = options;
  const std::vector<csv_file> files = read_fit_csvs(options.files, options.csv);
  std::vector<fit_dataset> datasets;
  for (const csv_file& f : files) {
    report.y_columns.push_back(fmt::format("T: {}, y: {} ({})", f.T_column, f.y_column, y_scale_name(f.scale)));
    datasets.insert(datasets.end(), f.datasets.begin(), f.datasets.end());
  }
  if (!options.output_path.empty()) {
    check_output_path(options.output_path, options.force);
    check_not_an_input(options.output_path, options.files);
  }
  // Tg's level before any work: columns that do not agree on one are bad input.
  std::vector<std::string> y_columns;
  for (const csv_file& f : files) y_columns.push_back(f.y_column);
  const tg_level_choice tg = tg_level_of(y_columns, options.tg_level, options.tg_level_given);
  if (!tg.note.empty() && !options.quiet) std::fprintf(stderr, "scaleham: %s\n", tg.note.c_str());
  report.options.tg_level = tg.level;
  report.tg_level_source = tg.source;

  const backend_choice backend = choose_backend(options.backend, "fitting", options.quiet, options.device);
  const bool use_cuda = backend.use_cuda;
  report.backend = backend.backend;
  report.device = backend.device;
  report.notice = backend.notice;

  vft_options<double> fit_options;
  fit_options.tg_log_level = std::log(tg.level);
  report.results = fit_all(datasets, options, fit_options, use_cuda);

  if (!options.output_path.empty()) write_fit_file(report, options.output_path, options.force);
  return report;
}

nlohmann::ordered_json fit_report_json(const fit_report& report) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const dataset_result& d : report.results) {
    const vft_fit<double>& f = d.fit;
    nlohmann::ordered_json o;
    o["name"] = d.name;
    o["status"] = status_name(f.code);
    o["a"] = json_number(f.a);
    o["B"] = json_number(f.B);
    o["T_vf"] = json_number(f.T_vf);
    o["D"] = json_number(f.D);
    o["Tg"] = json_number(f.Tg);
    o["m"] = json_number(f.m);
    o["rms"] = json_number(f.rms);
    o["n_points"] = f.n_points;
    o["a_stderr"] = json_number(f.a_stderr);
    o["B_stderr"] = json_number(f.B_stderr);
    o["T_vf_stderr"] = json_number(f.T_vf_stderr);
    o["B_T_vf_correlation"] = json_number(f.B_T_vf_correlation);
    o["iterations"] = f.iterations;
    if (report.options.bootstrap > 0) {
      for (std::size_t q = 0; q < ci_quantities.size(); ++q)
        o[std::string(ci_quantities[q]) + "_ci"] = {json_number(d.ci[q].lo), json_number(d.ci[q].hi)};
      o["bootstrap_replicas_used"] = d.replicas_used;
    }
    if (!report.options.lambdas.empty()) {
      nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < report.options.lambdas.size(); ++i)
        predictions.push_back({{"lambda", report.options.lambdas[i]}, {"A", json_number(d.A_predicted[i])}});
      o["lambda_prediction"] = predictions;
    }
    all.push_back(std::move(o));
  }
  return all;
}

std::string fit_report_table(const fit_report& report) {
  const fit_command_options& o = report.options;
  const bool boot = o.bootstrap > 0;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"dataset", "n", "status", "a", "B", "±", "T_vf", "±", "D", "Tg", "m", "rms"};
  if (boot) {
    for (const char* q : {"B", "T_vf", "Tg", "m"}) head.push_back(std::string(q) + " 95% CI");
  }
  rows.push_back(head);
  for (const dataset_result& d : report.results) {
    const vft_fit<double>& f = d.fit;
    std::vector<std::string> row = {d.name,         std::to_string(f.n_points), status_name(f.code),
                                    number(f.a),    number(f.B),                number(f.B_stderr),
                                    number(f.T_vf), number(f.T_vf_stderr),      number(f.D),
                                    number(f.Tg),   number(f.m),                number(f.rms)};
    if (boot)
      for (int q : {1, 2, 4, 5}) row.push_back("[" + number(d.ci[q].lo) + ", " + number(d.ci[q].hi) + "]");
    rows.push_back(std::move(row));
  }
  const auto width_of = [](const std::string& s) {
    std::size_t w = 0;  // UTF-8 code points (± is two bytes)
    for (unsigned char ch : s) w += (ch & 0xC0) != 0x80;
    return w;
  };
  std::vector<std::size_t> widths(head.size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width_of(row[i]));

  std::string out = fmt::format(
      "# VFT fit ln y = a + B/(T - T_vf): a = ln y0 (y in its own units), B, T_vf, Tg in K; "
      "Tg where y = {} ({}); m = fragility at Tg; rms of ln y; ± = standard error",
      number(o.tg_level), report.tg_level_source);
  if (boot)
    out += fmt::format("; 95% CI: percentile bootstrap, {} replicas, seed {}", o.bootstrap, o.seed);
  out += "\n";
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - width_of(row[i]), ' ');
      line += (i ? "  " : "") + (i == 0 || i == 2 ? row[i] + pad : pad + row[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }

  if (!o.lambdas.empty()) {
    out += fmt::format("\n# predicted A = λ·c·B (K), c = {}\n", number(o.c));
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> lambda_head = {"dataset"};
    for (double l : o.lambdas) lambda_head.push_back("λ=" + number(l));
    table.push_back(lambda_head);
    for (const dataset_result& d : report.results) {
      std::vector<std::string> row = {d.name};
      for (double A : d.A_predicted) row.push_back(number(A));
      table.push_back(std::move(row));
    }
    std::vector<std::size_t> w(lambda_head.size(), 0);
    for (const auto& row : table)
      for (std::size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], width_of(row[i]));
    for (const auto& row : table) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        const std::string pad(w[i] - width_of(row[i]), ' ');
        line += (i ? "  " : "") + (i == 0 ? row[i] + pad : pad + row[i]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  return out;
}

void write_fit_file(const fit_report& report, const std::string& path, bool force) {
  check_output_path(path, force);
  h5::quiet_errors();
  const std::string partial = path + ".partial";
  partial_file guard;
  try {
    h5::file file = h5::create_file(partial);
    guard.arm(partial);
    try {
      write_contents(file.get(), report);
    } catch (...) {
      h5::abandon(file);
      throw;
    }
    file.close();
  } catch (const h5_error& e) {
    throw output_error(std::string("writing ") + path + ": " + e.what());
  }
  publish(partial, path, force);
  guard.release();
}

}  // namespace scaleham
