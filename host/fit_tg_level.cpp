// The level that defines Tg in `scaleham fit`, from the quantity the y
// column names (fit_command.hpp: quantity_of_column, tg_level_of).
#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "fit_command.hpp"

namespace scaleham {

column_quantity quantity_of_column(const std::string& y_column) {
  std::string name;
  for (unsigned char ch : y_column) name += char(std::tolower(ch));
  for (const char* prefix : {"log10_", "log10", "ln_", "log_"})
    if (name.rfind(prefix, 0) == 0) {
      name.erase(0, std::strlen(prefix));
      break;
    }
  const auto ends_with = [&](std::initializer_list<const char*> suffixes) {
    for (const char* suffix : suffixes) {
      const std::size_t n = std::strlen(suffix);
      if (name.size() >= n && name.compare(name.size() - n, n, suffix) == 0) return true;
    }
    return false;
  };
  if (name.rfind("eta", 0) == 0 || name.find("visc") != std::string::npos) {
    if (ends_with({"pa_s", "pa.s", "pas", "pa*s", "pa s"})) return {"viscosity in Pa s", 1e12};
    if (ends_with({"_p", "poise", "dpa_s", "dpa.s", "dpas"})) return {"viscosity in poise", 1e13};
    return {};  // a viscosity, but in units the name does not say
  }
  if (name.rfind("tau", 0) == 0 || name.rfind("relaxation_time", 0) == 0) {
    if (name == "tau" || name == "relaxation_time" || ends_with({"_s", "_sec", "seconds"}))
      return {"relaxation time in s", 100.0};
    return {};
  }
  return {};
}

tg_level_choice tg_level_of(const std::vector<std::string>& y_columns, double given_level, bool given) {
  if (given) return {given_level, "--tg-level", ""};
  std::vector<std::string> unknown, known;
  column_quantity common;
  bool differ = false;
  for (const std::string& column : y_columns) {
    const column_quantity q = quantity_of_column(column);
    if (q.level == 0) {
      unknown.push_back(column);
      continue;
    }
    known.push_back("'" + column + "': " + q.what);
    if (common.level != 0 && q.level != common.level) differ = true;
    if (common.level == 0) common = q;
  }
  if (differ || (!known.empty() && !unknown.empty())) {
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    for (const std::string& u : unknown) list += (list.empty() ? "'" : ", '") + u + "': unknown";
    throw std::invalid_argument("the y columns do not share one level at Tg (" + list +
                                "): fit them separately, or give --tg-level");
  }
  if (unknown.empty() && common.level != 0) return {common.level, "the quantity: " + common.what, ""};
  std::string list;
  for (const std::string& u : unknown) list += (list.empty() ? "'" : ", '") + u + "'";
  return {100.0, "default",
          fmt::format("warning: Tg is where y reaches 100 (the tau = 100 s convention): column {} names no "
                      "quantity whose level at Tg scaleham knows (it reads eta/viscosity in Pa s or poise, tau "
                      "in s); give --tg-level",
                      list)};
}

}  // namespace scaleham
