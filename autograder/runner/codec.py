"""A safe wire format for observations: JSON plus base64 numpy arrays.

The parent never unpickles anything a child produced. Observations are plain data
(None, bool, int, float, str, lists, dicts with str keys) and numpy arrays of a few
numeric dtypes, so decoding cannot execute code.
"""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from typing import Any

import numpy as np

MAX_FRAME = 64 * 1024 * 1024
_ALLOWED_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_ARRAY_KEY = "__ndarray__"
_FLOAT_KEY = "__float__"


class CodecError(ValueError):
    """The bytes do not hold a valid observation."""


def _to_wire(obj: Any) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else {_FLOAT_KEY: repr(float(obj))}
    if isinstance(obj, np.ndarray):
        if obj.dtype.name not in _ALLOWED_DTYPES:
            raise CodecError(f"arrays of dtype {obj.dtype} cannot be sent")
        data = np.require(obj, requirements="C")
        return {_ARRAY_KEY: [data.dtype.name, list(data.shape), base64.b64encode(data.tobytes()).decode()]}
    if isinstance(obj, np.generic):
        return _to_wire(obj.item())
    if isinstance(obj, (list, tuple)):
        return [_to_wire(v) for v in obj]
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise CodecError(f"dict keys must be str, got {type(key).__name__}")
            out[key] = _to_wire(value)
        return out
    raise CodecError(f"cannot send a {type(obj).__name__}")


def _from_wire(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_from_wire(v) for v in obj]
    if isinstance(obj, dict):
        if _ARRAY_KEY in obj:
            dtype, shape, payload = obj[_ARRAY_KEY]
            if dtype not in _ALLOWED_DTYPES:
                raise CodecError(f"refusing array dtype {dtype!r}")
            arr = np.frombuffer(base64.b64decode(payload), dtype=np.dtype(dtype))
            return arr.reshape([int(n) for n in shape]).copy()
        if _FLOAT_KEY in obj:
            return float(obj[_FLOAT_KEY])
        return {k: _from_wire(v) for k, v in obj.items()}
    return obj


def encode(obj: Any) -> bytes:
    """Serialise plain data and numpy arrays to bytes."""
    return json.dumps(_to_wire(obj), separators=(",", ":"), allow_nan=False).encode()


def decode(data: bytes) -> Any:
    """Inverse of :func:`encode`; raises CodecError on anything unexpected."""
    try:
        return _from_wire(json.loads(data.decode()))
    except (ValueError, TypeError, KeyError) as exc:
        raise CodecError(str(exc)) from exc


def frame(obj: Any) -> bytes:
    """One length-prefixed message as bytes."""
    payload = encode(obj)
    return struct.pack(">I", len(payload)) + payload


def send(fd: int, obj: Any) -> None:
    """Write one length-prefixed message to a file descriptor, all of it (CodecError before any byte)."""
    view = memoryview(frame(obj))
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = os.read(fd, size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def receive(fd: int) -> Any:
    """Read one length-prefixed message from a file descriptor (blocking, never more than the message:
    another process may read the next one); None at end of stream."""
    header = _read_exact(fd, 4)
    if header is None:
        return None
    (size,) = struct.unpack(">I", header)
    if size > MAX_FRAME:
        raise CodecError(f"message of {size} bytes exceeds the {MAX_FRAME} byte limit")
    payload = _read_exact(fd, size)
    return None if payload is None else decode(payload)
