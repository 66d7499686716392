"""Throwaway launch counter until the real one is merged."""
from __future__ import annotations

launches: list[str] = []


def record_launch(name: str) -> None:
    launches.append(name)
