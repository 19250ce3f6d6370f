// An environment variable set for a scope and restored after it (to its old
// value, or unset when it had none): for tests of behaviour that the
// environment selects (SCALEHAM_KERNEL_CACHE, SCALEHAM_FORMULA_OPTIMIZATION).
#pragma once

#include <cstdlib>
#include <string>

namespace scaleham::testing {

class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace scaleham::testing
