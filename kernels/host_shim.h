// host_shim.h: the CUDA vocabulary of gpugrad's generated kernels, mapped onto a host C++
// compiler (g++ or clang++), so that `python -m gpugrad kernels --run-on-host` can run the
// very text NVRTC compiles on machines without a GPU (gpugrad/kernel/host.py).
//
// What it maps, and where the host differs from the device:
//   __device__, __forceinline__, __global__   qualifiers: nothing, inline, nothing
//   sin(x), exp(x), fmod(a, b), isnan(x), ... C++'s <cmath> overloads, which like CUDA's pick
//                                             the float version for a float argument (sinf)
//   erfinv(x)                                 not in the C library: computed here in double
//                                             (a first guess refined by Newton steps)
//   float16                                   CuPy's storage class: GCC/Clang's _Float16, whose
//                                             conversions round to nearest even, as CuPy's do
//   __uint_as_float, __fmul_rn, __fmaf_rn...  bit casts (memcpy) and single roundings
// The device library's float functions are not the host's (each is within a few ulps of
// the true value on both), and CuPy compiles with -ftz=true (float32 subnormals read as
// zero) and contracts a*b+c into FMAs; the host does neither. The host run checks each
// kernel's formula, not the device library's rounding.

#ifndef GPUGRAD_HOST_SHIM_H
#define GPUGRAD_HOST_SHIM_H

#include <math.h>  // the C++ wrapper: std's float and double overloads in the global namespace
#include <cmath>

#define __device__
#define __forceinline__ inline
#define __global__

typedef _Float16 float16;

// The bit casts and correctly rounded intrinsics of gpugrad.random's kernels (threefry.cuh).
// The host compiles with -ffp-contract=off and SSE arithmetic, so a plain a * b is rounded
// once, as __fmul_rn is; fmaf is the C library's exact fused multiply-add.
#include <string.h>
template <typename To, typename From> inline To gg_host_bits(From x) {
    To y;
    memcpy(&y, &x, sizeof(y));
    return y;
}
inline float __uint_as_float(unsigned int u) { return gg_host_bits<float>(u); }
inline float __int_as_float(int u) { return gg_host_bits<float>(u); }
inline unsigned int __float_as_uint(float f) { return gg_host_bits<unsigned int>(f); }
inline double __longlong_as_double(long long u) { return gg_host_bits<double>(u); }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return sqrt(a); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }

// erfinv(y): the root x of erf(x) = |y|, with y's sign. The first guess is the logarithmic
// approximation x ~ sqrt(sqrt(t^2 - l / a) - t), t = 2/(pi a) + l/2, l = log(1 - y^2),
// a = 0.147; Newton steps on erf(x) - |y| (written (1 - |y|) - erfc(x) past 0.5, where 1 - |y|
// is exact and erfc keeps its relative precision near 1) make it accurate to double's last
// bits on (-1, 1).
inline double gg_host_erfinv(double y) {
    if (y != y || y < -1.0 || y > 1.0) return 0.0 / 0.0;
    if (y == 1.0 || y == -1.0) return y / 0.0;
    if (y == 0.0) return y;
    const double a = 0.147, pi = 3.14159265358979323846;
    double v = fabs(y), l = log1p(-v * v), t = 2.0 / (pi * a) + 0.5 * l;
    double x = sqrt(sqrt(t * t - l / a) - t);
    for (int k = 0; k < 5; ++k) {
        double slope = 2.0 / sqrt(pi) * exp(-x * x);
        if (!(slope > 0.0)) break;  // beyond double's reach of 1 - |y|
        double residual = v < 0.5 ? erf(x) - v : (1.0 - v) - erfc(x);
        x -= residual / slope;
    }
    return copysign(x, y);
}

inline float erfinv(float y) { return (float)gg_host_erfinv((double)y); }
inline double erfinv(double y) { return gg_host_erfinv(y); }

#endif  // GPUGRAD_HOST_SHIM_H
