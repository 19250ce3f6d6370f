// What the build knows of itself, for the provenance of every output file.
#pragma once

namespace scaleham {

/// The git commit the binary was built from ("…-dirty" with local changes,
/// "unknown" outside a git checkout); generated at each build.
const char* build_git_commit();

}  // namespace scaleham
