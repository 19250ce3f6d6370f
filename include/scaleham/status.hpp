/// \file status.hpp
/// Status codes of every per-point computation, and their names, in one place.
///
/// Device code never throws: each path, quadrature or fit ends with one of
/// these codes. The numeric values are stored in output files, so they are
/// fixed: append new codes, never renumber.
#pragma once

#include <cstdint>

#include "scaleham/config.hpp"

namespace scaleham {

enum class status : std::uint8_t {
  ok = 0,                    ///< finished normally (end of the ℓ span, or converged)
  target_reached = 1,        ///< flow stopped because g reached the requested target
  left_domain = 2,           ///< flow stopped because g left the open interval (g_min, g_max)
  non_finite = 3,            ///< the state or integrand became Inf/NaN and could not be avoided
  max_steps = 4,             ///< step (or subdivision) budget exhausted before the end
  step_size_underflow = 5,   ///< adaptive step fell below the smallest allowed step
  invalid_options = 6,       ///< tolerances, step counts or spans that make no sense
  invalid_initial_state = 7, ///< initial state non-finite or outside the domain
  singular_integrand = 8,    ///< F/β has a pole inside the interval (β = 0 or g = 0 with 1/g terms)
  not_converged = 9,         ///< quadrature or fit: tolerance not met with the budget spent
  at_bound = 10,             ///< fit ended on a bound: T_vf = 0 (Arrhenius limit) or T_vf → min T
  too_few_points = 11,       ///< fit needs at least 4 finite points (3 parameters + 1 for errors)
  no_vft_minimum = 12,       ///< no VFT curve with B > 0 fits: the data do not slow down on cooling
  out_of_range = 13,         ///< finite inputs whose magnitudes the floating type cannot carry through
                             ///< the computation (an intermediate or result over- or underflows)
};

/// Number of status codes; valid codes are 0 .. status_count - 1.
inline constexpr int status_count = 14;

/// Short snake_case name of a status code, as written into HDF5 attributes.
SCALEHAM_HD inline const char* status_name(status s) {
  switch (s) {
    case status::ok: return "ok";
    case status::target_reached: return "target_reached";
    case status::left_domain: return "left_domain";
    case status::non_finite: return "non_finite";
    case status::max_steps: return "max_steps";
    case status::step_size_underflow: return "step_size_underflow";
    case status::invalid_options: return "invalid_options";
    case status::invalid_initial_state: return "invalid_initial_state";
    case status::singular_integrand: return "singular_integrand";
    case status::not_converged: return "not_converged";
    case status::at_bound: return "at_bound";
    case status::too_few_points: return "too_few_points";
    case status::no_vft_minimum: return "no_vft_minimum";
    case status::out_of_range: return "out_of_range";
  }
  return "unknown";
}

/// What a status code means, in a few words (run summaries, messages).
inline const char* status_meaning(status s) {
  switch (s) {
    case status::ok: return "finished normally";
    case status::target_reached: return "the flow reached the target g";
    case status::left_domain: return "g left (g_min, g_max)";
    case status::non_finite: return "the state or integrand became Inf/NaN";
    case status::max_steps: return "the step or subdivision budget ran out";
    case status::step_size_underflow: return "the adaptive step fell below the smallest allowed";
    case status::invalid_options: return "tolerances, steps or spans that make no sense";
    case status::invalid_initial_state: return "the initial state is non-finite or outside the domain";
    case status::singular_integrand: return "F/beta has a pole in the interval (beta = 0, or g <= 0: T at or below T0)";
    case status::not_converged: return "the tolerance was not met within the budget";
    case status::at_bound: return "the fit ended on a bound";
    case status::too_few_points: return "fewer than 4 finite points to fit";
    case status::no_vft_minimum: return "no VFT curve with B > 0 fits: the curve does not slow down on cooling";
    case status::out_of_range: return "a value over- or underflows the floating type";
  }
  return "unknown status";
}

/// True for the codes that mean "the numbers are a valid result". A fit that
/// ended on a bound is valid (the best VFT curve within the bounds) but says so.
SCALEHAM_HD inline constexpr bool succeeded(status s) {
  return s == status::ok || s == status::target_reached || s == status::at_bound;
}

}  // namespace scaleham
