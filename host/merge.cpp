#include "merge.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "batches.hpp"
#include "config.hpp"
#include "h5.hpp"
#include "output_fields.hpp"
#include "output_file.hpp"
#include "shards.hpp"

namespace scaleham {

namespace {

/// What a part says of itself (its root attributes).
struct part_file {
  std::string path;
  std::string config, config_source, version, precision, backend, device;
  std::string git_commit, command_line, host;
  shard_spec shard;
  batch range;
  double seconds_compute = 0, seconds_total = 0;
};

std::string text_or(hid_t root, const std::string& name, const std::string& otherwise) {
  return h5::has_attribute(root, name) ? h5::attribute_text(root, name) : otherwise;
}

part_file read_part(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(path, error)) throw merge_error(path + ": no such file");
  part_file p;
  p.path = path;
  try {
    h5::quiet_errors();
    const h5::file file = h5::open_file_read_only(path);
    const hid_t root = file.get();
    for (const char* name : {"config", "version", "precision", "complete"})
      if (!h5::has_attribute(root, name)) throw merge_error(path + " is not a scaleham sweep file (no " + name + ")");
    if (h5::attribute_text(root, "complete") != "1")
      throw merge_error(path + " is not complete (the run that writes it has not finished)");
    if (!h5::has_attribute(root, "shard"))
      throw merge_error(path + " holds a whole sweep, not a shard of one (scaleham run --shard K/N)");
    p.config = h5::attribute_text(root, "config");
    p.config_source = text_or(root, "config_source", "");
    p.version = h5::attribute_text(root, "version");
    p.precision = h5::attribute_text(root, "precision");
    p.backend = text_or(root, "backend", "");
    p.device = text_or(root, "device", "");
    p.git_commit = text_or(root, "git_commit", "unknown");
    p.command_line = text_or(root, "command_line", "");
    p.host = text_or(root, "host", "");
    try {
      p.seconds_compute = std::stod(text_or(root, "seconds_compute", "0"));
      p.seconds_total = std::stod(text_or(root, "seconds_total", "0"));
      p.shard = parse_shard(h5::attribute_text(root, "shard"));
      p.range = {std::stoull(h5::attribute_text(root, "shard_first")),
                 std::stoull(h5::attribute_text(root, "shard_points"))};
    } catch (const std::exception&) {
      throw merge_error(path + ": its shard or timing attributes are damaged");
    }
  } catch (const h5_error& e) {
    throw merge_error(path + " cannot be read as HDF5: " + e.what());
  }
  return p;
}

/// Refuses parts that do not make one sweep; returns them in shard order.
std::vector<part_file> check_parts(std::vector<part_file> parts, std::uint64_t total) {
  const part_file& first = parts.front();
  const auto differs = [&](const part_file& p, const std::string& what) {
    throw merge_error(p.path + " and " + first.path + " are not parts of one sweep: " + what);
  };
  for (const part_file& p : parts) {
    if (p.config != first.config) differs(p, "their configurations differ");
    if (p.version != first.version)
      differs(p, "written by scaleham " + p.version + " and " + first.version);
    if (p.precision != first.precision) differs(p, "precision " + p.precision + " and " + first.precision);
    if (p.shard.count != first.shard.count)
      differs(p, "shards of " + std::to_string(p.shard.count) + " and of " + std::to_string(first.shard.count));
  }
  std::map<std::uint64_t, const part_file*> by_index;
  for (const part_file& p : parts) {
    const auto [at, inserted] = by_index.emplace(p.shard.index, &p);
    if (!inserted)
      throw merge_error(p.path + " and " + at->second->path + " are both shard " + p.shard.text());
    if (p.shard.count > total)
      throw merge_error(p.path + ": shard " + p.shard.text() + " of a grid of " + std::to_string(total) + " points");
    const batch want = shard_range(total, p.shard);
    if (p.range.first != want.first || p.range.count != want.count)
      throw merge_error(p.path + ": shard " + p.shard.text() + " should hold points [" + std::to_string(want.first) +
                        ", " + std::to_string(want.first + want.count) + ") of the grid");
  }
  std::string missing;
  std::uint64_t n_missing = 0;
  for (std::uint64_t k = 0; k < first.shard.count; ++k)
    if (!by_index.count(k)) {
      if (++n_missing <= 10) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
    }
  if (n_missing > 0)
    throw merge_error(std::to_string(n_missing) + " of " + std::to_string(first.shard.count) +
                      " shards missing: " + missing + (n_missing > 10 ? ", ..." : "") +
                      " (run them with scaleham run --shard K/" + std::to_string(first.shard.count) + ")");
  std::sort(parts.begin(), parts.end(),
            [](const part_file& a, const part_file& b) { return a.shard.index < b.shard.index; });
  return parts;
}

/// Reads batch b of an output file back into the writer's packed form
/// (record_layout): each written column's hyperslab, and the curves. Columns
/// the file does not hold (status codes only counted) stay 0.
template <class Real>
void read_packed(hid_t file, const sweep_config& config, const record_layout<Real>& layout, const batch& b,
                 std::vector<std::byte>& packed) {
  packed.assign(b.count * layout.bytes_per_point(), std::byte{0});
  const hyperslab slab = hyperslab_of(config.shape(), b);
  std::vector<hsize_t> start(slab.start.begin(), slab.start.end()), count(slab.count.begin(), slab.count.end());
  for (const auto& column : layout.columns) {
    if (!column.written) continue;
    const field<Real>& f = *column.f;
    const hid_t type = visit_member(f, [&](auto* stored, auto) {
      using stored_type = std::remove_pointer_t<decltype(stored)>;
      return column.as_float ? h5::native_type<float>() : h5::native_type<stored_type>();
    });
    const h5::dataset set = h5::open_dataset(file, std::string(group_name(f.group)) + "/" + f.name);
    h5::read_hyperslab(set.get(), type, start, count, packed.data() + b.count * column.offset);
  }
  if (layout.n_T > 0) {
    start.push_back(0);
    count.push_back(layout.n_T);
    const hid_t type = layout.curve_value_bytes == sizeof(float) ? h5::native_type<float>() : h5::native_type<Real>();
    const h5::dataset set = h5::open_dataset(file, "curves/log_tau");
    h5::read_hyperslab(set.get(), type, start, count, packed.data() + b.count * layout.column_bytes);
  }
}

/// One line per part, or the common value when all parts agree.
std::string common_or_lines(const std::vector<part_file>& parts, std::string part_file::*member) {
  std::string lines;
  bool same = true;
  for (const part_file& p : parts) {
    same = same && p.*member == parts.front().*member;
    lines += (lines.empty() ? "" : "\n") + p.*member;
  }
  return same ? parts.front().*member : lines;
}

std::string lines_of(const std::vector<part_file>& parts, std::string part_file::*member) {
  std::string lines;
  for (const part_file& p : parts) lines += (lines.empty() ? "" : "\n") + p.*member;
  return lines;
}

/// Where a virtual file finds a part: relative to the output's directory
/// when it can be (the two can then move together), else absolute.
std::string source_name(const std::string& part, const std::string& output) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path from = fs::absolute(output, error).parent_path();
  const fs::path to = fs::absolute(part, error);
  const fs::path relative = fs::relative(to, from, error);
  return error || relative.empty() ? to.string() : relative.string();
}

template <class Real>
void write_merged(const std::vector<part_file>& parts, const sweep_config& config, const merge_options& options) {
  writer_options writing;
  writing.threads = options.writer_threads;
  if (options.virtual_file)
    for (const part_file& p : parts) writing.virtual_parts.push_back({source_name(p.path, options.output_path), p.range});
  result_writer<Real> writer(options.output_path, config, options.force, writing);
  const record_layout<Real>& layout = writer.layout();
  // Batches of at most ~64 MB of packed results.
  const std::uint64_t max_points = std::max<std::uint64_t>(1, (std::uint64_t(64) << 20) / layout.bytes_per_point());
  std::vector<std::byte> packed;
  for (const part_file& p : parts) {
    if (options.virtual_file) break;  // the parts hold the data
    const h5::file file = h5::open_file_read_only(p.path);
    for (const batch& b : plan_range(config.shape(), p.range.first, p.range.count, max_points)) {
      try {
        read_packed(file.get(), config, layout, b, packed);
      } catch (const h5_error& e) {
        throw merge_error(p.path + ": its results cannot be read as this sweep's (" + e.what() + ")");
      }
      writer.write_packed(b, packed.data());
    }
  }
  run_info info;
  info.backend = common_or_lines(parts, &part_file::backend);
  info.device = common_or_lines(parts, &part_file::device);
  info.precision = parts.front().precision;
  info.version = parts.front().version;
  info.points = config.size();
  for (const part_file& p : parts) {
    info.seconds_compute += p.seconds_compute;
    info.seconds_total += p.seconds_total;
  }
  info.provenance = process_provenance(options.command_line, "scaleham sweep, merged from shards");
  std::string names;
  for (const part_file& p : parts)
    names += (names.empty() ? "" : "\n") + (options.virtual_file ? source_name(p.path, options.output_path)
                                                                 : std::filesystem::path(p.path).filename().string());
  info.provenance.push_back({"merged_from", names});
  if (options.virtual_file) info.provenance.push_back({"virtual", "1"});
  info.provenance.push_back({"shard_count", std::to_string(parts.size())});
  info.provenance.push_back({"shard_hosts", lines_of(parts, &part_file::host)});
  info.provenance.push_back({"shard_commands", lines_of(parts, &part_file::command_line)});
  info.provenance.push_back({"shard_git_commits", lines_of(parts, &part_file::git_commit)});
  writer.finish(info);
}

}  // namespace

merge_summary merge_shards(const merge_options& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.parts.empty()) throw merge_error("no parts to merge");
  check_output_path(options.output_path, /*force=*/true);  // the path itself; replacing is decided by the writer
  check_not_an_input(options.output_path, options.parts);
  const output_lock lock(options.output_path);
  std::vector<part_file> parts;
  for (const std::string& path : options.parts) parts.push_back(read_part(path));
  const sweep_config config = parse_config_text(parts.front().config, parts.front().config_source);
  parts = check_parts(std::move(parts), config.size());
  if (parts.front().precision == "float")
    write_merged<float>(parts, config, options);
  else
    write_merged<double>(parts, config, options);
  merge_summary summary;
  summary.output_path = options.output_path;
  summary.points = config.size();
  summary.parts = parts.size();
  summary.seconds_total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace scaleham
