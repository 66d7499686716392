// cupy_host.h: what CuPy prepends to every kernel (cupy/carray.cuh, cupy/complex.cuh,
// cupy/atomics.cuh) and the CUDA launch vocabulary, for kernels compiled on the host by the
// CuPy stand-in (tools/cupy_standin/kernels.py). Included after kernels/host_shim.h.
//
// Kernels run serially on one CPU thread: an atomic is a plain read-modify-write, and
// __shared__ is a static variable (kernels that need __syncthreads are refused before
// compiling, since a serial loop over threads cannot honour it).

#ifndef CUPY_STANDIN_HOST_H
#define CUPY_STANDIN_HOST_H

#include <cstddef>
#include <utility>
#include <type_traits>

#define __host__
#define __restrict__ __restrict
#define __shared__ static
#define __constant__ static
#define __launch_bounds__(...)
#define __noinline__ __attribute__((noinline))

// (complex numbers: cupy_host_complex.h, in the precompiled header of kernels that use them.)

// CArray<T, ndim, c_contiguous, use_32bit_indexing> (cupy/carray.cuh): data, size, shape and
// strides in bytes; a[i] is the i-th element in C order, a[idx] takes one index per axis.
// The meta block is {size, shape[0..ndim), strides[0..ndim)} as written by kernels.py.
template <typename T, int _ndim, bool _c_contiguous = true, bool _use_32bit_indexing = false>
class CArray {
 public:
  static const int ndim = _ndim;
  typedef T value_type;
  CArray() : data_(0), size_(0) {}
  CArray(void* data, const long long* meta) : data_((T*)data), size_((ptrdiff_t)meta[0]) {
    for (int d = 0; d < _ndim; ++d) {
      shape_[d] = (ptrdiff_t)meta[1 + d];
      strides_[d] = (ptrdiff_t)meta[1 + _ndim + d];
    }
  }
  T* data() const { return data_; }
  ptrdiff_t size() const { return size_; }
  const ptrdiff_t* shape() const { return shape_; }
  const ptrdiff_t* strides() const { return strides_; }
  // Const arrays (the inputs) give const elements, as CuPy's const CArray parameters do.
  const T& operator[](const ptrdiff_t (&idx)[_ndim + (_ndim == 0)]) const { return at(idx); }
  T& operator[](const ptrdiff_t (&idx)[_ndim + (_ndim == 0)]) { return at(idx); }
  const T& operator[](ptrdiff_t i) const { return at(i); }
  T& operator[](ptrdiff_t i) { return at(i); }

 private:
  T& at(const ptrdiff_t (&idx)[_ndim + (_ndim == 0)]) const {
    char* ptr = (char*)data_;
    for (int d = 0; d < _ndim; ++d) ptr += strides_[d] * idx[d];
    return *(T*)ptr;
  }
  // i-th element in C order over the shape, through the strides.
  T& at(ptrdiff_t i) const {
    char* ptr = (char*)data_;
    for (int d = _ndim - 1; d >= 0; --d) {
      ptr += (i % shape_[d]) * strides_[d];
      i /= shape_[d];
    }
    return *(T*)ptr;
  }
  T* data_;
  ptrdiff_t size_;
  ptrdiff_t shape_[_ndim + (_ndim == 0)];
  ptrdiff_t strides_[_ndim + (_ndim == 0)];
};

// CIndexer<ndim> (cupy/carray.cuh): the loop's index space; set(i) finds i's index per axis.
template <int _ndim, bool _use_32bit_indexing = false>
class CIndexer {
 public:
  static const int ndim = _ndim;
  explicit CIndexer(const long long* meta) : size_((ptrdiff_t)meta[0]) {
    for (int d = 0; d < _ndim; ++d) shape_[d] = (ptrdiff_t)meta[1 + d];
  }
  ptrdiff_t size() const { return size_; }
  const ptrdiff_t* shape() const { return shape_; }
  void set(ptrdiff_t i) {
    for (int d = _ndim - 1; d >= 0; --d) {
      index_[d] = i % shape_[d];
      i /= shape_[d];
    }
  }
  const ptrdiff_t (&get() const)[_ndim + (_ndim == 0)] { return index_; }

 private:
  ptrdiff_t size_;
  ptrdiff_t shape_[_ndim + (_ndim == 0)];
  ptrdiff_t index_[_ndim + (_ndim == 0)];
};

// CUDA's device functions that <cmath> lacks.
template <typename T> inline T min(T a, T b) { return b < a ? b : a; }
template <typename T> inline T max(T a, T b) { return a < b ? b : a; }
template <typename T> inline T __ldg(const T* p) { return *p; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }

// Atomics: a serial loop makes each a plain read-modify-write returning the old value.
template <typename T, typename U> inline T atomicAdd(T* a, U v) { T o = *a; *a = o + v; return o; }
template <typename T, typename U> inline T atomicSub(T* a, U v) { T o = *a; *a = o - v; return o; }
template <typename T> inline T atomicExch(T* a, T v) { T o = *a; *a = v; return o; }
template <typename T> inline T atomicMax(T* a, T v) { T o = *a; *a = o < v ? v : o; return o; }
template <typename T> inline T atomicMin(T* a, T v) { T o = *a; *a = v < o ? v : o; return o; }
template <typename T> inline T atomicCAS(T* a, T cmp, T v) {
  T o = *a;
  *a = o == cmp ? v : o;
  return o;
}

// RawKernel launches: the thread and block coordinates the loop of cupy_standin_launch sets.
struct dim3 {
  unsigned int x, y, z;
};
static dim3 threadIdx, blockIdx, blockDim, gridDim;

// Calls f with the values args[k] points to (CUDA's kernelParams convention).
template <typename... A, std::size_t... I>
inline void cupy_standin_invoke(void (*f)(A...), void** args, std::index_sequence<I...>) {
  f(*(typename std::remove_reference<A>::type*)args[I]...);
}

// Returns -1 (running nothing) when the caller passes another number of arguments.
template <typename... A>
inline int cupy_standin_launch(void (*f)(A...), const unsigned int* dims, void** args, int n) {
  if (n != (int)sizeof...(A)) return -1;
  gridDim = {dims[0], dims[1], dims[2]};
  blockDim = {dims[3], dims[4], dims[5]};
  for (blockIdx.z = 0; blockIdx.z < gridDim.z; ++blockIdx.z)
    for (blockIdx.y = 0; blockIdx.y < gridDim.y; ++blockIdx.y)
      for (blockIdx.x = 0; blockIdx.x < gridDim.x; ++blockIdx.x)
        for (threadIdx.z = 0; threadIdx.z < blockDim.z; ++threadIdx.z)
          for (threadIdx.y = 0; threadIdx.y < blockDim.y; ++threadIdx.y)
            for (threadIdx.x = 0; threadIdx.x < blockDim.x; ++threadIdx.x)
              cupy_standin_invoke(f, args, std::index_sequence_for<A...>{});
  return 0;
}

#endif  // CUPY_STANDIN_HOST_H
