#include "backend_choice.hpp"

#include <omp.h>

#include <cstdio>
#include <fstream>

#include "cuda_backend.hpp"

namespace scaleham {

namespace {

std::string cpu_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "CPU";
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + " (" + std::to_string(omp_get_max_threads()) + " threads)";
}

}  // namespace

backend_choice choose_backend(const std::string& requested, const std::string& doing, bool quiet,
                              int cuda_device) {
  if (requested != "auto" && requested != "cuda" && requested != "cpu")
    throw std::invalid_argument("unknown backend '" + requested + "'");
  backend_choice choice;
  if (requested != "cpu") {
    const cuda::probe_result gpu = cuda::probe(cuda_device);
    if (gpu.usable) {
      choice.use_cuda = true;
      choice.cuda_device = cuda_device;
      choice.backend = "cuda";
      choice.device = gpu.device_name + " (sm_" + std::to_string(gpu.compute_capability) + ", CUDA device " +
                      std::to_string(cuda_device) + ")";
      return choice;
    }
    if (requested == "cuda") throw backend_error("--backend cuda: " + gpu.reason);
    choice.notice = gpu.reason + "; " + doing + " on the CPU backend";
    if (!quiet) std::fprintf(stderr, "scaleham: %s\n", choice.notice.c_str());
  }
  choice.backend = "cpu";
  choice.device = cpu_description();
  return choice;
}

}  // namespace scaleham
