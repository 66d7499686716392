"""The frameworks that run each workload, behind one small interface.

Every workload is written once, as a forward function of a NumPy-like namespace (``ns.sum``,
``ns.tanh``, ``@``, ``**``) and a transformation spelled with JAX's names (``T.grad``,
``T.value_and_grad``, ``T.jacrev``, ``T.jacfwd``, ``T.hessian``, ``T.vmap``). A
:class:`Framework` supplies the namespace, those transformations (``None`` or absent where it
has no such thing), how to move
NumPy inputs onto it (``put``) and results back (``get``), and how to wait for its device
(``sync``), so every peer runs the same computation on the same data.

The *floor* is the plain NumPy (or CuPy) forward: no derivative at all, the time a
hand-written forward pass costs; gpugrad's large cases aim at a small multiple of it.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import optree

# The order peers appear in tables: gpugrad first, then peers, then the floor.
ALL_PEERS = ("autograd", "jax", "jax.jit", "torch.func", "torch.autograd")

GPUGRAD = "gpugrad"
GPUGRAD_JIT = "gpugrad.jit"  # gpugrad with every case wrapped in gpugrad.jit (a GPUGRAD role)
# Frameworks whose first call traces and compiles: the harness records that time apart.
COMPILING = ("gpugrad.jit", "jax.jit")
PEER = "peer"
FLOOR = "floor"


def _identity(x: Any) -> Any:
    return x


def _no_sync(_: Any) -> None:
    return None


@dataclass
class Framework:
    """One way of running the workloads (gpugrad, a peer, or the forward floor)."""

    name: str
    role: str  # GPUGRAD, PEER or FLOOR
    device: str  # "cpu" or "cuda": where its arrays live
    version: str
    ns: Any  # the NumPy-like namespace the forward code calls
    T: Any = None  # grad, value_and_grad, jacrev, jacfwd, hessian, vmap (None where unsupported)
    put: Callable[[Any], Any] = _identity  # NumPy pytree -> this framework's arrays
    get: Callable[[Any], Any] = _identity  # result pytree -> NumPy arrays
    sync: Callable[[Any], None] = _no_sync  # block until the device has finished `out`
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] = _identity  # e.g. jax.jit
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # pytest-benchmark writes params' reprs into the JSON
        return f"Framework({self.name!r})"

    def supports(self, transform: str) -> bool:
        """Whether this framework has the named transformation (the floor has none)."""
        return self.T is not None and getattr(self.T, transform, None) is not None


def _tree_map(fn: Callable[[Any], Any], tree: Any, none_is_leaf: bool = False) -> Any:
    return optree.tree_map(fn, tree, none_is_leaf=none_is_leaf)


def _numpy_get(tree: Any) -> Any:
    return _tree_map(lambda a: np.asarray(a, dtype=np.float64), tree)


# --- gpugrad and the forward floor -------------------------------------------------------


def make_gpugrad(backend: str, jit: bool = False) -> Framework:
    """gpugrad on ``backend`` ("numpy" or "cupy"); with ``jit``, each case's function is
    wrapped in ``gpugrad.jit`` (as ``jax.jit``'s entry wraps it in ``jax.jit``)."""
    import gpugrad
    import gpugrad.numpy as gnp

    def put(tree: Any) -> Any:
        return gpugrad.device_put(tree, backend)

    def get(tree: Any) -> Any:
        return _numpy_get(gpugrad.device_get(tree))

    return Framework(
        name=GPUGRAD_JIT if jit else GPUGRAD,
        role=GPUGRAD,
        device="cuda" if backend == "cupy" else "cpu",
        version=getattr(gpugrad, "__version__", "dev"),
        ns=gnp,
        T=gpugrad,
        put=put,
        get=get,
        sync=cupy_sync if backend == "cupy" else _no_sync,
        wrap=gpugrad.jit if jit else _identity,
        notes=["first call (trace and code generation) reported apart"] if jit else [],
    )


def cupy_sync(_: Any = None) -> None:
    """Wait for every stream of the current CUDA device (gpugrad may use several)."""
    import cupy

    cupy.cuda.Device().synchronize()


def make_floor(backend: str) -> Framework:
    """The plain forward pass with NumPy or CuPy: the time no autodiff can beat."""
    if backend == "cupy":
        import cupy

        def put(tree: Any) -> Any:
            return _tree_map(cupy.asarray, tree)

        def get(tree: Any) -> Any:
            return _tree_map(lambda a: cupy.asnumpy(a).astype(np.float64), tree)

        return Framework(
            name="cupy forward",
            role=FLOOR,
            device="cuda",
            version=cupy.__version__,
            ns=cupy,
            put=put,
            get=get,
            sync=cupy_sync,
        )
    return Framework(
        name="numpy forward",
        role=FLOOR,
        device="cpu",
        version=np.__version__,
        ns=np,
        get=_numpy_get,
    )


# --- peers --------------------------------------------------------------------------------


def _autograd_jacobian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """``autograd.jacobian`` for a function with a pytree of outputs.

    autograd's own takes one array output only, so the outputs are concatenated into one
    vector (as an autograd user would write it) and the Jacobian split back into JAX's layout.
    """
    import autograd
    import autograd.numpy as anp

    def run(*args: Any) -> Any:
        layout: list[Any] = []

        def flat(*a: Any) -> Any:
            leaves, tree = optree.tree_flatten(f(*a))
            layout[:] = [tree, [anp.shape(leaf) for leaf in leaves]]
            return anp.concatenate([anp.reshape(leaf, (-1,)) for leaf in leaves])

        jac = autograd.jacobian(flat, argnums)(*args)
        tree, shapes = layout
        in_shape = np.shape(args[argnums])
        blocks, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            blocks.append(jac[start : start + size].reshape(shape + in_shape))
            start += size
        return optree.tree_unflatten(tree, blocks)

    return run


def _make_autograd() -> Framework:
    import autograd
    import autograd.numpy as anp

    # autograd spells argnums `argnum` and has no forward-mode Jacobian.
    T = SimpleNamespace(
        grad=lambda f, argnums=0: autograd.grad(f, argnums),
        value_and_grad=lambda f, argnums=0: autograd.value_and_grad(f, argnums),
        jacrev=_autograd_jacobian,
        jacfwd=None,
        hessian=lambda f, argnums=0: autograd.hessian(f, argnums),
    )
    return Framework(
        name="autograd",
        role=PEER,
        device="cpu",
        version=importlib.metadata.version("autograd"),
        ns=anp,
        T=T,
        get=_numpy_get,
    )


def _make_jax(jit: bool) -> Framework:
    import jax
    import jax.numpy as jnp

    device = "cuda" if jax.default_backend() == "gpu" else "cpu"

    def put(tree: Any) -> Any:
        return _tree_map(jnp.asarray, tree)

    return Framework(
        name="jax.jit" if jit else "jax",
        role=PEER,
        device=device,
        version=jax.__version__,
        ns=jnp,
        T=jax,
        put=put,
        get=_numpy_get,
        sync=jax.block_until_ready,
        wrap=jax.jit if jit else _identity,
        notes=["compile time reported apart (extra_info.compile_s)"] if jit else [],
    )


def _torch_put(device: str) -> Callable[[Any], Any]:
    import torch

    # torch.as_tensor keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
    return lambda tree: _tree_map(
        lambda a: torch.as_tensor(np.array(a), device=device), tree
    )


def _torch_get(tree: Any) -> Any:
    return _tree_map(lambda t: t.detach().cpu().numpy().astype(np.float64), tree)


def _torch_sync(device: str) -> Callable[[Any], None]:
    import torch

    if device == "cuda":
        return lambda _: torch.cuda.synchronize()
    return _no_sync


def _torch_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _make_torch_func() -> Framework:
    import torch
    import torch.func as tf

    def value_and_grad(f: Callable[..., Any], argnums: Any = 0) -> Callable[..., Any]:
        g = tf.grad_and_value(f, argnums)  # torch returns (grad, value): JAX's order is swapped

        def run(*args: Any) -> Any:
            grads, value = g(*args)
            return value, grads

        return run

    T = SimpleNamespace(
        grad=tf.grad,
        value_and_grad=value_and_grad,
        jacrev=tf.jacrev,
        jacfwd=tf.jacfwd,
        hessian=tf.hessian,
        vmap=lambda f, in_axes=0: tf.vmap(f, in_dims=in_axes),  # torch names them in_dims
    )
    device = _torch_device()
    return Framework(
        name="torch.func",
        role=PEER,
        device=device,
        version=torch.__version__,
        ns=torch,
        T=T,
        put=_torch_put(device),
        get=_torch_get,
        sync=_torch_sync(device),
    )


def _make_torch_autograd() -> Framework:
    import torch

    from benchmarks.torch_autograd import make_transforms

    device = _torch_device()
    return Framework(
        name="torch.autograd",
        role=PEER,
        device=device,
        version=torch.__version__,
        ns=torch,
        T=make_transforms(),
        put=_torch_put(device),
        get=_torch_get,
        sync=_torch_sync(device),
    )


_PEER_MAKERS: dict[str, Callable[[], Framework]] = {
    "autograd": _make_autograd,
    "jax": lambda: _make_jax(jit=False),
    "jax.jit": lambda: _make_jax(jit=True),
    "torch.func": _make_torch_func,
    "torch.autograd": _make_torch_autograd,
}


def available_peers(wanted: tuple[str, ...] | list[str] = ALL_PEERS) -> list[Framework]:
    """The peers among ``wanted`` that import here; the others are silently left out."""
    found = []
    for name in wanted:
        if name not in _PEER_MAKERS:
            raise ValueError(f"unknown peer {name!r}; choose from {', '.join(ALL_PEERS)}")
        try:
            found.append(_PEER_MAKERS[name]())
        except ImportError:
            continue
    return found


def resolve_backend(name: str = "auto") -> tuple[str, str]:
    """``(backend, reason)`` for gpugrad and the floor: CuPy when usable, else NumPy."""
    from gpugrad.backend import cupy_status

    usable, reason = cupy_status()
    if name == "numpy":
        return "numpy", "NumPy asked for"
    if name == "cupy" and not usable:
        raise RuntimeError(f"CuPy backend asked for but unusable: {reason}")
    if usable:
        return "cupy", reason
    return "numpy", reason


def versions() -> dict[str, str]:
    """Versions of everything that can take part in a run (absent ones left out)."""
    found = {}
    for dist in (
        "gpugrad",
        "numpy",
        "cupy-cuda12x",
        "cupy-cuda13x",
        "autograd",
        "jax",
        "jaxlib",
        "torch",
        "optree",
        "pytest-benchmark",
    ):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found
