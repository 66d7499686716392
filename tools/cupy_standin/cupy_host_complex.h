// cupy_host_complex.h: CuPy's complex types (thrust's, on the device) as std::complex on the
// host. Apart from cupy_host.h because <complex> doubles the precompiled header (34 MB
// instead of 15 MB) and with it the time every kernel spends loading it (~30 ms): only
// kernels whose source says "complex" get this one (tools/cupy_standin/_compile.py).

#ifndef CUPY_STANDIN_HOST_COMPLEX_H
#define CUPY_STANDIN_HOST_COMPLEX_H

#include <complex>

template <typename T> using complex = std::complex<T>;
namespace thrust {
template <typename T> using complex = std::complex<T>;
}

// What cupy/complex.cuh and cupy/complex/arithmetic.h add to thrust's complex (std::complex
// has the rest: exp, log, sqrt, pow, trig, abs, arg, conj, real, imag, norm).
template <typename T> inline bool isnan(complex<T> z) { return isnan(z.real()) || isnan(z.imag()); }
template <typename T> inline bool isinf(complex<T> z) { return isinf(z.real()) || isinf(z.imag()); }
template <typename T> inline bool isfinite(complex<T> z) {
  return isfinite(z.real()) && isfinite(z.imag());
}
template <typename T> inline complex<T> log1p(complex<T> z) { return std::log(z + T(1)); }
template <typename T> inline complex<T> log2(complex<T> z) { return std::log(z) / std::log(T(2)); }
template <typename T> inline complex<T> expm1(complex<T> z) { return std::exp(z) - T(1); }
template <typename T> inline complex<T> rint(complex<T> z) {
  return complex<T>(rint(z.real()), rint(z.imag()));
}

// NumPy's order: by real part, then by imaginary part (NaN compares false, as in CuPy).
template <typename T> inline bool operator<(const complex<T>& a, const complex<T>& b) {
  return a.real() < b.real() || (a.real() == b.real() && a.imag() < b.imag());
}
template <typename T> inline bool operator>(const complex<T>& a, const complex<T>& b) {
  return b < a;
}
template <typename T> inline bool operator<=(const complex<T>& a, const complex<T>& b) {
  return a == b || a < b;
}
template <typename T> inline bool operator>=(const complex<T>& a, const complex<T>& b) {
  return a == b || b < a;
}
#define CUPY_STANDIN_MIXED_ORDER(op)                                                     \
  template <typename T> inline bool operator op(const T& a, const complex<T>& b) {       \
    return complex<T>(a) op b;                                                          \
  }                                                                                      \
  template <typename T> inline bool operator op(const complex<T>& a, const T& b) {       \
    return a op complex<T>(b);                                                          \
  }
CUPY_STANDIN_MIXED_ORDER(<)
CUPY_STANDIN_MIXED_ORDER(>)
CUPY_STANDIN_MIXED_ORDER(<=)
CUPY_STANDIN_MIXED_ORDER(>=)
#undef CUPY_STANDIN_MIXED_ORDER

// min and max as CuPy's: a NaN loses, then NumPy's order.
template <typename T> inline complex<T> min(complex<T> a, complex<T> b) {
  return isnan(a) ? b : isnan(b) ? a : (b < a ? b : a);
}
template <typename T> inline complex<T> max(complex<T> a, complex<T> b) {
  return isnan(a) ? b : isnan(b) ? a : (a < b ? b : a);
}

#endif  // CUPY_STANDIN_HOST_COMPLEX_H
