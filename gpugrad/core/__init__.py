"""The tracing engine: the trace stack and ``bind`` (trace.py), forward mode (forward.py),
reverse mode (reverse.py), the array face of a tracer (array_methods.py) and what it lets
out as a plain value (concrete.py)."""
