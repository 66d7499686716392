"""The README's configuration table, generated from :data:`gpugrad.config.OPTIONS`.

``python -m tools.config_table`` prints it; ``tests/test_backend.py`` checks that the README
holds it.

Example:
    >>> markdown_table().splitlines()[0]
    '| environment variable | `gpugrad.config` option | default | meaning |'
"""

from __future__ import annotations

from gpugrad.config import OPTIONS

__all__ = ["markdown_table"]


def markdown_table() -> str:
    """The Markdown table of every option: its environment variable, name, default, meaning."""
    lines = [
        "| environment variable | `gpugrad.config` option | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for o in OPTIONS.values():
        default = o.shown if o.shown is not None else f"`{o.default!r}`"
        lines.append(f"| `{o.env}` | `{o.name}` | {default} | {o.doc} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
