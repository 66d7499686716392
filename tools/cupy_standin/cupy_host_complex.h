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

#endif  // CUPY_STANDIN_HOST_COMPLEX_H
