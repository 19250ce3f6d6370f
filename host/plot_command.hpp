// `scaleham plot FILE --kind ...`: the plots of the Python package
// (python/scaleham/plot.py), run as `python3 -m scaleham plot ...`.
#pragma once

#include <string>
#include <vector>

namespace scaleham {

/// Replaces this process with `PYTHON -m scaleham plot ARGS...` (PYTHON:
/// $SCALEHAM_PYTHON, else python3), the package's directory of this source
/// tree first on PYTHONPATH so that a build works without installing it.
/// Returns only when that cannot start: then an exit code (1) after a message
/// on stderr.
int run_plot_command(const std::vector<std::string>& args);

}  // namespace scaleham
