"""The closed set of primitives and their rules (their elementwise formulas come from
``gpugrad.expr``).

* ``elementwise.py``: the one elementwise primitive, its rules derived from the catalog;
* ``elementwise_eval.py``: evaluating a catalog expression on concrete arrays (generated
  NumPy code, or a CUDA kernel); for large NumPy arrays ``numpy_eval.py`` runs it with
  reused buffers or slice by slice, the slices on several threads (``eval_threads.py``);
* ``operations.py``: the array operations rules are written in (elementwise arithmetic with
  JAX's promotion, sums, shape operations), so no rule imports ``gpugrad.numpy``;
* ``structural.py``: convert, reshape, transpose, stop_gradient, and the helpers batching
  rules lay out their operands with;
* ``broadcasting.py``: broadcast and its transpose reduce_sum, ``unbroadcast``, and the
  batching helpers that broadcast (``at_front``, ``aligned``);
* ``along_axis.py``: concatenate and cumsum;
* ``reductions.py``: reduce_max, reduce_min, reduce_prod;
* ``indexing.py``: gather and scatter_add (their index arrays are operands);
* ``contraction.py``: einsum of one or two operands (every product);
* ``lazy.py``: the lazy value, an elementwise result not computed yet, and the one
  function that makes it an array; lazy cotangents, so backward chains fuse;
* ``lazy_forward.py``: forward elementwise results kept as lazy values that recompute them
  in the backward pass, or evaluated when first read;
* ``linalg.py`` / ``linalg_decomp.py`` / ``linalg_eig.py``: solve, slogdet, cholesky, pinv /
  eigh, svd, qr / eig;
* ``complex.py``: real, imag, conj, complex construction, modulus and angle;
* ``fft.py``: the discrete Fourier transforms;
* ``discrete.py``: integer and boolean results without derivative (argsort, searchsorted,
  counts, comparisons, bitwise operations, nextafter, bitcasts);
* ``special_math.py``: NumPy evaluations of special functions the catalog uses;
* ``shape_rules.py``: the shape and dtype rules several abstract evaluations share.

One more primitive lives with the layer that owns it: ``gpugrad.random``'s ``random_p``
(threefry bits and the samplers' kernels, batched over keys). Every primitive has its
evaluation, its JVP and VJP rules, its batching rule (``vmap``) and its abstract evaluation
(the shape and dtype of its result, for staging), side by side;
``tests/transforms/test_vmap.py`` and ``tests/primitives/test_abstract_eval.py`` check that none
lacks the last two.
"""
