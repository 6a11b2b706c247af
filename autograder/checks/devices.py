"""Devices as a student reads them, for the checks' messages."""

from __future__ import annotations

import re

STAND_IN = "meta"  # the device probes put the model on when the machine has no accelerator (observe/devices.py)


def device_words(device: str | None) -> str:
    """A device named for a student: `meta` is said once to be the grader's stand-in for an accelerator."""
    if device == STAND_IN:
        return "a stand-in device: the grader runs your model on a stand-in device, to see where each tensor goes"
    return device or "no device"


def device_name(device: str | None) -> str:
    """A device in an observation, short: the stand-in is named as such (device_words explains it)."""
    return "the stand-in device" if device == STAND_IN else device or "no device"


def torch_words(text: str | None) -> str:
    """torch's own message (a device mismatch, an error) with the stand-in device named as such, never as `meta`."""
    return re.sub(r"\bmeta\b", "stand-in", text or "")


def mismatch_place(during: str | None) -> str:
    """Where a device mismatch happened, from the model's mode at that moment: in training or in validation."""
    return "in validation, in eval mode" if during == "evaluation" else "in training"
