// What the core takes from the C++ standard library, for NVRTC, which has
// none: kernels compiled at run time (runtime_compiler.cpp) see this file as
// <cmath>, <cstdint>, <cfloat>, <type_traits> and <utility>. The math
// functions are CUDA's own (declared in the global namespace under NVRTC);
// the integer types are those of the LP64 host, so the kernels' parameters
// have the layout the host gives them (checked by static_asserts in the
// compiled program). Nothing else: a core header that needs more fails to
// compile at run time, which the test of the run-time compiler shows.
#pragma once

namespace std {

using ::cos;
using ::exp;
using ::fabs;
using ::fma;
using ::fmax;
using ::fmin;
using ::isfinite;
using ::isnan;
using ::ldexp;
using ::log;
using ::pow;
using ::rint;
using ::sin;
using ::sqrt;
using ::tanh;

using int8_t = signed char;
using uint8_t = unsigned char;
using int16_t = short;
using uint16_t = unsigned short;
using int32_t = int;
using uint32_t = unsigned int;
using int64_t = long;
using uint64_t = unsigned long;
using size_t = decltype(sizeof(0));

template <class T> struct remove_reference { using type = T; };
template <class T> struct remove_reference<T&> { using type = T; };
template <class T> struct remove_reference<T&&> { using type = T; };
template <class T> struct remove_cv { using type = T; };
template <class T> struct remove_cv<const T> { using type = T; };
template <class T> struct remove_cv<volatile T> { using type = T; };
template <class T> struct remove_cv<const volatile T> { using type = T; };
/// std::decay_t for the types the core gives it (no arrays or functions).
template <class T>
using decay_t = typename remove_cv<typename remove_reference<T>::type>::type;
template <class T>
T&& declval() noexcept;

}  // namespace std

#define DBL_EPSILON 2.2204460492503131e-16
#define DBL_MIN 2.2250738585072014e-308
#define DBL_MAX 1.7976931348623157e+308
#define FLT_EPSILON 1.19209290e-07F
#define FLT_MIN 1.17549435e-38F
#define FLT_MAX 3.40282347e+38F
