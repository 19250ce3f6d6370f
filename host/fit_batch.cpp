#include "fit_batch.hpp"

namespace scaleham {

packed_datasets::packed_datasets(const std::vector<fit_dataset>& datasets) {
  offset.push_back(0);
  for (const fit_dataset& d : datasets) {
    T.insert(T.end(), d.T.begin(), d.T.end());
    y.insert(y.end(), d.y.begin(), d.y.end());
    offset.push_back(T.size());
  }
}

std::vector<vft_fit<double>> fit_datasets_cpu(const std::vector<fit_dataset>& datasets,
                                              std::uint64_t replicas, std::uint64_t seed,
                                              const vft_options<double>& options) {
  const packed_datasets packed(datasets);
  const dataset_table<double> table = packed.table();
  const auto jobs = static_cast<std::int64_t>(datasets.size() * (replicas + 1));
  std::vector<vft_fit<double>> fits(static_cast<std::size_t>(jobs));
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t job = 0; job < jobs; ++job)
    fits[job] = fit_job(table, replicas, seed, std::uint64_t(job), options);
  return fits;
}

}  // namespace scaleham
