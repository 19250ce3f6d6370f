#include "interrupt.hpp"

#include <unistd.h>

#include <cstring>

namespace scaleham {

namespace {

volatile std::sig_atomic_t received = 0;
constexpr int handled[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void on_signal(int signal) {
  if (received != 0) {
    // Asked twice: stop now, the way the signal would without us.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  received = signal;
  // write(2) is async-signal-safe; stdio is not.
  static const char message[] =
      "\nscaleham: stopping after the batch in flight (it is kept for --resume); signal again to stop at once\n";
  const ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
  (void)ignored;
}

}  // namespace

interrupt_guard::interrupt_guard() {
  received = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in flight carry on
  for (int i = 0; i < 3; ++i) sigaction(handled[i], &action, &previous_[i]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGXFSZ, &ignore, &previous_[3]);
}

interrupt_guard::~interrupt_guard() {
  for (int i = 0; i < 3; ++i) sigaction(handled[i], &previous_[i], nullptr);
  sigaction(SIGXFSZ, &previous_[3], nullptr);
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
