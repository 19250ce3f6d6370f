// `scaleham fit`: the report as a table (the default) and as JSON (--json).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "fit_command.hpp"

namespace scaleham {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.6g}", v);
}

nlohmann::ordered_json json_number(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

std::size_t width_of(const std::string& s) {
  std::size_t w = 0;  // UTF-8 code points (± is two bytes)
  for (unsigned char ch : s) w += (ch & 0xC0) != 0x80;
  return w;
}

/// Rows of cells as aligned text: the first `left` columns left-aligned, the rest right.
std::string aligned(const std::vector<std::vector<std::string>>& rows, std::size_t left) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width_of(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - width_of(row[i]), ' ');
      line += (i ? "  " : "") + (i < left ? row[i] + pad : pad + row[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string shown_interval(double lo, double hi) { return "[" + number(lo) + ", " + number(hi) + "]"; }

}  // namespace

std::string law_formula(relaxation_model model, bool log10) {
  const char* y = log10 ? "log10 y" : "ln y";
  switch (model) {
    case relaxation_model::vft: return fmt::format("{} = a + B/(T - T_vf)", y);
    case relaxation_model::myega: return fmt::format("{} = a + (K/T) exp(C/T)", y);
    case relaxation_model::avramov_milchev:
      return log10 ? "log10 y = a + (T_A/T)^alpha / ln 10" : "ln y = a + (T_A/T)^alpha";
    default: return fmt::format("{} = a + E/T", y);
  }
}

nlohmann::ordered_json fit_report_json(const fit_report& report) {
  const fit_command_options& options = report.options;
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const dataset_result& d : report.results) {
    for (const model_result& r : d.models) {
      const model_fit<double>& f = r.fit;
      const relaxation_model model = r.model;
      const int k = model_parameter_count(model);
      nlohmann::ordered_json o;
      o["name"] = d.name;
      o["model"] = model_name(model);
      o["status"] = status_name(f.code);
      o["units"] = report.units_name();
      for (int j = 0; j < k; ++j) o[model_parameter_name(model, j)] = json_number(report.shown(model, j, f.p[j]));
      if (model == relaxation_model::vft) o["D"] = json_number(f.p[1] / f.p[2]);
      o["Tg"] = json_number(f.Tg);
      o["m"] = json_number(f.m);
      o["rms"] = json_number(report.shown(model, 0, f.rms));
      o["chi2"] = json_number(f.chi2);
      o["aic"] = json_number(f.aic);
      o["bic"] = json_number(f.bic);
      o["delta_aic"] = json_number(r.delta_aic);
      o["n_points"] = f.n_points;
      for (int j = 0; j < k; ++j)
        o[std::string(model_parameter_name(model, j)) + "_stderr"] = json_number(report.shown(model, j, f.stderr_[j]));
      for (int j = 0; j < k; ++j)
        o[std::string(model_parameter_name(model, j)) + "_profile"] = {
            json_number(report.shown(model, j, r.profile[j].lo)), json_number(report.shown(model, j, r.profile[j].hi))};
      if (k == 3) {
        const double correlation = f.correlation12;
        o[fmt::format("{}_{}_correlation", model_parameter_name(model, 1), model_parameter_name(model, 2))] =
            json_number(correlation);
      }
      o["iterations"] = f.iterations;
      if (options.bootstrap > 0) {
        for (int q : quantities_of(model)) {
          const double lo = q < 3 ? report.shown(model, q, r.ci[q].lo) : r.ci[q].lo;
          const double hi = q < 3 ? report.shown(model, q, r.ci[q].hi) : r.ci[q].hi;
          o[std::string(quantity_name(model, q)) + "_ci"] = {json_number(lo), json_number(hi)};
        }
        o["bootstrap_replicas_used"] = r.replicas_used;
        nlohmann::ordered_json lo = nlohmann::ordered_json::array(), hi = nlohmann::ordered_json::array();
        for (const interval& b : r.band) lo.push_back(json_number(report.shown(model, 0, b.lo))),
                                         hi.push_back(json_number(report.shown(model, 0, b.hi)));
        o["band"] = {{"T", r.band_T}, {"lo", lo}, {"hi", hi}};
      }
      if (model == relaxation_model::vft && !options.lambdas.empty()) {
        nlohmann::ordered_json predictions = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < options.lambdas.size(); ++i)
          predictions.push_back({{"lambda", options.lambdas[i]}, {"A", json_number(d.A_predicted[i])}});
        o["lambda_prediction"] = predictions;
      }
      nlohmann::ordered_json points;
      points["line"] = d.data.line;
      points["T"] = d.data.T;
      nlohmann::ordered_json residuals = nlohmann::ordered_json::array(), used = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < d.data.T.size(); ++i) {
        residuals.push_back(json_number(report.shown(model, 0, r.residuals[i])));
        used.push_back(d.used[i] != 0);
      }
      points["residual"] = residuals;
      points["used"] = used;
      o["points"] = points;
      all.push_back(std::move(o));
    }
  }
  return all;
}

std::string fit_report_table(const fit_report& report) {
  const fit_command_options& o = report.options;
  const bool boot = o.bootstrap > 0;
  const char* units = o.log10_units ? "log10" : "ln";
  std::string out = fmt::format(
      "# y in its own units, {} of it; T in K; Tg where y = {} ({}); m = fragility at Tg; ± = standard error; "
      "rms of {} y{}",
      units, number(o.tg_level), report.tg_level_source, units,
      report.weighted ? (o.csv.sigma_relative ? "; weights 1/σ, σ relative (errors scaled by χ²/dof)"
                                              : "; weights 1/σ, σ absolute")
                      : "");
  if (boot) out += fmt::format("; 95% CI: percentile bootstrap, {} replicas, seed {}", o.bootstrap, o.seed);
  out += "\n";

  std::vector<std::string> at_bound_notes;
  for (std::size_t law = 0; law < o.models.size(); ++law) {
    const relaxation_model model = o.models[law];
    const int k = model_parameter_count(model);
    out += fmt::format("\n# {}: {}\n", model_name(model), law_formula(model, o.log10_units));
    std::vector<std::string> head = {"dataset", "n", "status"};
    for (int j = 0; j < k; ++j) head.insert(head.end(), {model_parameter_name(model, j), "±"});
    if (model == relaxation_model::vft) head.push_back("D");
    head.insert(head.end(), {"Tg", "m", "rms", "max|r|", "AIC", "ΔAIC", "BIC"});
    if (boot)
      for (int q : quantities_of(model))
        if (q != 0) head.push_back(std::string(quantity_name(model, q)) + " 95% CI");
    std::vector<std::vector<std::string>> rows{head};
    for (const dataset_result& d : report.results) {
      const model_result& r = d.models[law];
      const model_fit<double>& f = r.fit;
      std::vector<std::string> row = {d.name, std::to_string(f.n_points), status_name(f.code)};
      for (int j = 0; j < k; ++j)
        row.insert(row.end(), {number(report.shown(model, j, f.p[j])), number(report.shown(model, j, f.stderr_[j]))});
      if (model == relaxation_model::vft) row.push_back(number(f.p[1] / f.p[2]));
      double largest = std::numeric_limits<double>::quiet_NaN();
      for (std::size_t i = 0; i < r.residuals.size(); ++i)
        if (d.used[i] && !(std::fabs(r.residuals[i]) <= largest)) largest = std::fabs(r.residuals[i]);
      row.insert(row.end(), {number(f.Tg), number(f.m), number(report.shown(model, 0, f.rms)),
                             number(report.shown(model, 0, largest)), number(f.aic), number(r.delta_aic),
                             number(f.bic)});
      if (boot)
        for (int q : quantities_of(model))
          if (q != 0)
            row.push_back(q < 3 ? shown_interval(report.shown(model, q, r.ci[q].lo), report.shown(model, q, r.ci[q].hi))
                                : shown_interval(r.ci[q].lo, r.ci[q].hi));
      rows.push_back(std::move(row));
      if (f.code == status::at_bound) {
        std::string note = fmt::format("{} ({}) is at a bound; 95% profile-likelihood intervals:", d.name,
                                       model_name(model));
        for (int j = 0; j < k; ++j)
          note += fmt::format(" {} {}", model_parameter_name(model, j),
                              shown_interval(report.shown(model, j, r.profile[j].lo),
                                             report.shown(model, j, r.profile[j].hi)));
        at_bound_notes.push_back(note);
      }
    }
    out += aligned(rows, 3);
  }
  if (!at_bound_notes.empty()) {
    out += "\n# fits on a bound: their ± are the curvature with every parameter free; the profile intervals "
           "end at the bound\n";
    for (const std::string& note : at_bound_notes) out += note + "\n";
  }

  if (!o.lambdas.empty()) {
    out += fmt::format("\n# predicted A = λ·c·B (K) of the VFT fit, c = {}\n", number(o.c));
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> lambda_head = {"dataset"};
    for (double l : o.lambdas) lambda_head.push_back("λ=" + number(l));
    table.push_back(lambda_head);
    for (const dataset_result& d : report.results) {
      std::vector<std::string> row = {d.name};
      for (double A : d.A_predicted) row.push_back(number(A));
      table.push_back(std::move(row));
    }
    out += aligned(table, 1);
  }
  return out;
}

}  // namespace scaleham
