// libFuzzer harness of the measured-data CSV reader of `scaleham fit`: any
// input is CSV text given to parse_fit_csv, with the default column choice and,
// steered by the first byte, an explicit y scale, named columns or a σ column. A csv_error
// (no header, unknown column, bad value, too few rows) is the expected answer
// to bad input; any other exception, a crash or a sanitizer report is a bug:
// the exception escapes and libFuzzer reports it (std::terminate -> abort).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  scaleham::csv_options options;
  // The first byte picks the options, unless it is printable text: then the
  // whole input is the file (so plain CSV seeds work as they are).
  std::size_t skip = 0;
  if (size > 0 && data[0] < 0x10) {
    const std::uint8_t mode = data[0];
    skip = 1;
    if (mode & 1) options.scale = scaleham::y_scale::ln;
    if (mode & 2) options.scale = scaleham::y_scale::log10;
    if (mode & 4) {
      options.T_column = "T";
      options.y_column = "y";
      options.dataset_column = "set";
    }
    if (mode & 8) {
      options.sigma_column = "s";
      options.sigma_relative = (mode & 1) != 0;
    }
  }
  const std::string text(reinterpret_cast<const char*>(data) + skip, size - skip);
  try {
    const scaleham::csv_file file = scaleham::parse_fit_csv(text, "data/fuzz.csv", options);
    // What the reader promises for accepted input.
    if (file.datasets.empty() || file.datasets.size() != file.first_line.size()) std::abort();
    for (const scaleham::fit_dataset& d : file.datasets) {
      if (d.T.size() != d.y.size() || d.T.size() < 4 || d.line.size() != d.T.size()) std::abort();
      if (d.w.size() != (options.sigma_column.empty() ? 0 : d.T.size())) std::abort();
      for (std::size_t i = 0; i < d.T.size(); ++i)
        if (!(d.T[i] > 0) || !std::isfinite(d.T[i]) || !std::isfinite(d.y[i])) std::abort();
      for (double w : d.w)
        if (!(w > 0) || !std::isfinite(w)) std::abort();
    }
  } catch (const scaleham::csv_error&) {
    // Rejected with a message: fine.
  }
  return 0;
}
