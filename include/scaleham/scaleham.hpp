/// \file scaleham.hpp
/// The whole header-only physics core of scaleham.
#pragma once

#include "scaleham/action.hpp"
#include "scaleham/config.hpp"
#include "scaleham/flow.hpp"
#include "scaleham/model.hpp"
#include "scaleham/numeric.hpp"
#include "scaleham/parameters.hpp"
#include "scaleham/grid.hpp"
#include "scaleham/point.hpp"
#include "scaleham/quadrature.hpp"
#include "scaleham/status.hpp"
#include "scaleham/steppers.hpp"
#include "scaleham/vft.hpp"
