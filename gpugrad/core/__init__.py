"""The tracing engine: the trace stack and ``bind`` (trace.py), forward mode (forward.py)
and reverse mode (reverse.py)."""
