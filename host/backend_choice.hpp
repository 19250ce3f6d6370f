// Which backend a command runs on: `--backend auto|cuda|cpu` for `scaleham run`
// and `scaleham fit` alike. auto takes the GPU when one is usable and
// otherwise says why on stderr; cuda without a usable GPU is an error.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace scaleham {

/// The requested backend cannot run here (exit code 1, not a config error).
struct backend_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct backend_choice {
  bool use_cuda = false;
  int cuda_device = 0;                 ///< the GPU, when use_cuda
  std::string backend;                 ///< "cuda" | "cpu"
  std::string device;                  ///< GPU name, architecture and index, or CPU model and thread count
  std::string notice;                  ///< why auto fell back to the CPU ("" otherwise)
};

/// Resolves `requested` ("auto", "cuda" or "cpu") on GPU `cuda_device` (an
/// index among the GPUs CUDA_VISIBLE_DEVICES leaves visible); `doing`
/// completes the fallback notice ("running", "fitting"), printed on stderr
/// unless quiet. Throws backend_error for cuda without a usable GPU,
/// std::invalid_argument for an unknown name.
backend_choice choose_backend(const std::string& requested, const std::string& doing, bool quiet,
                              int cuda_device = 0);

}  // namespace scaleham
