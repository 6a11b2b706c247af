"""Isolation layer: start one sandboxed child per submission and tear it down completely."""

from .cgroups import CgroupError
from .detect import IsolationLevel, SandboxUnavailable, detect_isolation, record_isolation
from .limits import Limits
from .process import Sandbox

__all__ = ["CgroupError", "IsolationLevel", "Limits", "Sandbox", "SandboxUnavailable", "detect_isolation",
           "record_isolation"]
