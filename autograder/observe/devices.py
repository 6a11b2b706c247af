"""Device stand-ins for probes."""

from __future__ import annotations


def probe_device(device: str) -> str:
    """The device that exposes device bugs: the accelerator, or `meta` standing in for one on CPU."""
    return "meta" if device == "cpu" else device
