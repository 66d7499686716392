"""Checks of the generated CUDA kernels without a GPU: ``python -m gpugrad kernels``.

They compare what the kernel layer generates with what the layers above compute (the
primitives' NumPy evaluation and derivative expressions, ``gpugrad.random`` on NumPy), so
they sit above all of them (the import contracts in ``pyproject.toml``):

* ``items``        — the kernels to check: every catalog operation's value, JVP, VJPs and
  second-order VJPs in each dtype, the hand-written headers, the PRNG's kernels;
* ``check``        — ``--check``: compile them all with NVRTC; ``--show OP``; the command line;
* ``host_check``, ``host_samples``, ``host_random`` — ``--run-on-host``: compile the same
  sources with the host C++ compiler (``gpugrad.kernel.host``), run them on edge values and
  compare with the NumPy evaluation.
"""
