"""A CuPy stand-in that runs on the CPU (work in progress: install() comes next)."""
