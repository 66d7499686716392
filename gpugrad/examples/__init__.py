"""Runnable examples: the three seed tutorials with gpugrad in JAX's place, and the quickstart.

Each ``seed_00N`` module is a tutorial's code with only its imports changed
(``import gpugrad as jax``, ``import gpugrad.numpy as jnp``); its ``main()`` prints what the
tutorial prints. ``quickstart.main`` (``python -m gpugrad quickstart``) runs all three, then a
short benchmark against HIPS autograd and the plain NumPy forward.
"""
