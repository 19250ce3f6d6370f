// `scaleham fit ... --emit-config DIR`: from data to theory. Per dataset
// whose VFT fit succeeded, a sweep configuration of the paper's model whose
// every point has exactly the fitted curve (docs/design.md §1.4):
//
//   β = λ g, F = A / g, g = c (T − T0)  ⇒  ln τ = ln τ0 + B/(T − T0) − B/(T_ref − T0),  B = A / (λ c)
//
// so T0 = T_vf, T_ref = the highest fitted temperature, τ0 = the fitted y
// there, and A = λ·c·B along a λ axis (sampling = "paired": point i has
// λ_i and A_i). `scaleham run` on it integrates each point's flow and action
// and fits its curve, which gives back the data's a, B and T_vf.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "fit_command.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "scaleham/config.hpp"

namespace scaleham {
namespace {

/// λ of the emitted sweeps when --lambda gives none.
const std::vector<double> default_lambdas = {0.05, 0.1, 0.15, 0.2};

/// A number that reads back as the same double.
std::string exact(double v) { return fmt::format("{:.17g}", v); }

std::string list(const std::vector<double>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + exact(values[i]);
  return out + "]";
}

/// A file name from a dataset name: characters other than letters, digits,
/// '-', '_' and '.' become '_'.
std::string file_stem(const std::string& name) {
  std::string stem;
  for (char ch : name)
    stem += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.' ? ch : '_';
  return stem.empty() || stem.front() == '.' ? "_" + stem : stem;
}

std::string config_text(const fit_report& report, const dataset_result& d, const model_result& vft) {
  const fit_command_options& o = report.options;
  const double a = vft.fit.p[0], B = vft.fit.p[1], T_vf = vft.fit.p[2];
  double T_lo = INFINITY, T_hi = 0;
  for (std::size_t i = 0; i < d.data.T.size(); ++i)
    if (d.used[i]) T_lo = std::min(T_lo, d.data.T[i]), T_hi = std::max(T_hi, d.data.T[i]);
  const double tau0 = std::exp(a + B / (T_hi - T_vf));
  const std::vector<double>& lambdas = o.lambdas.empty() ? default_lambdas : o.lambdas;
  std::vector<double> A;
  for (double lambda : lambdas) A.push_back(lambda * o.c * B);

  std::string t;
  t += fmt::format("# The theory of dataset '{}': written by `scaleham fit --emit-config` ({}).\n", d.name,
                   SCALEHAM_VERSION_STRING);
  t += fmt::format("# Its VFT fit (status {}, {} rows, T from {} to {} K): ln y = a + B/(T - T_vf) with\n",
                   status_name(vft.fit.code), vft.fit.n_points, exact(T_lo), exact(T_hi));
  t += fmt::format("#   a = {}, B = {} K, T_vf = {} K (y in the data's units).\n", exact(a), exact(B), exact(T_vf));
  t += "# The paper's model beta = lambda g, F = A/g with g = c (T - T0) gives\n"
       "#   ln tau = ln tau0 + B/(T - T0) - B/(T_ref - T0),  B = A/(lambda c),\n"
       "# so with T0 = T_vf, T_ref = the highest fitted T, tau0 = the fitted y there and\n"
       "# A = lambda c B at every lambda, each point's curve is the fitted one: `scaleham run`\n"
       "# on this file gives back a, B and T_vf in /fit. tau0 and tg_tau are in the data's\n"
       "# units (Pa s for a viscosity in Pa s).\n\n";
  t += fmt::format("[model]\nlambda = {}\nA = {}\n\n", exact(lambdas.front()), exact(A.front()));
  t += fmt::format(
      "[temperature]\nT0 = {}\nc = {}\nT_min = {}\nT_max = {}\npoints = 32\nT_ref = {}\ntau0 = {}\n\n", exact(T_vf),
      exact(o.c), exact(T_lo), exact(T_hi), exact(T_hi), exact(tau0));
  t += fmt::format("[fit]\ntg_tau = {}  # the level of Tg: {}\n\n", exact(o.tg_level), report.tg_level_source);
  t += "[grid]\nsampling = \"paired\"  # point i: lambda_i and A_i = lambda_i c B\n\n";
  t += fmt::format("[[grid.axis]]\nname = \"lambda\"\nvalues = {}\n\n", list(lambdas));
  t += fmt::format("[[grid.axis]]\nname = \"A\"\nvalues = {}\nunit = \"K\"\n\n", list(A));
  t += "[output]\ncurves = true\n";
  return t;
}

}  // namespace

std::vector<std::string> emit_sweep_configs(const fit_report& report, const std::string& directory, bool force) {
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> files;  // path, text
  for (const dataset_result& d : report.results) {
    const model_result* vft = d.vft();
    if (vft == nullptr || !succeeded(vft->fit.code)) continue;
    files.emplace_back((fs::path(directory) / (file_stem(d.name) + ".toml")).string(), config_text(report, d, *vft));
  }
  std::error_code error;
  fs::create_directories(directory, error);
  if (error || !fs::is_directory(directory))
    throw output_error(fmt::format("--emit-config {}: cannot create the directory ({})", directory,
                                   error ? error.message() : "not a directory"));
  // Check every path before writing any, so a refusal leaves nothing half
  // done; then each as every output is written (output_file.hpp).
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      if (files[j].first == files[i].first)
        throw output_error(fmt::format("--emit-config: two datasets would both be written to {}", files[i].first));
    check_output_path(files[i].first, force);
  }
  std::vector<std::string> written;
  for (const auto& [path, text] : files) {
    const std::string partial = path + ".partial";
    partial_file guard;
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      guard.arm(partial);
      out << text;
      if (!out.flush()) throw output_error(fmt::format("writing {}: {}", partial, std::strerror(errno)));
    }
    publish(partial, path, force);
    guard.release();
    written.push_back(path);
  }
  return written;
}

}  // namespace scaleham
