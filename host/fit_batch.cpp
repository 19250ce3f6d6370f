#include "fit_batch.hpp"

#include <stdexcept>

namespace scaleham {

packed_datasets::packed_datasets(const std::vector<fit_dataset>& datasets) {
  offset.push_back(0);
  const bool weighted = !datasets.empty() && !datasets.front().w.empty();
  for (const fit_dataset& d : datasets) {
    if (d.w.empty() == weighted) throw std::logic_error("packed_datasets: weights on some datasets only");
    T.insert(T.end(), d.T.begin(), d.T.end());
    y.insert(y.end(), d.y.begin(), d.y.end());
    w.insert(w.end(), d.w.begin(), d.w.end());
    offset.push_back(T.size());
  }
}

std::vector<model_fit<double>> fit_datasets_cpu(const std::vector<fit_dataset>& datasets, relaxation_model model,
                                                std::uint64_t replicas, std::uint64_t seed,
                                                const model_options<double>& options) {
  const packed_datasets packed(datasets);
  const weighted_table<double> table = packed.table();
  const auto jobs = static_cast<std::int64_t>(datasets.size() * (replicas + 1));
  std::vector<model_fit<double>> fits(static_cast<std::size_t>(jobs));
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t job = 0; job < jobs; ++job)
    fits[job] = model_fit_job(table, model, replicas, seed, std::uint64_t(job), options);
  return fits;
}

}  // namespace scaleham
