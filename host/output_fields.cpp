#include "output_fields.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "output_pool.hpp"

namespace scaleham {

std::vector<std::string> field_names(const std::string& group) {
  std::vector<std::string> names;
  for (const auto& f : result_fields<double>())
    if (group == group_name(f.group)) names.emplace_back(f.name);
  return names;
}

bool field_selected(const sweep_config& config, result_group group, const std::string& name) {
  const std::vector<std::string>* list = nullptr;
  switch (group) {
    case result_group::flow:
      if (!config.output.flow) return false;
      list = &config.output.flow_fields;
      break;
    case result_group::hj:
      if (!config.output.hj) return false;
      list = &config.output.hj_fields;
      break;
    case result_group::fit:
      if (!writes_fit(config)) return false;
      list = &config.output.fit_fields;
      break;
  }
  return list->empty() || std::find(list->begin(), list->end(), name) != list->end();
}

template <class Real>
record_layout<Real>::record_layout(const sweep_config& config) {
  const auto& fields = result_fields<Real>();
  auto add = [&](const field<Real>& f, bool written) {
    column c;
    c.f = &f;
    c.written = written;
    visit_member(f, [&](auto* stored, auto) {
      using stored_type = std::remove_pointer_t<decltype(stored)>;
      c.as_float = config.output.float32 && std::is_same_v<stored_type, Real> && sizeof(Real) > sizeof(float);
      c.bytes = c.as_float ? sizeof(float) : sizeof(stored_type);
    });
    c.offset = column_bytes;
    column_bytes += c.bytes;
    columns.push_back(c);
    return int(columns.size() - 1);
  };
  for (const field<Real>& f : fields)
    if (field_selected(config, f.group, f.name)) add(f, true);
  // The summary counts these three codes whatever the file holds.
  auto status_column = [&](result_group group) {
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c].f->group == group && std::strcmp(columns[c].f->name, "status") == 0) return int(c);
    for (const field<Real>& f : fields)
      if (f.group == group && std::strcmp(f.name, "status") == 0) return add(f, false);
    throw std::logic_error("record_layout: no status field");
  };
  status_column(result_group::flow);
  status_column(result_group::hj);
  status_column(result_group::fit);
  // Widest first, so every column of a packed batch is aligned for its type.
  std::stable_sort(columns.begin(), columns.end(), [](const column& a, const column& b) { return a.bytes > b.bytes; });
  column_bytes = 0;
  for (column& c : columns) {
    c.offset = column_bytes;
    column_bytes += c.bytes;
  }
  flow_status = status_column(result_group::flow);
  action_status = status_column(result_group::hj);
  fit_status = status_column(result_group::fit);
  if (config.output.curves && config.settings.relaxation.enabled) {
    n_T = std::uint64_t(config.settings.relaxation.n_T);
    curve_value_bytes = config.output.float32 ? sizeof(float) : sizeof(Real);
    // The curves follow the columns: pad the columns to the curves' alignment.
    column_bytes = (column_bytes + curve_value_bytes - 1) / curve_value_bytes * curve_value_bytes;
  }
}

template <class Real>
void record_layout<Real>::pack(const point_result<Real>* results, const Real* curves, std::size_t n,
                               std::byte* out, unsigned threads) const {
  if (n_T > 0 && curves == nullptr)
    throw std::invalid_argument("record_layout::pack: the sweep writes /curves but the batch has no curves");
  // Tasks: every column in pieces of `piece` points, then the curves.
  constexpr std::size_t piece = std::size_t(1) << 15;
  const std::size_t pieces = (n + piece - 1) / piece;
  const std::size_t column_tasks = columns.size() * pieces;
  const std::size_t curve_values = n * std::size_t(n_T);
  const std::size_t curve_piece = piece * 8;
  const std::size_t curve_tasks = n_T > 0 ? (curve_values + curve_piece - 1) / curve_piece : 0;
  parallel_for(column_tasks + curve_tasks, threads, [&](std::size_t task) {
    if (task < column_tasks) {
      const column& c = columns[task / pieces];
      const std::size_t begin = (task % pieces) * piece, end = std::min(n, begin + piece);
      std::byte* at = out + n * c.offset;
      visit_member(*c.f, [&](auto* stored, auto member) {
        using stored_type = std::remove_pointer_t<decltype(stored)>;
        if constexpr (std::is_same_v<stored_type, Real>) {
          if (c.as_float) {
            float* values = reinterpret_cast<float*>(at);
            for (std::size_t i = begin; i < end; ++i) values[i] = static_cast<float>(value_of(results[i], member));
            return;
          }
        }
        stored_type* values = reinterpret_cast<stored_type*>(at);
        for (std::size_t i = begin; i < end; ++i) values[i] = static_cast<stored_type>(value_of(results[i], member));
      });
      return;
    }
    const std::size_t begin = (task - column_tasks) * curve_piece, end = std::min(curve_values, begin + curve_piece);
    std::byte* at = out + n * column_bytes;
    if (curve_value_bytes == sizeof(Real)) {
      std::memcpy(at + begin * sizeof(Real), curves + begin, (end - begin) * sizeof(Real));
    } else {
      float* values = reinterpret_cast<float*>(at);
      for (std::size_t i = begin; i < end; ++i) values[i] = static_cast<float>(curves[i]);
    }
  });
}

template struct record_layout<double>;
template struct record_layout<float>;

}  // namespace scaleham
