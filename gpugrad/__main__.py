"""``python -m gpugrad``: ``info`` (environment), ``kernels`` (CUDA kernel tools),
``quickstart`` (the seed tutorials and a short benchmark)."""

from __future__ import annotations

import sys

from gpugrad.info import print_environment_info


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``python -m gpugrad COMMAND [ARGS]``.

    Example:
        >>> main(["--help"])  # doctest: +ELLIPSIS
        usage: python -m gpugrad ...
        0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: python -m gpugrad {info,kernels,quickstart} [ARGS]\n"
        "  info        versions of gpugrad, NumPy, CuPy and CUDA; the device; the backend\n"
        "  kernels     compile-check (--check), run on the CPU (--run-on-host) or show\n"
        "              (--show OP) the generated CUDA kernels\n"
        "  quickstart  run the seed tutorials and a short benchmark on the available backend"
    )
    if not args or args[0] in ("-h", "--help"):
        print(usage)
        return 0
    command, rest = args[0], args[1:]
    if command == "info":
        print_environment_info()
        return 0
    if command == "kernels":
        # Loaded for its command alone: the kernel checker adds ~90 ms to `info` otherwise.
        from gpugrad.kernel_check.check import main as kernels_main

        return int(kernels_main(rest))
    if command == "quickstart":
        # Loaded for its command alone (~20 ms), as the kernel checker above.
        from gpugrad.examples.quickstart import main as quickstart_main

        return int(quickstart_main(rest) or 0)
    print(f"unknown command {command!r}\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
