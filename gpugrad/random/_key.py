"""PRNG keys: the typed :class:`Key`, raw ``uint32[2]`` keys, seeding, ``split``, ``fold_in``.

A typed key (``key(0)``) has shape ``()`` and prints like JAX's ``key<fry>`` arrays; a raw
key (``PRNGKey(0)``) is a plain ``uint32[2]`` array. Both carry the same data and give the
same numbers (prng.md section 1).

Example:
    >>> k = key(0)
    >>> k.shape, key_data(k).tolist()
    ((), [0, 0])
    >>> PRNGKey(0)
    array([0, 0], dtype=uint32)
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

import numpy as np

from gpugrad import tree_util
from gpugrad.backend import get_xp, is_cupy_array, namespace_of
from gpugrad.config import live
from gpugrad.core.abstract import Shaped, ShapedArray
from gpugrad.core.trace import Tracer, strip_derivatives
from gpugrad.primitives.structural import convert
from gpugrad.random import threefry
from gpugrad.random._sampling import draw, draws, kernel

__all__ = ["Key", "PRNGKey", "fold_in", "key", "key_data", "split", "wrap_key_data"]

_KEY_DTYPE = "key<fry>"


class Key(Shaped):
    """An immutable array of threefry keys: data ``uint32[*shape, 2]``, shape ``shape``.

    Supports ``shape``/``ndim`` (key dimensions)/``size`` (number of keys), ``==``, indexing,
    ``len`` and iteration (so ``k1, k2 = split(k)`` works). ``numpy.asarray(key)`` raises
    ``TypeError``: use :func:`key_data`.

    Example:
        >>> ks = split(key(0), 3)
        >>> ks.shape, ks[0].shape, len(ks)
        ((3,), (), 3)
        >>> print(key(0))
        Array((), dtype=key<fry>) overlaying:
        [0 0]
    """

    __slots__ = ("_data",)
    _data: Any  # uint32[*shape, 2], NumPy (read-only) or CuPy
    __hash__ = None  # type: ignore[assignment]  # == is elementwise, as for arrays

    def __init__(self, data: Any) -> None:
        if not (is_cupy_array(data) or isinstance(data, Tracer)):  # a tracer under vmap
            data = np.array(data, dtype=np.uint32, copy=True)
            data.flags.writeable = False  # immutable, like a JAX array
        if data.dtype != np.uint32 or data.ndim < 1 or data.shape[-1] != 2:
            raise TypeError(f"key data must be uint32[..., 2], got {data.dtype}{list(data.shape)}")
        object.__setattr__(self, "_data", data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("gpugrad.random.Key is immutable")

    @property
    def shape(self) -> tuple[int, ...]:
        """The key shape: the data's shape without its trailing 2."""
        return tuple(self._data.shape[:-1])

    @property
    def dtype(self) -> str:
        """The name of JAX's key dtype, ``'key<fry>'``."""
        return _KEY_DTYPE

    def reshape(self, *shape: Any) -> Key:
        """The same keys in another key shape."""
        new = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return Key(self._data.reshape((*tuple(new), 2)))

    def __getitem__(self, index: Any) -> Key:
        index = index if isinstance(index, tuple) else (index,)
        if self.ndim == 0:
            raise IndexError("too many indices for a key array of shape ()")
        # The appended slice always binds to the data's trailing axis, even after an Ellipsis.
        return Key(self._data[(*index, slice(None))])

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of unsized object (a key array of shape ())")
        return self.shape[0]

    def __iter__(self) -> Iterator[Key]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d key array")
        return (Key(self._data[i]) for i in range(self.shape[0]))

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        if not isinstance(other, Key):
            return NotImplemented
        return (self._data == other._data).all(axis=-1)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        if not isinstance(other, Key):
            return NotImplemented
        return (self._data != other._data).any(axis=-1)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "gpugrad.random.Key (dtype key<fry>) cannot be converted to a NumPy array. "
            "Use gpugrad.random.key_data(arr) to get the underlying uint32 data."
        )

    def __repr__(self) -> str:
        if isinstance(self._data, Tracer):
            return f"Key({self.shape}, traced: {self._data!r})"
        data = self._data.get() if is_cupy_array(self._data) else self._data
        return f"Array({self.shape}, dtype={_KEY_DTYPE}) overlaying:\n{data}"

    __str__ = __repr__


def _unflatten_key(aux: Any, children: Any) -> Key:
    """A Key around a transformation's leaf, unchecked: pytree utilities also rebuild trees
    of other leaves (the axes of ``in_axes``, say)."""
    k = object.__new__(Key)
    object.__setattr__(k, "_data", children[0])
    return k


# A pytree node whose one leaf is its data, so that transformations (vmap) see the array:
# vmap maps an axis of the data (the key axes come first, so in_axes 0 is a key axis).
tree_util.register_pytree_node(Key, lambda k: ((k._data,), None), _unflatten_key)


def _seed_words(seed: Any) -> tuple[int, int]:
    """``[hi, lo]`` key words from an integer seed, following JAX's x32/x64 rules."""
    if is_cupy_array(seed):
        seed = seed.get()
    if isinstance(seed, np.ndarray):
        if seed.ndim != 0:
            raise TypeError(f"key accepts a scalar seed, but was given an array of "
                            f"shape {seed.shape} != (). Use gpugrad.vmap for batching.")
        seed = seed[()]
    if isinstance(seed, (bool, np.bool_)):
        seed = int(seed)
    if isinstance(seed, np.integer):
        bits = np.dtype(type(seed)).itemsize * 8
        value = int(seed)
    elif isinstance(seed, int):
        value = seed
        if not -(2**63) <= value < 2**63:
            raise OverflowError("Python int too large to convert to C long")
        bits = 64
    else:
        raise TypeError(f"key seed must be an integer scalar, got {type(seed).__name__} "
                        f"{seed!r}")
    if live.enable_x64 and bits == 64:
        pattern = value % 2**64  # 64-bit two's-complement pattern
        return pattern >> 32, pattern & 0xFFFFFFFF
    # x32 (or a seed dtype of 32 bits or fewer): only the low 32 bits are kept.
    return 0, value % 2**32


def _seed_data(seed: Any) -> Any:
    if isinstance(seed, Tracer):  # under vmap, a batch of seeds
        dt = np.dtype(seed.dtype)
        if seed.shape != () or dt.kind not in "iub":
            raise TypeError(f"key seed must be an integer scalar, got {dt}{list(seed.shape)}")
        return draw("seed", strip_derivatives(seed), wide=bool(live.enable_x64
                                                               and dt.itemsize == 8))
    xp = get_xp()
    return xp.asarray(np.array(_seed_words(seed), dtype=np.uint32))


@kernel("seed", lambda seeds, wide: ShapedArray((*seeds.shape, 2), np.uint32))  # one key a seed
def _seed_kernel(seeds: Any, *, wide: bool) -> Any:
    """Key data ``[hi, lo]`` of integer ``seeds`` (any shape) by :func:`_seed_words`'s
    rules: a 64-bit seed in x64 mode is split into its two words, any other keeps its low
    32 bits (casts to unsigned wrap, as two's complement does)."""
    xp = namespace_of(seeds)
    if wide:
        pattern = seeds.astype(xp.uint64)
        hi, lo = (pattern >> xp.uint64(32)).astype(xp.uint32), pattern.astype(xp.uint32)
    else:
        lo = seeds.astype(xp.uint32)
        hi = xp.zeros_like(lo)
    return xp.stack([hi, lo], axis=-1)


def key(seed: Any) -> Key:
    """A typed PRNG key (shape ``()``) from an integer seed, as ``jax.random.key``.

    Example:
        >>> key_data(key(2**40 + 7)).tolist()  # x32 mode keeps the low 32 bits
        [0, 7]
    """
    return Key(_seed_data(seed))


def PRNGKey(seed: Any) -> Any:
    """A raw key: the ``uint32[2]`` array ``[hi, lo]``, as ``jax.random.PRNGKey``.

    Example:
        >>> PRNGKey(-1)
        array([         0, 4294967295], dtype=uint32)
    """
    return _seed_data(seed)


def _as_data(k: Any, name: str) -> tuple[Any, bool]:
    """``(data, typed)`` for a typed or raw key of any key shape."""
    if isinstance(k, Key):
        if isinstance(k._data, Tracer) and (k._data.ndim < 1 or k._data.shape[-1] != 2):
            # vmap counts a typed key's axes on its data, uint32[*shape, 2]: a negative
            # axis there is counted from the pair of words.
            raise ValueError(f"{name}: vmap mapped the key words of a typed key (data of "
                             f"example shape {tuple(k._data.shape)}); give typed keys "
                             "non-negative in_axes/out_axes (a key axis, not the data's "
                             "last), or pass key_data(keys) with in_axes counted on the data")
        return k._data, True
    if isinstance(k, (np.ndarray, Tracer)) or is_cupy_array(k):
        if k.dtype != np.uint32 or k.ndim < 1 or k.shape[-1] != 2:
            raise TypeError(f"{name}: a raw PRNG key must be a uint32 array of shape "
                            f"(..., 2), got {k.dtype}{list(k.shape)}; create keys with "
                            "gpugrad.random.key(seed) or PRNGKey(seed)")
        return strip_derivatives(k), False
    raise TypeError(f"unexpected PRNG key type {type(k)}")


def single_key_data(k: Any, name: str) -> Any:
    """The ``uint32[2]`` data of one key (under vmap, a tracer of one example's key); a
    batch of keys raises ``ValueError`` as in JAX."""
    data, typed = _as_data(k, name)
    if data.ndim != 1:
        shape = tuple(data.shape[:-1]) if typed else tuple(data.shape)
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{shape} != (). Use gpugrad.vmap for batching.")
    return data


def key_data(keys: Any) -> Any:
    """The ``uint32[..., 2]`` data of typed or raw keys.

    Example:
        >>> key_data(split(key(0), 3)).shape
        (3, 2)
    """
    return _as_data(keys, "key_data")[0]


def wrap_key_data(key_bits_array: Any, *, impl: Any = None) -> Key:
    """A typed key array from ``uint32[..., 2]`` data (``impl`` must be threefry).

    Example:
        >>> wrap_key_data(np.array([0, 42], np.uint32)) == key(42)
        np.True_
    """
    if impl not in (None, "threefry2x32", "threefry"):
        raise ValueError(f"gpugrad.random supports only the threefry2x32 impl, got {impl!r}")
    data = key_bits_array
    if not (isinstance(data, (np.ndarray, Tracer)) or is_cupy_array(data)):
        data = np.asarray(data)
    if data.dtype != np.uint32:
        raise TypeError(f"wrap_key_data expects uint32 data, got {data.dtype}")
    return Key(data)


def _split_shape(num: Any) -> tuple[int, ...]:
    dims = tuple(num) if isinstance(num, (tuple, list)) else (num,)
    out = tuple(operator.index(d) for d in dims)
    if any(d < 0 for d in out):
        raise ValueError(f"split: num must be non-negative, got {num!r}")
    return out


def split(k: Any, num: Any = 2) -> Any:
    """Split one key into ``num`` new keys (an int or a shape tuple), as ``jax.random.split``.

    Example:
        >>> key_data(split(key(0))).tolist()  # the legacy layout is gpugrad's default
        [[4146024105, 967050713], [2718843009, 1272950319]]
    """
    data = single_key_data(k, "split")
    new = draw("split", data, shape=_split_shape(num), partitionable=live.threefry_partitionable)
    return Key(new) if isinstance(k, Key) else new


def fold_in(k: Any, data: Any) -> Any:
    """A new key from ``k`` and a uint32 integer ``data``, as ``jax.random.fold_in``.

    Under ``vmap`` ``data`` may be batched too (an integer array converted to uint32).

    Example:
        >>> key_data(fold_in(key(42), 7)).tolist()
        [2547012911, 1371500959]
    """
    kd = single_key_data(k, "fold_in")
    if isinstance(data, Tracer):
        if data.shape != () or np.dtype(data.dtype).kind not in "iub":
            raise TypeError(f"fold_in: data must be an integer scalar, got {data.dtype}"
                            f"{list(data.shape)}")
        value = convert(strip_derivatives(data), np.dtype(np.uint32))
    elif isinstance(data, (np.ndarray, np.generic)) or is_cupy_array(data):
        # An integer array converts to uint32 as JAX converts it: wrapping (-1 -> 2**32 - 1).
        if data.shape != () or np.dtype(data.dtype).kind not in "iub":
            raise TypeError(f"fold_in: data must be an integer scalar, got {data.dtype}"
                            f"{list(data.shape)}")
        value = data.astype(np.uint32)
    else:
        value = operator.index(data)
        if not 0 <= value < 2**32:
            raise OverflowError(f"fold_in: data {value} does not fit in uint32")
        value = np.asarray(value, np.uint32)
    new = draw("fold_in", kd, value)
    return Key(new) if isinstance(k, Key) else new


@kernel("split", lambda keys, shape, **static: draws(keys, (*shape, 2), np.uint32))
def _split_kernel(keys: Any, *, shape: tuple[int, ...], partitionable: bool) -> Any:
    return threefry.split_data(keys, shape, partitionable)


@kernel("fold_in", lambda keys, value: draws(keys, (2,), np.uint32))
def _fold_in_kernel(keys: Any, value: Any) -> Any:
    return threefry.fold_in_data(keys, value)
