"""Tests of the transformations: grad, vjp, jvp, Jacobians, vmap, jit, custom rules."""
