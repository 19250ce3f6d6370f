// `scaleham fit -o FILE`: the report as HDF5 (layout in the README, "scaleham fit").
//
//   /dataset, /quantile, /row   dimension scales: dataset names; 0.025, 0.975
//                        (the ends of the 95% intervals); the index of every row read
//   /points/...          per row: T, y (in the report's units), weight, line,
//                        used, dataset_index (into /dataset)
//   /<law>/...           one group per law, with its own copies of the scales
//                        (and /vft/lambda with --lambda): parameters, errors,
//                        profile and bootstrap intervals, Tg, m, rms, chi2, aic,
//                        bic, delta_aic, status, ..., residual over `row`
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "fit_command.hpp"
#include "h5.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "scaleham/config.hpp"

namespace scaleham {
namespace {

/// Units of parameter j of a law as the file stores it.
const char* parameter_units(relaxation_model model, int j) {
  if (j == 0) return "1";
  if (model == relaxation_model::avramov_milchev) return j == 1 ? "K" : "1";
  return "K";
}

/// The dimension scales of one location: dataset names, the two ends of the
/// 95% intervals, the row index, and λ when given. Each law's group has its
/// own, so that it opens alone as a self-contained xarray Dataset
/// (xr.open_dataset(file, group="vft")): netCDF readers take a dimension's
/// coordinates from its group only.
struct scales {
  h5::dataset dataset, quantile, row, lambda;
};

scales write_scales(hid_t location, const fit_report& report, bool with_lambda) {
  scales s;
  std::vector<std::string> names;
  for (const dataset_result& d : report.results) names.push_back(d.name);
  s.dataset = h5::write_strings(location, "dataset", names);
  h5::describe(s.dataset.get(), "1", "name of the dataset: file stem, and :value of the dataset column");
  h5::set_scale(s.dataset.get(), "dataset");
  s.quantile = h5::write_vector(location, "quantile", {0.025, 0.975});
  h5::describe(s.quantile.get(), "1", "the ends of the 95% intervals (*_ci, *_profile): 2.5% and 97.5%");
  h5::set_scale(s.quantile.get(), "quantile");
  std::vector<std::uint64_t> rows;
  for (const dataset_result& d : report.results)
    for (std::size_t i = 0; i < d.data.T.size(); ++i) rows.push_back(rows.size());
  s.row = h5::write_array(location, "row", {hsize_t(rows.size())}, rows);
  h5::describe(s.row.get(), "1", "index of the row among all rows read (/points)");
  h5::set_scale(s.row.get(), "row");
  if (with_lambda && !report.options.lambdas.empty()) {
    s.lambda = h5::write_vector(location, "lambda", report.options.lambdas);
    h5::describe(s.lambda.get(), "1", "lambda of the prediction A = lambda c B");
    h5::set_scale(s.lambda.get(), "lambda");
  }
  return s;
}

void write_law(hid_t root, const fit_report& report, std::size_t law) {
  const fit_command_options& o = report.options;
  const relaxation_model model = o.models[law];
  const int k = model_parameter_count(model);
  const hsize_t n = report.results.size();
  h5::group group = h5::create_group(root, model_name(model));
  const hid_t g = group.get();
  const scales local = write_scales(g, report, model == relaxation_model::vft);
  const hid_t dataset_scale = local.dataset.get(), quantile_scale = local.quantile.get();
  const hid_t row_scale = local.row.get(), lambda_scale = local.lambda.get();
  const auto per_dataset = [&](auto value_of) {
    std::vector<decltype(value_of(report.results[0].models[law]))> v;
    for (const dataset_result& d : report.results) v.push_back(value_of(d.models[law]));
    return v;
  };
  std::vector<h5::dataset> by_dataset, by_dataset_pair;
  const auto add = [&](const std::string& name, const std::vector<double>& values, const char* units,
                       const std::string& long_name) {
    by_dataset.push_back(h5::write_array(g, name, {n}, values));
    h5::describe(by_dataset.back().get(), units, long_name);
  };
  const auto add_pairs = [&](const std::string& name, const std::vector<double>& values, const char* units,
                             const std::string& long_name) {
    by_dataset_pair.push_back(h5::write_array(g, name, {n, 2}, values));
    h5::describe(by_dataset_pair.back().get(), units, long_name);
  };
  const char* log_units = o.log10_units ? "log10" : "ln";
  for (int j = 0; j < k; ++j) {
    const std::string p = model_parameter_name(model, j);
    const char* units = parameter_units(model, j);
    add(p, per_dataset([&](const model_result& r) { return report.shown(model, j, r.fit.p[j]); }), units,
        fmt::format("{} of {} ({} units)", p, model_name(model), log_units));
    add(p + "_stderr", per_dataset([&](const model_result& r) { return report.shown(model, j, r.fit.stderr_[j]); }),
        units, fmt::format("standard error of {} (covariance at the optimum, every parameter free)", p));
    std::vector<double> profile;
    for (const dataset_result& d : report.results)
      profile.insert(profile.end(), {report.shown(model, j, d.models[law].profile[j].lo),
                                     report.shown(model, j, d.models[law].profile[j].hi)});
    add_pairs(p + "_profile", profile, units, fmt::format("95% profile-likelihood interval of {}", p));
  }
  if (model == relaxation_model::vft) {
    add("D", per_dataset([](const model_result& r) { return r.fit.p[1] / r.fit.p[2]; }), "1",
        "strength D = B / T_vf (B of ln y)");
    add("B_T_vf_correlation",
        per_dataset([](const model_result& r) { return r.fit.correlation12; }), "1",
        "correlation of B and T_vf");
  }
  add("Tg", per_dataset([](const model_result& r) { return r.fit.Tg; }), "K", "Tg: temperature where y reaches tg_level");
  add("m", per_dataset([](const model_result& r) { return r.fit.m; }), "1", "fragility d log10 y / d(Tg/T) at Tg");
  add("rms", per_dataset([&](const model_result& r) { return report.shown(model, 0, r.fit.rms); }), "1",
      fmt::format("RMS residual of {} y over the fitted rows", log_units));
  add("chi2", per_dataset([](const model_result& r) { return r.fit.chi2; }), "1",
      "chi-square: sum of (weight * (ln y - law))^2 over the fitted rows");
  add("aic", per_dataset([](const model_result& r) { return r.fit.aic; }), "1", "AIC = n ln(chi2/n) + 2k");
  add("bic", per_dataset([](const model_result& r) { return r.fit.bic; }), "1", "BIC = n ln(chi2/n) + k ln n");
  add("delta_aic", per_dataset([](const model_result& r) { return r.delta_aic; }), "1",
      "AIC minus the least AIC of the laws fitted to the dataset");
  std::vector<h5::dataset> counts;
  counts.push_back(h5::write_array(g, "n_points", {n}, per_dataset([](const model_result& r) { return r.fit.n_points; })));
  h5::describe(counts.back().get(), "1", "number of rows fitted");
  counts.push_back(h5::write_array(g, "iterations", {n}, per_dataset([](const model_result& r) { return r.fit.iterations; })));
  h5::describe(counts.back().get(), "1", "Levenberg-Marquardt iterations");
  counts.push_back(h5::write_array(
      g, "status", {n}, per_dataset([](const model_result& r) { return static_cast<std::uint8_t>(r.fit.code); })));
  h5::describe(counts.back().get(), "1", "how the fit ended");
  h5::write_status_flags(counts.back().get());
  if (o.bootstrap > 0) {
    for (int q : quantities_of(model)) {
      std::vector<double> values;
      for (const dataset_result& d : report.results) {
        const interval ci = d.models[law].ci[q];
        values.push_back(q < 3 ? report.shown(model, q, ci.lo) : ci.lo);
        values.push_back(q < 3 ? report.shown(model, q, ci.hi) : ci.hi);
      }
      add_pairs(std::string(quantity_name(model, q)) + "_ci", values, q < 3 ? parameter_units(model, q) : q == 4 ? "K" : "1",
                fmt::format("95% percentile bootstrap interval of {}", quantity_name(model, q)));
    }
    counts.push_back(h5::write_array(g, "bootstrap_replicas_used", {n},
                                 per_dataset([](const model_result& r) { return r.replicas_used; })));
    h5::describe(counts.back().get(), "1", "bootstrap replicas whose fit succeeded (ok or at_bound)");
    // The replicas' curves: their 2.5 and 97.5 percentiles at band_points
    // temperatures over each dataset's fitted range (NaN without replicas).
    std::vector<double> band_T, band;
    for (const dataset_result& d : report.results) {
      const model_result& r = d.models[law];
      for (int j = 0; j < band_points; ++j) {
        const bool have = r.band_T.size() == std::size_t(band_points);
        band_T.push_back(have ? r.band_T[j] : std::numeric_limits<double>::quiet_NaN());
        band.push_back(have ? report.shown(model, 0, r.band[j].lo) : std::numeric_limits<double>::quiet_NaN());
        band.push_back(have ? report.shown(model, 0, r.band[j].hi) : std::numeric_limits<double>::quiet_NaN());
      }
    }
    std::vector<std::int32_t> index(band_points);
    for (int j = 0; j < band_points; ++j) index[j] = j;
    h5::dataset band_point = h5::write_array(g, "band_point", {hsize_t(band_points)}, index);
    h5::describe(band_point.get(), "1", "index of the temperature of the bootstrap band");
    h5::set_scale(band_point.get(), "band_point");
    h5::dataset T_set = h5::write_array(g, "band_T", {n, hsize_t(band_points)}, band_T);
    h5::describe(T_set.get(), "K", "temperatures of the bootstrap band, evenly over the fitted rows' range");
    h5::attach_scale(T_set.get(), 0, dataset_scale, "dataset");
    h5::attach_scale(T_set.get(), 1, band_point.get(), "band_point");
    h5::dataset band_set = h5::write_array(g, "band", {n, hsize_t(band_points), 2}, band);
    h5::describe(band_set.get(), "1",
                 fmt::format("95% percentile band of the replicas' curves ({} y) at band_T", log_units));
    h5::attach_scale(band_set.get(), 0, dataset_scale, "dataset");
    h5::attach_scale(band_set.get(), 1, band_point.get(), "band_point");
    h5::attach_scale(band_set.get(), 2, quantile_scale, "quantile");
  }
  for (const h5::dataset& s : by_dataset) h5::attach_scale(s.get(), 0, dataset_scale, "dataset");
  for (const h5::dataset& s : counts) h5::attach_scale(s.get(), 0, dataset_scale, "dataset");
  for (const h5::dataset& s : by_dataset_pair) {
    h5::attach_scale(s.get(), 0, dataset_scale, "dataset");
    h5::attach_scale(s.get(), 1, quantile_scale, "quantile");
  }

  std::vector<double> residuals;
  for (const dataset_result& d : report.results)
    for (double r : d.models[law].residuals) residuals.push_back(report.shown(model, 0, r));
  h5::dataset residual = h5::write_array(g, "residual", {hsize_t(residuals.size())}, residuals);
  h5::describe(residual.get(), "1", fmt::format("{} y minus the law at each row (NaN where the fit failed)", log_units));
  h5::attach_scale(residual.get(), 0, row_scale, "row");

  if (model == relaxation_model::vft && !o.lambdas.empty()) {
    std::vector<double> values;
    for (const dataset_result& d : report.results) values.insert(values.end(), d.A_predicted.begin(), d.A_predicted.end());
    h5::dataset A = h5::write_array(g, "A_predicted", {n, hsize_t(o.lambdas.size())}, values);
    h5::describe(A.get(), "K", "the paper's prediction A = lambda c B (B of ln y; D T0 = A / lambda)");
    h5::attach_scale(A.get(), 0, dataset_scale, "dataset");
    h5::attach_scale(A.get(), 1, lambda_scale, "lambda");
  }
  h5::write_attribute(g, "formula", law_formula(model, false) +
                                        (o.log10_units ? "; parameters of ln y stored divided by ln 10" : ""));
}

void write_contents(hid_t root, const fit_report& report) {
  const fit_command_options& o = report.options;
  h5::write_attribute(root, "version", std::string_view(SCALEHAM_VERSION_STRING));
  for (const auto& [name, text] : process_provenance(o.command_line, "scaleham fit: relaxation laws fitted to measured data")) h5::write_attribute(root, name, text);
  std::string models;
  for (relaxation_model m : o.models) models += std::string(models.empty() ? "" : ",") + model_name(m);
  h5::write_attribute(root, "models", models);
  h5::write_attribute(root, "units", std::string_view(report.units_name()));
  h5::write_attribute(root, "tg_level", o.tg_level);
  h5::write_attribute(root, "tg_log_level", std::log(o.tg_level));
  h5::write_attribute(root, "tg_level_source", report.tg_level_source);
  h5::write_attribute(root, "sigma", std::string_view(!report.weighted ? "none"
                                                      : o.csv.sigma_relative ? "relative"
                                                                             : "absolute"));
  h5::write_attribute(root, "T_range", std::vector<double>{o.T_lo, o.T_hi});
  h5::write_attribute(root, "c", o.c);
  h5::write_attribute(root, "seed", o.seed);
  h5::write_attribute(root, "bootstrap", o.bootstrap);
  h5::write_attribute(root, "backend", report.backend);
  h5::write_attribute(root, "device", report.device);
  std::string files;
  for (std::size_t i = 0; i < o.files.size(); ++i)
    files += (i ? "\n" : "") + o.files[i] + " [" + report.y_columns[i] + "]";
  h5::write_attribute(root, "files", files);

  const scales shared = write_scales(root, report, false);

  // Every row read, in file order, dataset by dataset.
  std::vector<double> T, y, w;
  std::vector<std::int32_t> line;
  std::vector<std::uint8_t> used;
  std::vector<std::int32_t> owner;
  const double scale = o.log10_units ? 1 / 2.302585092994045684 : 1;
  for (std::size_t d = 0; d < report.results.size(); ++d) {
    const dataset_result& r = report.results[d];
    for (std::size_t i = 0; i < r.data.T.size(); ++i) {
      T.push_back(r.data.T[i]);
      y.push_back(r.data.y[i] * scale);
      w.push_back(r.data.w.empty() ? 1.0 : r.data.w[i]);
      line.push_back(r.data.line[i]);
      used.push_back(r.used[i]);
      owner.push_back(static_cast<std::int32_t>(d));
    }
  }
  h5::group points = h5::create_group(root, "points");
  const hsize_t rows = T.size();
  const hid_t row_scale = shared.row.get();
  std::vector<h5::dataset> sets;
  sets.push_back(h5::write_array(points.get(), "T", {rows}, T));
  h5::describe(sets.back().get(), "K", "temperature");
  sets.push_back(h5::write_array(points.get(), "y", {rows}, y));
  h5::describe(sets.back().get(), "1", fmt::format("{} of the measured y, in its own units", report.units_name()));
  sets.push_back(h5::write_array(points.get(), "weight", {rows}, w));
  h5::describe(sets.back().get(), "1", "weight 1/sigma of ln y (1 without --sigma-column)");
  sets.push_back(h5::write_array(points.get(), "line", {rows}, line));
  h5::describe(sets.back().get(), "1", "line of the row in its file");
  sets.push_back(h5::write_array(points.get(), "used", {rows}, used));
  h5::describe(sets.back().get(), "1", "1 when the row was fitted (within --T-range, not --exclude'd)");
  sets.push_back(h5::write_array(points.get(), "dataset_index", {rows}, owner));
  h5::describe(sets.back().get(), "1", "index of the row's dataset in /dataset");
  for (const h5::dataset& s : sets) h5::attach_scale(s.get(), 0, row_scale, "row");

  for (std::size_t law = 0; law < o.models.size(); ++law)
    write_law(root, report, law);
}

}  // namespace

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

std::vector<std::byte> fit_file_image(const fit_report& report) {
  const std::string name = "<in-memory fit>";
  h5::quiet_errors();
  try {
    h5::file file = h5::create_memory_file(name);
    write_contents(file.get(), report);
    std::vector<std::byte> image = h5::file_image(file, name);
    file.close();
    return image;
  } catch (const h5_error& e) {
    throw output_error("writing " + name + ": " + e.what());
  }
}

}  // namespace scaleham
