// Batched fits of measured datasets and their bootstrap replicas, one law at
// a time: one loop over model_fit_job (relaxation_models.hpp) on the CPU, one
// kernel launch on the GPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "scaleham/relaxation_models.hpp"

namespace scaleham {

/// One measured curve: temperatures (K), y = ln of the relaxation quantity,
/// and per row the weight 1/σ of ln y (empty: unweighted) and the file's line.
struct fit_dataset {
  std::string name;
  std::vector<double> T;
  std::vector<double> y;
  std::vector<double> w;
  std::vector<int> line;
};

/// The datasets packed back to back, as weighted_table wants them (w only
/// when the datasets have weights).
struct packed_datasets {
  std::vector<double> T, y, w;
  std::vector<std::uint64_t> offset;  // size n + 1
  explicit packed_datasets(const std::vector<fit_dataset>& datasets);
  weighted_table<double> table() const {
    return {T.data(), y.data(), w.empty() ? nullptr : w.data(), offset.data(), offset.size() - 1};
  }
};

/// Fits one law to every dataset and `replicas` bootstrap resamples of each,
/// on all CPU cores. Result d·(replicas+1) + r is replica r of dataset d
/// (r = 0: the data).
std::vector<model_fit<double>> fit_datasets_cpu(const std::vector<fit_dataset>& datasets, relaxation_model model,
                                                std::uint64_t replicas, std::uint64_t seed,
                                                const model_options<double>& options);

}  // namespace scaleham
