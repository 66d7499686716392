"""The closed set of primitives and their rules.

* ``expr.py`` / ``catalog.py``: the scalar expression language and the elementwise catalog,
  the single source of every elementwise formula and its derivatives;
* ``elementwise.py``: the one elementwise primitive, its rules derived from the catalog;
* ``structural.py``: convert, reshape, transpose, broadcast, reduce_sum, concatenate,
  cumsum, stop_gradient;
* ``reductions.py``: reduce_max, reduce_min, reduce_prod;
* ``indexing.py``: gather and scatter_add;
* ``contraction.py``: einsum of one or two operands (every product).
"""
