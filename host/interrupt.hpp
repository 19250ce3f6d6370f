// SIGINT, SIGTERM and SIGHUP during a sweep: the batch in flight is finished,
// recorded in the journal and written, then the run stops with `interrupted`
// (exit 128 + the signal's number) and says how to resume. A second signal
// ends the process at once, as without scaleham's handler. SIGXFSZ (a file
// size limit, `ulimit -f`) is ignored meanwhile, so the write that crosses the
// limit fails with EFBIG and ends like a full disk (exit 2, journal kept).
#pragma once

#include <csignal>
#include <stdexcept>
#include <string>

namespace scaleham {

/// The run stopped on a signal; everything finished so far is in the journal.
struct interrupted : std::runtime_error {
  int signal_number;
  interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_number(signal) {}
};

/// Installs the handlers for its lifetime and restores the previous ones
/// (Python's, when the binding runs). Guards may overlap (runs on several
/// threads of one process): the first installs, the last restores, and a
/// signal stops every run in flight. `keeps_work`: the run has a journal
/// (false for a run in memory), for what the handler says.
class interrupt_guard {
 public:
  explicit interrupt_guard(bool keeps_work = true);
  ~interrupt_guard();
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;

 private:
  bool keeps_work_;
};

/// The first signal received since the guard was installed, or 0.
int pending_signal();

/// "SIGINT", "SIGTERM", ...
std::string signal_name(int signal);

}  // namespace scaleham
