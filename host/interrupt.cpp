#include "interrupt.hpp"

#include <unistd.h>

#include <cstring>
#include <mutex>

namespace scaleham {

namespace {

volatile std::sig_atomic_t received = 0;
/// Every run in flight keeps its finished batches (none is a run in memory).
volatile std::sig_atomic_t all_keep_work = 1;
constexpr int handled[] = {SIGINT, SIGTERM, SIGHUP};

// The guards in flight, and the handlers the first one replaced.
std::mutex guards_mutex;
int guards = 0, guards_keeping_nothing = 0;
struct sigaction previous[4];

extern "C" void on_signal(int signal) {
  if (received != 0) {
    // Asked twice: stop now, the way the signal would without us.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  received = signal;
  // write(2) is async-signal-safe; stdio is not.
  static const char kept[] =
      "\nscaleham: stopping after the batch in flight (it is kept for --resume); signal again to stop at once\n";
  static const char not_kept[] =
      "\nscaleham: stopping after the batch in flight (a run in memory keeps nothing); signal again to stop at "
      "once\n";
  const ssize_t ignored = all_keep_work ? write(STDERR_FILENO, kept, sizeof kept - 1)
                                        : write(STDERR_FILENO, not_kept, sizeof not_kept - 1);
  (void)ignored;
}

}  // namespace

interrupt_guard::interrupt_guard(bool keeps_work) : keeps_work_(keeps_work) {
  const std::lock_guard<std::mutex> lock(guards_mutex);
  guards_keeping_nothing += keeps_work ? 0 : 1;
  all_keep_work = guards_keeping_nothing == 0;
  if (guards++ > 0) return;  // installed by a guard still in flight
  received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in flight carry on
  for (int i = 0; i < 3; ++i) sigaction(handled[i], &action, &previous[i]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGXFSZ, &ignore, &previous[3]);
}

interrupt_guard::~interrupt_guard() {
  const std::lock_guard<std::mutex> lock(guards_mutex);
  guards_keeping_nothing -= keeps_work_ ? 0 : 1;
  all_keep_work = guards_keeping_nothing == 0;
  if (--guards > 0) return;
  for (int i = 0; i < 3; ++i) sigaction(handled[i], &previous[i], nullptr);
  sigaction(SIGXFSZ, &previous[3], nullptr);
}

int pending_signal() { return received; }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "signal " + std::to_string(signal);
  }
}

}  // namespace scaleham
