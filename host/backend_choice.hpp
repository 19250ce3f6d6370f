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
  std::string backend;                 ///< "cuda" | "cpu"
  std::string device;                  ///< GPU name, or CPU model and thread count
  std::uint64_t device_free_memory = 0;///< bytes free on the GPU at the start
  std::string notice;                  ///< why auto fell back to the CPU ("" otherwise)
};

/// Resolves `requested` ("auto", "cuda" or "cpu"); `doing` completes the
/// fallback notice ("running", "fitting"), printed on stderr unless quiet.
/// Throws backend_error for cuda without a usable GPU, std::invalid_argument
/// for an unknown name.
backend_choice choose_backend(const std::string& requested, const std::string& doing, bool quiet);

}  // namespace scaleham
