// gpugrad_math.cuh: device helpers for the CUDA templates of gpugrad's elementwise catalog
// (gpugrad/expr/catalog.py). Every generated kernel includes this file (its text is
// inlined into the kernel's preamble, so CuPy's on-disk cache key covers it).
//
// The helpers exist where the CUDA device library's semantics differ from NumPy's:
//   gg_ipow          x**n for an integer n, by repeated squaring (exact for integers;
//                    also for complex x, which CuPy's complex.cuh has no integer pow for)
//   gg_exp2          2**x; for complex x exp(x * ln 2) (complex.cuh has no complex exp2)
//   gg_maximum/min   NaN-propagating, like np.maximum / np.minimum (fmax/fmin drop NaNs)
//   gg_floor_divide  Python's sign convention (round towards -inf), like np.floor_divide
//   gg_remainder     the result takes the divisor's sign, like np.remainder (fmod does not)
//   gg_logaddexp     log(exp(a) + exp(b)) without overflow, like np.logaddexp
//   gg_sign          sign(NaN) = NaN and sign(+-0) = 0, like np.sign
//   gg_softplus      log1p(exp(x)) without overflow
//   gg_sigmoid       1 / (1 + exp(-x)) without overflow
//   gg_digamma       psi(x) = d/dx log Gamma(x) (the device library has lgamma only)
//   gg_polygamma     psi^(n)(x) for an integer n >= 0
//
// All are templates over the element type: float and double, and where meaningful the
// integer types. NumPy's float16 is computed in float by the generated kernels, so these
// never see CuPy's float16 class.
//
// GG_FN marks every helper; defining it before inclusion (e.g. `-DGG_FN=inline` with a host
// compiler and <cmath>) lets the same code be unit-tested on a CPU.

#ifndef GPUGRAD_MATH_CUH
#define GPUGRAD_MATH_CUH

#ifndef GG_FN
#define GG_FN __device__ __forceinline__
#endif

// Type traits, hand-rolled: NVRTC without -default-device has no <type_traits> guarantee.
template <typename T> struct gg_is_float { static const bool value = false; };
template <> struct gg_is_float<float> { static const bool value = true; };
template <> struct gg_is_float<double> { static const bool value = true; };

template <typename T> struct gg_is_signed { static const bool value = T(-1) < T(0); };

// The overload tag of a kind: `const bool*` selects the floating versions, `const int*` the
// integer ones. Tag dispatch rather than C++17's `if constexpr` keeps the header plain
// C++11, so that any host compiler can unit-test it.
// The integer types: gg_ipow's integer power truncates, every other type (float, double,
// thrust::complex) takes the reciprocal for a negative exponent.
template <typename T> struct gg_is_int { static const bool value = false; };
#define GG_INT_TYPE(T) template <> struct gg_is_int<T> { static const bool value = true; }
GG_INT_TYPE(char); GG_INT_TYPE(signed char); GG_INT_TYPE(unsigned char); GG_INT_TYPE(short);
GG_INT_TYPE(unsigned short); GG_INT_TYPE(int); GG_INT_TYPE(unsigned int); GG_INT_TYPE(long);
GG_INT_TYPE(unsigned long); GG_INT_TYPE(long long); GG_INT_TYPE(unsigned long long);
#undef GG_INT_TYPE

template <bool is_float> struct gg_select_tag { typedef int type; };
template <> struct gg_select_tag<true> { typedef bool type; };

// x != x is true only for NaN (and always false for integers); gpugrad never compiles with
// fast-math, which is what could fold it away.
template <typename T> GG_FN bool gg_isnan(T x) { return x != x; }

// --- powers --------------------------------------------------------------------------

// x**n for n >= 0: O(log n) multiplications, exact for integers.
template <typename T> GG_FN T gg_ipow_nonneg(T x, unsigned int n) {
    T result = T(1);
    while (n) {
        if (n & 1u) result *= x;
        n >>= 1;
        if (n) x *= x;
    }
    return result;
}

// x**n for floating x: a negative exponent is the reciprocal of the positive power.
template <typename T> GG_FN T gg_ipow_impl(T x, int n, const bool* /*is_float*/) {
    if (n >= 0) return gg_ipow_nonneg(x, (unsigned int)n);
    return T(1) / gg_ipow_nonneg(x, 0u - (unsigned int)n);
}

// x**n for integer x and n < 0: the truncated reciprocal, nonzero only for |x| == 1
// (NumPy raises on negative integer powers; this is the value C integer division gives).
template <typename T> GG_FN T gg_ipow_impl(T x, int n, const int* /*is_int*/) {
    if (n >= 0) return gg_ipow_nonneg(x, (unsigned int)n);
    if (x == T(1)) return T(1);
    if (gg_is_signed<T>::value && x == T(-1)) return (n & 1) ? x : T(1);
    return T(0);
}

template <typename T> GG_FN T gg_ipow(T x, int n) {
    typedef typename gg_select_tag<!gg_is_int<T>::value>::type tag;  // overload by kind
    return gg_ipow_impl(x, n, (const tag*)0);
}

// --- NaN-propagating maximum and minimum ---------------------------------------------

// On a tie the second argument is the result, as NumPy's loops give it: the two differ only
// for +0 and -0, where np.maximum(0.0, -0.0) is -0.0 (JAX gives +0.0 for either order).
template <typename T> GG_FN T gg_maximum(T a, T b) {
    // np.maximum: a NaN in either argument is the result (the first one if both).
    if (gg_isnan(a)) return a;
    if (gg_isnan(b)) return b;
    return a > b ? a : b;
}

template <typename T> GG_FN T gg_minimum(T a, T b) {
    if (gg_isnan(a)) return a;
    if (gg_isnan(b)) return b;
    return a < b ? a : b;
}

// --- floor division and remainder with Python's signs --------------------------------

// NumPy's npy_divmod for floats: the quotient rounded towards -inf, the remainder with the
// divisor's sign, both computed from fmod so that a == q*b + r holds as closely as possible.
template <typename T> GG_FN T gg_divmod_float(T a, T b, T* mod_out) {
    T mod = fmod(a, b);
    if (b == T(0)) {  // fmod gives NaN; the quotient is a/b (inf or NaN), as in NumPy
        *mod_out = mod;
        return a / b;
    }
    T div = (a - mod) / b;
    if (mod != T(0)) {
        if ((b < T(0)) != (mod < T(0))) {
            mod += b;
            div -= T(1);
        }
    } else {
        mod = copysign(T(0), b);  // an exact zero remainder takes the divisor's sign
    }
    T floordiv;
    if (div != T(0)) {
        floordiv = floor(div);
        if (div - floordiv > T(0.5)) floordiv += T(1);  // div is integral up to rounding
    } else {
        floordiv = copysign(T(0), a / b);
    }
    *mod_out = mod;
    return floordiv;
}

template <typename T> GG_FN T gg_floor_divide_impl(T a, T b, const bool*) {
    T mod;
    return gg_divmod_float(a, b, &mod);
}

template <typename T> GG_FN T gg_remainder_impl(T a, T b, const bool*) {
    if (b == T(0)) return fmod(a, b);  // NaN, as in NumPy
    T mod;
    gg_divmod_float(a, b, &mod);
    return mod;
}

// Integers: C truncates towards zero; step down when the signs differ and the division
// is inexact. Division by zero gives 0, as NumPy does (it also warns).
template <typename T> GG_FN T gg_floor_divide_impl(T a, T b, const int*) {
    if (b == T(0)) return T(0);
    if (gg_is_signed<T>::value && b == T(-1)) return T(0) - a;  // avoids INT_MIN / -1 trap
    T q = a / b;
    if (gg_is_signed<T>::value && a % b != T(0) && ((a < T(0)) != (b < T(0)))) q -= T(1);
    return q;
}

template <typename T> GG_FN T gg_remainder_impl(T a, T b, const int*) {
    if (b == T(0)) return T(0);
    if (gg_is_signed<T>::value && b == T(-1)) return T(0);
    T r = a % b;
    if (gg_is_signed<T>::value && r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
    return r;
}

template <typename T> GG_FN T gg_floor_divide(T a, T b) {
    typedef typename gg_select_tag<gg_is_float<T>::value>::type tag;
    return gg_floor_divide_impl(a, b, (const tag*)0);
}

template <typename T> GG_FN T gg_remainder(T a, T b) {
    typedef typename gg_select_tag<gg_is_float<T>::value>::type tag;
    return gg_remainder_impl(a, b, (const tag*)0);
}

// --- logarithms and exponentials -----------------------------------------------------

// 2**x: the device library's exp2 for float and double; any other type (thrust::complex,
// whose header has exp but no exp2) as exp(x * ln 2).
template <typename T> GG_FN T gg_exp2_impl(T x, const bool* /*is_float*/) { return exp2(x); }
template <typename T> GG_FN T gg_exp2_impl(T x, const int* /*other*/) {
    return exp(x * T(0.693147180559945309417232121458176568));
}

template <typename T> GG_FN T gg_exp2(T x) {
    typedef typename gg_select_tag<gg_is_float<T>::value>::type tag;
    return gg_exp2_impl(x, (const tag*)0);
}

// log(exp(a) + exp(b)) = max + log1p(exp(-|a - b|)). Equal arguments (including equal
// infinities, where a - b is NaN) give a + log(2), as in NumPy.
template <typename T> GG_FN T gg_logaddexp(T a, T b) {
    if (a == b) return a + T(0.69314718055994530942);
    T d = a - b;
    if (d > T(0)) return a + log1p(exp(-d));
    if (d <= T(0)) return b + log1p(exp(d));
    return d;  // NaN in, NaN out
}

// softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): never overflows.
template <typename T> GG_FN T gg_softplus(T x) {
    if (x > T(0)) return x + log1p(exp(-x));
    return log1p(exp(x));  // also the NaN path
}

// sigmoid(x) = 1 / (1 + exp(-x)), written so that exp only sees non-positive arguments.
template <typename T> GG_FN T gg_sigmoid(T x) {
    if (x >= T(0)) return T(1) / (T(1) + exp(-x));
    T e = exp(x);
    return e / (T(1) + e);  // also the NaN path
}

// --- sign ------------------------------------------------------------------------------

// np.sign: 1, -1, 0 for both zeros, and NaN for NaN.
template <typename T> GG_FN T gg_sign(T x) {
    if (x > T(0)) return T(1);
    if (x < T(0)) return T(0) - T(1);
    if (x == T(0)) return T(0);
    return x;  // NaN
}

// --- digamma and polygamma -------------------------------------------------------------
// The same methods as gpugrad/primitives/special_math.py (the NumPy side), in double for
// every T: upward recurrence to x >= 10, then the asymptotic series in the Bernoulli numbers
// B_2 .. B_20; reflection for negative x.

GG_FN double gg_bernoulli(int k) {  // B_{2k}, k = 1..10
    const double b[10] = {1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730,
                          7.0 / 6, -3617.0 / 510, 43867.0 / 798, -174611.0 / 330};
    return b[k - 1];
}

GG_FN double gg_digamma_double(double x) {
    const double pi = 3.14159265358979323846;
    if (gg_isnan(x) || x == -1.0 / 0.0) return 0.0 / 0.0;
    if (x == 1.0 / 0.0) return x;
    if (x == 0.0) return copysign(1.0 / 0.0, -x);  // -inf at +0, +inf at -0
    bool reflect = x < 0.0;
    double y = reflect ? 1.0 - x : x;
    double shift = 0.0;
    while (y < 10.0) {  // psi(y) = psi(y + 1) - 1/y
        shift += 1.0 / y;
        y += 1.0;
    }
    double a2 = 1.0 / (y * y);
    double series = 0.0;
    for (int k = 10; k >= 1; --k) series = series * a2 + gg_bernoulli(k) / (2 * k);
    double out = log(y) - 0.5 / y - series * a2 - shift;
    if (reflect) {  // psi(x) = psi(1 - x) - pi / tan(pi x), the tangent of the fractional part
        double r = x - rint(x);
        if (r == 0.0) return 0.0 / 0.0;  // the poles at -1, -2, ...
        out -= pi / tan(pi * r);
    }
    return out;
}

// The Hurwitz zeta function sum_{k>=0} (q + k)^-s for an integer s >= 2 (Euler-Maclaurin).
GG_FN double gg_hurwitz_zeta(int s, double q) {
    if (q == 1.0 / 0.0) return 0.0;
    if (!(q > -1e5) || q != q || q == -1.0 / 0.0) return 0.0 / 0.0;
    double direct = 0.0;
    while (q < 10.0) {
        direct += pow(q, (double)-s);
        q += 1.0;
    }
    double tail = pow(q, 1.0 - s) / (s - 1) + 0.5 * pow(q, (double)-s);
    double rising = s, factorial = 2.0, power = pow(q, -(s + 1.0)), a2 = 1.0 / (q * q);
    for (int j = 1; j <= 10; ++j) {
        tail += gg_bernoulli(j) / factorial * rising * power;
        rising *= (double)(s + 2 * j - 1) * (s + 2 * j);
        factorial *= (double)(2 * j + 1) * (2 * j + 2);
        power *= a2;
    }
    return direct + tail;
}

template <typename T> GG_FN T gg_digamma(T x) { return (T)gg_digamma_double((double)x); }

// polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x); n arrives as a T constant.
template <typename T> GG_FN T gg_polygamma(T n_value, T x) {
    int n = (int)n_value;
    if (n == 0) return gg_digamma(x);
    if (n < 0) return (T)(0.0 / 0.0);
    double factorial = 1.0;
    for (int k = 2; k <= n; ++k) factorial *= k;
    double sign = (n & 1) ? 1.0 : -1.0;
    return (T)(sign * factorial * gg_hurwitz_zeta(n + 1, (double)x));
}

#endif  // GPUGRAD_MATH_CUH
