#include "fit_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>

#include "backend_choice.hpp"
#include "cuda_backend.hpp"
#include "input_file.hpp"
#include "output.hpp"
#include "output_file.hpp"

namespace scaleham {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double ln10 = 2.302585092994045684;

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

std::vector<std::string> split(const std::string& s, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(separator, start);
    parts.push_back(trimmed(s.substr(start, at == std::string::npos ? std::string::npos : at - start)));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

/// The rows each --exclude spec names, as (file index, line) pairs. A spec is
/// [FILE:]LINE[,LINE...]; FILE is a path as given on the command line or its
/// file name, and may be left out when there is one file. Every line must be
/// a data row of that file.
std::map<std::size_t, std::vector<int>> excluded_lines(const std::vector<std::string>& specs,
                                                       const std::vector<csv_file>& files) {
  std::map<std::size_t, std::vector<int>> out;
  for (const std::string& spec : specs) {
    std::string lines = spec;
    std::size_t file = 0;
    const std::size_t colon = spec.rfind(':');
    if (colon != std::string::npos) {
      const std::string name = spec.substr(0, colon);
      lines = spec.substr(colon + 1);
      std::size_t found = files.size();
      for (std::size_t f = 0; f < files.size(); ++f)
        if (files[f].path == name || std::filesystem::path(files[f].path).filename().string() == name) {
          if (found != files.size())
            throw std::invalid_argument(fmt::format("--exclude '{}': '{}' names more than one file; give its path",
                                                    shown(spec), shown(name)));
          found = f;
        }
      if (found == files.size())
        throw std::invalid_argument(fmt::format("--exclude '{}': no data file '{}' was given", shown(spec), shown(name)));
      file = found;
    } else if (files.size() > 1) {
      throw std::invalid_argument(
          fmt::format("--exclude '{}': with several data files write FILE:LINE (e.g. {}:12)", shown(spec),
                      std::filesystem::path(files[0].path).filename().string()));
    }
    for (const std::string& text : split(lines, ',')) {
      char* stop = nullptr;
      const long line = std::strtol(text.c_str(), &stop, 10);
      if (text.empty() || stop != text.c_str() + text.size() || line < 1 || line > std::numeric_limits<int>::max())
        throw std::invalid_argument(
            fmt::format("--exclude '{}': '{}' is not a line number ([FILE:]LINE[,LINE...])", shown(spec), shown(text)));
      bool is_row = false;
      for (const fit_dataset& d : files[file].datasets)
        is_row = is_row || std::find(d.line.begin(), d.line.end(), int(line)) != d.line.end();
      if (!is_row)
        throw std::invalid_argument(fmt::format("--exclude '{}': line {} of {} is not a data row", shown(spec), line,
                                                shown(files[file].path)));
      out[file].push_back(static_cast<int>(line));
    }
  }
  return out;
}

/// The rows of `d` that are fitted.
fit_dataset used_rows(const fit_dataset& d, const std::vector<std::uint8_t>& used) {
  fit_dataset out{d.name, {}, {}, {}, {}};
  for (std::size_t i = 0; i < d.T.size(); ++i) {
    if (!used[i]) continue;
    out.T.push_back(d.T[i]);
    out.y.push_back(d.y[i]);
    if (!d.w.empty()) out.w.push_back(d.w[i]);
    out.line.push_back(d.line[i]);
  }
  return out;
}

/// One law fitted to every dataset (and its replicas) on the chosen backend,
/// in calls of at most max_fits_per_call fits (whole datasets).
std::vector<model_result> fit_law(relaxation_model model, const std::vector<fit_dataset>& datasets,
                                  const fit_command_options& o, const model_options<double>& options, bool use_cuda) {
  std::vector<model_result> results;
  const std::uint64_t per_dataset = o.bootstrap + 1;
  const std::size_t datasets_per_call =
      static_cast<std::size_t>(std::max<std::uint64_t>(1, max_fits_per_call / per_dataset));
  for (std::size_t first = 0; first < datasets.size(); first += datasets_per_call) {
    const std::size_t last = std::min(datasets.size(), first + datasets_per_call);
    const std::vector<fit_dataset> part(datasets.begin() + first, datasets.begin() + last);
    std::vector<model_fit<double>> fits;
    if (use_cuda) {
      const packed_datasets packed(part);
      fits = cuda::fit_datasets(packed.table(), model, o.bootstrap, o.seed, options, o.device);
    } else {
      fits = fit_datasets_cpu(part, model, o.bootstrap, o.seed, options);
    }
    std::vector<model_result> chunk = summarize_fits(model, fits, part, o.bootstrap);
    results.insert(results.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
  }
  return results;
}

}  // namespace

std::vector<int> quantities_of(relaxation_model model) {
  std::vector<int> q;
  for (int j = 0; j < model_parameter_count(model); ++j) q.push_back(j);
  if (model == relaxation_model::vft) q.push_back(3);
  q.push_back(4);
  q.push_back(5);
  return q;
}

const char* quantity_name(relaxation_model model, int quantity) {
  if (quantity < 3) return model_parameter_name(model, quantity);
  return quantity == 3 ? "D" : quantity == 4 ? "Tg" : "m";
}

double quantity_value(const model_fit<double>& fit, int quantity) {
  switch (quantity) {
    case 0: case 1: case 2: return fit.p[quantity];
    case 3: return fit.p[1] / fit.p[2];
    case 4: return fit.Tg;
    default: return fit.m;
  }
}

const model_result* dataset_result::vft() const {
  for (const model_result& m : models)
    if (m.model == relaxation_model::vft) return &m;
  return nullptr;
}

double fit_report::shown(relaxation_model model, int parameter, double value) const {
  return options.log10_units && model_parameter_in_log_units(model, parameter) ? value / ln10 : value;
}

std::vector<relaxation_model> parse_model_list(const std::string& spec) {
  std::vector<relaxation_model> models;
  const auto add = [&](relaxation_model m) {
    if (std::find(models.begin(), models.end(), m) == models.end()) models.push_back(m);
  };
  for (const std::string& name : split(spec, ',')) {
    if (name == "vft") add(relaxation_model::vft);
    else if (name == "myega") add(relaxation_model::myega);
    else if (name == "avramov_milchev" || name == "am") add(relaxation_model::avramov_milchev);
    else if (name == "arrhenius") add(relaxation_model::arrhenius);
    else if (name == "all")
      for (int m = 0; m < relaxation_model_count; ++m) add(static_cast<relaxation_model>(m));
    else
      throw std::invalid_argument(fmt::format(
          "unknown model '{}' (vft, myega, avramov_milchev or am, arrhenius, all; several with commas)", shown(name)));
  }
  return models;
}

void parse_T_range(const std::string& spec, double& lo, double& hi) {
  const std::vector<std::string> parts = split(spec, ':');
  if (parts.size() != 2 || (parts[0].empty() && parts[1].empty()))
    throw std::invalid_argument(fmt::format("--T-range must be LO:HI (either may be empty), not '{}'", shown(spec)));
  lo = parts[0].empty() ? 0.0 : parse_number(parts[0], "--T-range");
  hi = parts[1].empty() ? std::numeric_limits<double>::infinity() : parse_number(parts[1], "--T-range");
  if (!(lo >= 0 && hi > lo && !std::isnan(hi)) || std::isinf(lo))
    throw std::invalid_argument(fmt::format("--T-range '{}' must have 0 <= LO < HI", shown(spec)));
}

std::vector<double> parse_lambda_spec(const std::string& spec) {
  std::vector<double> values;
  const std::string s = trimmed(spec);
  if (s.empty()) throw std::invalid_argument("--lambda is empty");
  if (s.find(':') != std::string::npos) {
    const std::vector<std::string> parts = split(s, ':');
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
    for (const std::string& part : split(s, ',')) values.push_back(parse_number(part, "--lambda"));
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

std::vector<model_result> summarize_fits(relaxation_model model, const std::vector<model_fit<double>>& fits,
                                         const std::vector<fit_dataset>& datasets, std::uint64_t replicas) {
  if (fits.size() != datasets.size() * (replicas + 1))
    throw std::logic_error("summarize_fits: the batch does not match the datasets");
  std::vector<model_result> out;
  for (std::size_t d = 0; d < datasets.size(); ++d) {
    model_result result;
    result.model = model;
    const std::size_t base = d * (replicas + 1);
    result.fit = fits[base];
    result.ci.fill({nan, nan});
    result.profile.fill({nan, nan});
    if (replicas > 0) {
      std::array<std::vector<double>, 6> samples;
      for (std::uint64_t r = 1; r <= replicas; ++r) {
        const model_fit<double>& f = fits[base + r];
        if (!succeeded(f.code)) continue;
        ++result.replicas_used;
        for (int q : quantities_of(model)) samples[q].push_back(quantity_value(f, q));
      }
      for (int q : quantities_of(model)) result.ci[q] = {percentile(samples[q], 0.025), percentile(samples[q], 0.975)};
      // The band: every successful replica's curve at band_points temperatures.
      const std::vector<double>& T = datasets[d].T;
      if (!T.empty() && result.replicas_used > 0) {
        const auto [lo, hi] = std::minmax_element(T.begin(), T.end());
        std::vector<double> curve;
        for (int j = 0; j < band_points; ++j) {
          const double t = j == band_points - 1 ? *hi : *lo + (*hi - *lo) * j / (band_points - 1);
          curve.clear();
          for (std::uint64_t r = 1; r <= replicas; ++r)
            if (succeeded(fits[base + r].code)) curve.push_back(model_log_y(model, t, fits[base + r].p));
          result.band_T.push_back(t);
          result.band.push_back({percentile(curve, 0.025), percentile(curve, 0.975)});
        }
      }
    }
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
  if (options.models.empty()) throw std::invalid_argument("--model names no law");
  const bool with_vft =
      std::find(options.models.begin(), options.models.end(), relaxation_model::vft) != options.models.end();
  if (!with_vft && !options.lambdas.empty())
    throw std::invalid_argument("--lambda predicts A = lambda*c*B from the VFT fit: add vft to --model");
  if (!with_vft && !options.emit_config_dir.empty())
    throw std::invalid_argument("--emit-config writes the theory of the VFT fit: add vft to --model");

  fit_report report;
  report.options = options;
  const std::vector<csv_file> files = read_fit_csvs(options.files, options.csv);
  const std::map<std::size_t, std::vector<int>> excluded = excluded_lines(options.exclude, files);
  std::vector<fit_dataset> fitted;  // the used rows of each dataset, in results' order
  for (std::size_t f = 0; f < files.size(); ++f) {
    const csv_file& file = files[f];
    report.y_columns.push_back(fmt::format("T: {}, y: {} ({}){}", file.T_column, file.y_column,
                                           y_scale_name(file.scale),
                                           file.sigma_column.empty() ? "" : ", sigma: " + file.sigma_column));
    report.weighted = !file.sigma_column.empty();
    const auto drop = excluded.find(f);
    for (const fit_dataset& d : file.datasets) {
      dataset_result result;
      result.name = d.name;
      result.data = d;
      for (std::size_t i = 0; i < d.T.size(); ++i) {
        const bool dropped = drop != excluded.end() &&
                             std::find(drop->second.begin(), drop->second.end(), d.line[i]) != drop->second.end();
        result.used.push_back(!dropped && d.T[i] >= options.T_lo && d.T[i] <= options.T_hi);
      }
      fitted.push_back(used_rows(d, result.used));
      report.results.push_back(std::move(result));
    }
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
  report.backend = backend.backend;
  report.device = backend.device;
  report.notice = backend.notice;

  model_options<double> fit_options;
  fit_options.base.tg_log_level = std::log(tg.level);
  fit_options.absolute_sigma = report.weighted && !options.csv.sigma_relative;
  for (relaxation_model model : options.models) {
    const std::vector<model_result> law = fit_law(model, fitted, options, fit_options, backend.use_cuda);
    for (std::size_t d = 0; d < law.size(); ++d) report.results[d].models.push_back(law[d]);
  }
  // Per fit: profile intervals (on the CPU: a few hundred small fits), the
  // residuals at every row, ΔAIC among the laws; A = λ·c·B.
  for (std::size_t d = 0; d < report.results.size(); ++d) {
    dataset_result& result = report.results[d];
    double best_aic = std::numeric_limits<double>::infinity();
    for (const model_result& m : result.models)
      if (succeeded(m.fit.code)) best_aic = std::min(best_aic, m.fit.aic);
    for (model_result& m : result.models) {
      m.profile = profile_intervals(fitted[d], m.model, m.fit, fit_options);
      for (std::size_t i = 0; i < result.data.T.size(); ++i)
        m.residuals.push_back(succeeded(m.fit.code) ? result.data.y[i] - model_log_y(m.model, result.data.T[i], m.fit.p)
                                                    : nan);
      m.delta_aic = succeeded(m.fit.code) ? m.fit.aic - best_aic : nan;
    }
    if (const model_result* vft = result.vft())
      for (double lambda : options.lambdas) result.A_predicted.push_back(lambda * options.c * vft->fit.p[1]);
  }

  if (!options.emit_config_dir.empty())
    report.emitted = emit_sweep_configs(report, options.emit_config_dir, options.force);
  if (!options.output_path.empty()) write_fit_file(report, options.output_path, options.force);
  return report;
}

}  // namespace scaleham
