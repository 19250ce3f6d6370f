// GPU throughput of the paper model (β = λ g, F = A/g; λ ∈ [0.05, 0.15],
// A ∈ [25, 75], g0 = 100, p0 on the manifold, ℓ from 0 to −10, as in
// bench_run.py and RESULTS.md), one JSON document on stdout (or --json PATH),
// a readable table on stderr. Without a usable GPU it says why and exits 0
// (the CTest smoke run, benchmark.gpu.smoke, passes on CPU-only machines).
//
// What is timed (warm-up first, then the median of --repeats runs):
//  1. flow/kernel: the ensemble through the core's integrate_rk4 (1000 fixed
//     steps) and integrate_dopri5 in a plain kernel (bench_gpu_flow.cu), one
//     thread per trajectory, end state to device memory; CUDA events around
//     the launch. The work the peers (benchmarks/peers/*.py) time.
//  2. flow/engine: the same grid through scaleham::cuda::sweep_runner (the
//     engine's two-slot pipeline: flow + HJ action per point, results copied to
//     pinned host memory), relaxation curve and fit off; host clock around the
//     whole grid, batches of at most --batch points.
//  3. fused/engine: the same with the CLI's default settings (DOPRI5 at rtol
//     1e-10, atol 1e-12; HJ action; ln τ curve at 32 temperatures and its VFT
//     fit per point), FP64; and FP32 at rtol 1e-5.
//  4. fit: scaleham::cuda::fit_datasets, VFT fits of 64-point FP64 datasets
//     with bootstrap replicas, fits/s of the whole call (upload, fits, download).
//
// DOPRI5 at rtol 1e-8 (atol 1e-10) in FP64; FP32 cannot go below
// rtol = 10 ε_float ≈ 1.2e-6 (valid_options), so FP32 DOPRI5 runs at
// rtol 1e-5, atol 1e-7 (and the FP32 fused run likewise), and every FP32
// engine run computes the HJ action at rtol 1e-5 instead of 1e-11.
//
// FLOP count of one RK4 step of the paper model, counted by hand from the code
// (model.hpp, flow.hpp, steppers.hpp) as written: add, subtract, multiply and
// division 1 FLOP each, an a·b + c that nvcc contracts into an FMA 2 FLOP (so
// the count is the same with or without contraction); negation, comparisons,
// fabs and the zero-coefficient scans (degree(), positive_order(),
// negative_order()) are not counted.
//   β.eval (polynomial, degree 1): slope = slope·g + value, value = value·g + b0
//                                                                   4
//   F.eval (Laurent, f_{-1} only, positive order 0): u = 1/g (1), N = n_value·u (1),
//     N' = n_slope·u + n_value (2), value + N (1), slope − u·u·N' (3)   8
//   flow_rhs: {β, −p·β' − F', −F}: one multiply, one subtract          2
//   one right-hand side                                                14
//   rk4_step: 4 RHS (56); half = 0.5·h (1); three stage states y + c·k,
//     3 multiplies + 3 adds each (18); h/6 (1); k1 + 2(k2 + k3) + k4:
//     4 vector ops of 3 (12); (h/6)·(...) (3); y + ... (3)            94
//   integrate_rk4 loop: ℓ = h·i (1); events: comparisons only          1
//   per RK4 step                                                       95
// (bench_paths checks the as-written 14 and 94 at startup with a counting
// number type.) Per trajectory once: p0 = −F/β (13), h = ℓ/n (1), H drift at
// the end (44): ~58, under 0.1 % of 1000 steps, left out. So one trajectory
// of 1000 RK4 steps is 95 000 FLOP, and the FLOP/s figures below are
// 95 · trajectories · steps / s. Executed instructions differ: nvcc hoists
// 0.5·h and h/6 out of the loop (−2), and a double division is not one
// instruction on the GPU but a reciprocal estimate refined by Newton FMAs
// (4 per step), so the FP64 pipe does more work than the 95 counted.
//
// Peak: SMs × FP64 lanes per SM × 2 (FMA) × the peak clock the device reports
// (cudaDevAttrClockRate): sm_90 has 64 FP64 lanes per SM, so an H200 SXM
// (132 SMs, 1.98 GHz) gives 33.5 TFLOP/s. NVIDIA's H200 datasheet says
// FP64 34 TFLOP/s and FP64 Tensor Core 67 TFLOP/s (FP32: 67): the 67 is the
// tensor-core rate (DMMA), which scalar per-thread code cannot use, so the
// vector 34 (our 33.5 from the clock) is the ceiling of this code. Datasheet
// rates are leads; the sustained clock under load can be lower.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <nlohmann/json.hpp>

#include "bench_gpu_flow.hpp"
#include "config.hpp"
#include "cuda_backend.hpp"
#include "fit_batch.hpp"
#include "sweep.hpp"

namespace {

using nlohmann::json;
using scaleham::bench::flow_method;

constexpr double flop_per_rk4_step = 95;  // see the header comment

struct options {
  std::vector<std::uint64_t> sizes{1000000, 10000000};
  int repeats = 5;
  int device = 0;
  std::uint64_t batch = std::uint64_t(1) << 21;
  std::uint64_t fit_datasets = 1024, fit_replicas = 1023;
  std::string json_path;
  bool quick = false;
  bool only_flow = false;
};

[[noreturn]] void usage(int code) {
  (code == 0 ? std::cout : std::cerr)
      << "usage: bench_gpu [--json PATH] [--sizes N,N,...] [--repeats R] [--batch N]\n"
         "                 [--fit-datasets D] [--fit-replicas R] [--device I] [--quick] [--flow-only]\n"
         "GPU throughput of the paper model (RK4, DOPRI5, FP64/FP32, engine, fused, VFT fits);\n"
         "JSON on stdout or to PATH, a table on stderr. Exits 0 with a message when no GPU is usable.\n"
         "--quick: sizes 1e4, 1 repeat, 64 x 16 fits (the CTest smoke run).\n";
  std::exit(code);
}

std::uint64_t parse_count(const std::string& text) {
  // Accepts 1000000, 1e6, 1E7.
  std::size_t used = 0;
  const double v = std::stod(text, &used);
  if (used != text.size() || !(v >= 1) || v > 1e12 || v != std::floor(v))
    throw std::invalid_argument("not a positive whole number: " + text);
  return static_cast<std::uint64_t>(v);
}

options parse(int argc, char** argv) {
  options o;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
        return argv[++i];
      };
      if (a == "-h" || a == "--help") usage(0);
      else if (a == "--json") o.json_path = value();
      else if (a == "--repeats") o.repeats = static_cast<int>(parse_count(value()));
      else if (a == "--device") o.device = std::stoi(value());
      else if (a == "--batch") o.batch = parse_count(value());
      else if (a == "--fit-datasets") o.fit_datasets = parse_count(value());
      else if (a == "--fit-replicas") o.fit_replicas = std::stoull(value());
      else if (a == "--quick") o.quick = true;
      else if (a == "--flow-only") o.only_flow = true;
      else if (a == "--sizes") {
        o.sizes.clear();
        std::stringstream list(value());
        for (std::string item; std::getline(list, item, ',');) o.sizes.push_back(parse_count(item));
        if (o.sizes.empty()) throw std::invalid_argument("--sizes is empty");
      } else {
        throw std::invalid_argument("unknown argument " + a);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_gpu: " << e.what() << "\n";
    usage(2);
  }
  if (o.quick) {
    o.sizes = {10000};
    o.repeats = 1;
    o.fit_datasets = 64;
    o.fit_replicas = 15;
  }
  return o;
}

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

json timing_json(const std::vector<double>& seconds) {
  return {{"median_s", median(seconds)},
          {"min_s", seconds.empty() ? std::nan("") : *std::min_element(seconds.begin(), seconds.end())},
          {"max_s", seconds.empty() ? std::nan("") : *std::max_element(seconds.begin(), seconds.end())},
          {"runs_s", seconds}};
}

// nlohmann::json writes NaN and infinities as null; keep them visible as strings.
json number(double x) { return std::isfinite(x) ? json(x) : json(std::to_string(x)); }

struct device_info {
  std::string name;
  int cc = 0, sms = 0, clock_khz = 0, memory_clock_khz = 0, bus_width = 0;
  std::uint64_t memory = 0;
  double fp64_peak = 0, fp32_peak = 0;  // FLOP/s at the reported peak clock
  std::string peak_note;
};

device_info describe(int device) {
  device_info d;
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, device) != cudaSuccess) return d;
  d.name = p.name;
  d.cc = p.major * 10 + p.minor;
  d.sms = p.multiProcessorCount;
  d.memory = p.totalGlobalMem;
  cudaDeviceGetAttribute(&d.clock_khz, cudaDevAttrClockRate, device);
  cudaDeviceGetAttribute(&d.memory_clock_khz, cudaDevAttrMemoryClockRate, device);
  cudaDeviceGetAttribute(&d.bus_width, cudaDevAttrGlobalMemoryBusWidth, device);
  // FP64 / FP32 lanes per SM (CUDA programming guide, arithmetic instructions).
  int fp64_lanes = 2, fp32_lanes = 128;
  d.peak_note = "consumer-class FP64 rate (2 lanes per SM): approximate";
  if (d.cc == 90 || d.cc == 100) {
    fp64_lanes = 64, fp32_lanes = 128;
    d.peak_note = "64 FP64 lanes per SM (Hopper/Blackwell datacenter)";
  } else if (d.cc == 80) {
    fp64_lanes = 32, fp32_lanes = 64;
    d.peak_note = "32 FP64 lanes per SM (A100)";
  } else if (d.cc == 70) {
    fp64_lanes = 32, fp32_lanes = 64;
    d.peak_note = "32 FP64 lanes per SM (V100)";
  }
  d.fp64_peak = double(d.sms) * fp64_lanes * 2.0 * d.clock_khz * 1e3;
  d.fp32_peak = double(d.sms) * fp32_lanes * 2.0 * d.clock_khz * 1e3;
  return d;
}

std::string fmt_rate(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

// --- 1. the plain flow kernel ----------------------------------------------
json flow_kernel_case(const options& o, const device_info& dev, flow_method method, bool fp64,
                      std::uint64_t n) {
  scaleham::bench::flow_request q;
  q.method = method;
  q.fp64 = fp64;
  q.n = n;
  q.repeats = o.repeats;
  q.device = o.device;
  if (!fp64) q.rtol = 1e-5, q.atol = 1e-7;
  const scaleham::bench::flow_timing t = scaleham::bench::time_paper_flow(q);
  json j = {{"benchmark", "flow"},
            {"path", "kernel"},
            {"method", method == flow_method::rk4 ? "rk4" : "dopri5"},
            {"precision", fp64 ? "fp64" : "fp32"},
            {"trajectories", n}};
  if (method == flow_method::rk4) j["rk4_steps"] = q.rk4_steps;
  else j["rtol"] = q.rtol, j["atol"] = q.atol;
  if (!t.error.empty()) {
    j["error"] = t.error;
    return j;
  }
  const double s = median(t.seconds);
  j["timing"] = timing_json(t.seconds);
  j["mean_steps"] = t.mean_steps;
  j["mean_attempts"] = t.mean_attempts;
  j["not_ok"] = t.not_ok;
  j["max_rel_err"] = {{"g", number(t.max_rel_err_g)}, {"p", number(t.max_rel_err_p)},
                      {"S", number(t.max_rel_err_S)}};
  j["registers"] = t.registers;
  j["local_bytes"] = t.local_bytes;
  j["trajectories_per_s"] = double(n) / s;
  j["trajectory_steps_per_s"] = double(n) * t.mean_steps / s;
  if (method == flow_method::rk4) {
    const double flops = flop_per_rk4_step * double(n) * t.mean_steps / s;
    j["flop_per_step"] = flop_per_rk4_step;
    j["flop_per_s"] = flops;
    const double peak = fp64 ? dev.fp64_peak : dev.fp32_peak;
    if (peak > 0) j["fraction_of_peak"] = flops / peak;
  }
  return j;
}

// --- 2./3. the engine: sweep_runner over a paper grid ------------------------
// rtol = 0: the configuration's defaults (flow rtol 1e-10, atol 1e-12; docs/config.md).
// float_tolerances: the HJ action's quadrature at rtol 1e-5 too (its default,
// 1e-11, is below what float can deliver: the quadrature would spend its
// whole interval budget on every point).
// g0_ell: the axes are g0 and ell instead (λ, A at the base values), so every
// point shares one relaxation (issue 10, goal 3: computed once per batch).
std::string paper_toml(std::uint64_t n, const std::string& integrator, double rtol, double atol,
                       bool fit, bool float_tolerances, bool g0_ell = false) {
  const std::uint64_t n_A = std::min<std::uint64_t>(n, scaleham::bench::paper_ensemble_A);
  const std::uint64_t n_lambda = (n + n_A - 1) / n_A;
  std::ostringstream t;
  t.precision(17);
  t << "[model]\nlambda = 0.1\nA = 50.0\n"
    << "[flow]\ng0 = 100.0\np0 = \"on_manifold\"\nell = -10.0\nintegrator = \"" << integrator << "\"\n";
  if (integrator == "rk4") t << "rk4_steps = 1000\n";
  else if (rtol > 0) t << "rtol = " << rtol << "\natol = " << atol << "\n";
  if (float_tolerances) t << "[action]\nrtol = 1e-5\n";
  t << "[fit]\nenabled = " << (fit ? "true" : "false") << "\n"
    << "[grid]\nsampling = \"cartesian\"\n"
    << (g0_ell ? "[[grid.axis]]\nname = \"g0\"\nlinspace = [20.0, 300.0, "
               : "[[grid.axis]]\nname = \"lambda\"\nlinspace = [0.05, 0.15, ")
    << n_lambda << "]\n"
    << (g0_ell ? "[[grid.axis]]\nname = \"ell\"\nlinspace = [-10.0, -1.0, "
               : "[[grid.axis]]\nname = \"A\"\nlinspace = [25.0, 75.0, ")
    << n_A << "]\n" << (g0_ell ? "" : "unit = \"K\"\n");
  return t.str();
}

template <class Real>
json engine_case(const options& o, const std::string& benchmark, const std::string& integrator,
                 double rtol, double atol, bool fit, std::uint64_t n_wanted, const device_info& dev) {
  const scaleham::sweep_config config =
      scaleham::parse_config_text(paper_toml(n_wanted, integrator, rtol, atol, fit, sizeof(Real) == 4,
                                             benchmark == "shared_relaxation"),
                                  "<bench_gpu>");
  const std::uint64_t n = config.size();
  json j = {{"benchmark", benchmark},
            {"path", "engine"},
            {"method", integrator},
            {"precision", sizeof(Real) == 8 ? "fp64" : "fp32"},
            {"trajectories", n},
            {"fit", fit}};
  if (integrator == "rk4") j["rk4_steps"] = 1000;
  else if (rtol > 0) j["rtol"] = rtol, j["atol"] = atol;
  else j["rtol"] = "config default";
  try {
    const scaleham::sweep_plan<Real> plan(config);
    const std::uint64_t cap = scaleham::cuda::max_batch_points<Real>(plan.spec(), false, o.device);
    const std::uint64_t batch = std::max<std::uint64_t>(1, std::min({n, o.batch, cap}));
    j["batch_points"] = batch;
    j["bytes_per_point_result"] = sizeof(scaleham::point_result<Real>);
    scaleham::cuda::sweep_runner<Real> runner(plan.spec(), batch, false, o.device);
    double steps = 0, attempts = 0, fit_iterations = 0;
    std::uint64_t flow_not_ok = 0, fit_not_ok = 0;
    // One pass over the grid through both slots; `inspect` reads the results
    // (the untimed warm-up pass only).
    auto pass = [&](bool inspect) {
      std::uint64_t first[2] = {0, 0}, count[2] = {0, 0}, next = 0;
      for (int slot = 0; slot < 2 && next < n; ++slot) {
        first[slot] = next, count[slot] = std::min(batch, n - next), next += count[slot];
        runner.start(slot, first[slot], count[slot]);
      }
      for (int slot = 0; count[0] + count[1] > 0; slot ^= 1) {
        if (count[slot] == 0) continue;
        const scaleham::point_result<Real>* r = runner.finish(slot);
        if (inspect)
          for (std::uint64_t i = 0; i < count[slot]; ++i) {
            steps += r[i].steps;
            attempts += r[i].steps + r[i].rejected;
            flow_not_ok += r[i].flow_status != scaleham::status::ok;
            fit_not_ok += fit && r[i].fit.code != scaleham::status::ok;
            fit_iterations += r[i].fit.iterations;
          }
        count[slot] = 0;
        if (next < n) {
          first[slot] = next, count[slot] = std::min(batch, n - next), next += count[slot];
          runner.start(slot, first[slot], count[slot]);
        }
      }
    };
    pass(true);
    std::vector<double> seconds;
    for (int r = 0; r < o.repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      pass(false);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const double s = median(seconds);
    j["timing"] = timing_json(seconds);
    j["mean_steps"] = steps / double(n);
    j["mean_attempts"] = attempts / double(n);
    j["flow_not_ok"] = flow_not_ok;
    if (fit) j["fit_not_ok"] = fit_not_ok, j["fit_iterations_mean"] = fit_iterations / double(n);
    j["points_per_s"] = double(n) / s;
    j["trajectory_steps_per_s"] = steps / s;
    if (integrator == "rk4") {
      j["flop_per_s_flow_only"] = flop_per_rk4_step * steps / s;
      const double peak = sizeof(Real) == 8 ? dev.fp64_peak : dev.fp32_peak;
      if (peak > 0) j["fraction_of_peak_flow_only"] = flop_per_rk4_step * steps / s / peak;
    }
  } catch (const std::exception& e) {
    j["error"] = e.what();
  }
  return j;
}

// --- 4. VFT fits -------------------------------------------------------------
json fit_case(const options& o) {
  // Noisy VFT curves of 64 temperatures: ln τ = a + B/(T − T_vf) + N(0, 0.02),
  // parameters spread around the paper's example (B ≈ 500 K, T_vf ≈ 400 K).
  std::mt19937_64 rng(12345);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<scaleham::fit_dataset> datasets(o.fit_datasets);
  for (std::uint64_t d = 0; d < o.fit_datasets; ++d) {
    const double a = -32.0 + unit(rng), B = 300.0 + 400.0 * unit(rng), T_vf = 350.0 + 50.0 * unit(rng);
    datasets[d].name = "d" + std::to_string(d);
    for (int k = 0; k < 64; ++k) {
      const double T = 420.0 + (700.0 - 420.0) * k / 63.0;
      datasets[d].T.push_back(T);
      datasets[d].y.push_back(a + B / (T - T_vf) + noise(rng));
    }
  }
  const scaleham::packed_datasets packed(datasets);
  const std::uint64_t fits = o.fit_datasets * (o.fit_replicas + 1);
  json j = {{"benchmark", "vft_fit"}, {"path", "fit_datasets"}, {"precision", "fp64"},
            {"points_per_dataset", 64}, {"datasets", o.fit_datasets},
            {"replicas", o.fit_replicas}, {"fits", fits}};
  try {
    const scaleham::model_options<double> fit_options;
    const auto vft = scaleham::relaxation_model::vft;
    std::vector<scaleham::model_fit<double>> result =
        scaleham::cuda::fit_datasets(packed.table(), vft, o.fit_replicas, 1, fit_options, o.device);  // warm-up
    std::uint64_t ok = 0;
    double iterations = 0;
    for (const auto& f : result) ok += f.code == scaleham::status::ok, iterations += f.iterations;
    std::vector<double> seconds;
    for (int r = 0; r < o.repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      result = scaleham::cuda::fit_datasets(packed.table(), vft, o.fit_replicas, 1, fit_options, o.device);
      seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    j["timing"] = timing_json(seconds);
    j["fits_per_s"] = double(fits) / median(seconds);
    j["ok"] = ok;
    j["iterations_mean"] = result.empty() ? 0.0 : iterations / double(result.size());
  } catch (const std::exception& e) {
    j["error"] = e.what();
  }
  return j;
}

void print_row(const json& r) {
  std::string what = r.value("benchmark", "") + "/" + r.value("path", "");
  if (r.contains("method")) what += " " + r["method"].get<std::string>();
  what += " " + r.value("precision", "");
  std::string rate = "-", extra;
  if (r.contains("error")) {
    rate = "ERROR";
    extra = r["error"].get<std::string>();
  } else if (r.contains("fits_per_s")) {
    rate = fmt_rate(r["fits_per_s"].get<double>()) + " fits/s";
  } else if (r.contains("trajectory_steps_per_s")) {
    rate = fmt_rate(r["trajectory_steps_per_s"].get<double>()) + " traj*steps/s";
    if (r.contains("points_per_s")) extra += fmt_rate(r["points_per_s"].get<double>()) + " points/s ";
    if (r.contains("flop_per_s"))
      extra += fmt_rate(r["flop_per_s"].get<double>() * 1e-12) + " TFLOP/s (" +
               fmt_rate(100 * r.value("fraction_of_peak", 0.0)) + " % of peak) ";
    if (r.contains("max_rel_err")) extra += "err g " + r["max_rel_err"]["g"].dump() + " ";
  }
  const std::string n = r.contains("trajectories") ? std::to_string(r["trajectories"].get<std::uint64_t>())
                                                   : std::to_string(r.value("fits", std::uint64_t(0)));
  const double med = r.contains("timing") ? r["timing"]["median_s"].get<double>() : std::nan("");
  std::fprintf(stderr, "%-30s %10s %10.4f s  %-28s %s\n", what.c_str(), n.c_str(), med, rate.c_str(),
               extra.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  json doc;
  doc["tool"] = "bench_gpu";
  doc["flop_count"] = {
      {"rhs", 14},
      {"rk4_step", 94},
      {"per_rk4_step_in_integrate_rk4", flop_per_rk4_step},
      {"convention", "as written: +,-,*,/ 1 FLOP, FMA 2; negation, comparisons, fabs not counted "
                     "(bench_gpu.cpp header, RESULTS.md)"}};
  const scaleham::cuda::probe_result probe = scaleham::cuda::probe(o.device);
  auto emit = [&](int code) {
    const std::string text = doc.dump(2);
    if (o.json_path.empty()) {
      std::cout << text << "\n";
    } else {
      std::ofstream out(o.json_path);
      out << text << "\n";
      if (!out) {
        std::cerr << "bench_gpu: cannot write " << o.json_path << "\n";
        return 1;
      }
    }
    return code;
  };
  if (!probe.usable) {
    std::cerr << "bench_gpu: skipped: no usable GPU: " << probe.reason << "\n";
    doc["skipped"] = "no usable GPU: " + probe.reason;
    return emit(0);
  }
  const device_info dev = describe(o.device);
  doc["device"] = {{"name", dev.name},
                   {"compute_capability", dev.cc},
                   {"multiprocessors", dev.sms},
                   {"clock_mhz", dev.clock_khz / 1000.0},
                   {"memory_bytes", dev.memory},
                   {"memory_clock_mhz", dev.memory_clock_khz / 1000.0},
                   {"memory_bus_bits", dev.bus_width},
                   {"free_memory_at_start", probe.free_memory},
                   {"compiled_architectures", scaleham::cuda::compiled_architectures()}};
  doc["peak"] = {{"fp64_flop_per_s", dev.fp64_peak},
                 {"fp32_flop_per_s", dev.fp32_peak},
                 {"basis", "SMs x lanes x 2 x reported peak clock; " + dev.peak_note},
                 {"datasheet_h200_sxm", "FP64 34 TFLOP/s, FP64 Tensor Core 67, FP32 67 (a lead, not a reading)"}};
  doc["settings"] = {{"repeats", o.repeats}, {"batch", o.batch}, {"sizes", o.sizes}};
  std::fprintf(stderr, "bench_gpu: %s (sm_%d, %d SMs, %.0f MHz), FP64 peak %.1f TFLOP/s, %d repeats\n",
               dev.name.c_str(), dev.cc, dev.sms, dev.clock_khz / 1000.0, dev.fp64_peak * 1e-12,
               o.repeats);
  json results = json::array();
  // Each result is written out as soon as it is measured (with --json), so a
  // run stopped by a timeout keeps what it measured.
  auto add = [&](json r) {
    print_row(r);
    results.push_back(std::move(r));
    if (!o.json_path.empty()) {
      doc["results"] = results;
      doc["complete"] = false;
      std::ofstream(o.json_path) << doc.dump(2) << "\n";
    }
  };
  // Smaller sizes first, and everything of one size before the next.
  std::vector<std::uint64_t> sizes = o.sizes;
  std::sort(sizes.begin(), sizes.end());
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    const std::uint64_t n = sizes[k];
    for (const bool fp64 : {true, false})
      for (const flow_method m : {flow_method::rk4, flow_method::dopri5})
        add(flow_kernel_case(o, dev, m, fp64, n));
    if (o.only_flow) continue;
    add(engine_case<double>(o, "flow", "rk4", 0, 0, false, n, dev));
    add(engine_case<double>(o, "flow", "dopri5", 1e-8, 1e-10, false, n, dev));
    add(engine_case<float>(o, "flow", "rk4", 0, 0, false, n, dev));
    add(engine_case<float>(o, "flow", "dopri5", 1e-5, 1e-7, false, n, dev));
    add(engine_case<double>(o, "fused", "dopri5", 0, 0, true, n, dev));  // the CLI's defaults
    add(engine_case<float>(o, "fused", "dopri5", 1e-5, 1e-7, true, n, dev));
    // g0 × ℓ with the fit: one relaxation per batch (compare with "fused").
    add(engine_case<double>(o, "shared_relaxation", "dopri5", 0, 0, true, n, dev));
    if (k == 0) add(fit_case(o));
  }
  doc["results"] = results;
  doc["complete"] = true;
  bool failed = false;
  for (const json& r : results) failed = failed || r.contains("error");
  return emit(failed ? 1 : 0);
}
