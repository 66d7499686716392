"""Runnable examples: the three seed tutorials with gpugrad in JAX's place, and the quickstart.

``grad_and_argnums`` (seed 000), ``higher_order_and_logistic`` (seed 001) and
``grad_jacrev_pipelines`` (seed 002) are each a tutorial's code with only its imports changed
(``import gpugrad as jax``, ``import gpugrad.numpy as jnp``); its ``main()`` prints what the
tutorial prints. ``quickstart.main`` (``python -m gpugrad quickstart``) runs all three, then a
short benchmark against HIPS autograd and the plain NumPy forward. ``mlp_training`` trains a
small MLP with ``gpugrad.nn`` and ``gpugrad.nn.initializers`` by SGD, code that runs
unchanged on JAX and prints JAX's losses.
"""
