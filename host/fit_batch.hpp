// Batched VFT fits of measured datasets and their bootstrap replicas: one
// loop over fit_job (vft.hpp) on the CPU, one kernel launch on the GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scaleham/vft.hpp"

namespace scaleham {

/// One measured curve: temperatures (K) and y = ln of the relaxation quantity.
struct fit_dataset {
  std::string name;
  std::vector<double> T;
  std::vector<double> y;
};

/// The datasets packed back to back, as dataset_table wants them.
struct packed_datasets {
  std::vector<double> T, y;
  std::vector<std::uint64_t> offset;  // size n + 1
  explicit packed_datasets(const std::vector<fit_dataset>& datasets);
  dataset_table<double> table() const {
    return {T.data(), y.data(), offset.data(), offset.size() - 1};
  }
};

/// Fits every dataset and `replicas` bootstrap resamples of each, on all CPU
/// cores. Result d·(replicas+1) + r is replica r of dataset d (r = 0: the data).
std::vector<vft_fit<double>> fit_datasets_cpu(const std::vector<fit_dataset>& datasets,
                                              std::uint64_t replicas, std::uint64_t seed,
                                              const vft_options<double>& options);

}  // namespace scaleham
