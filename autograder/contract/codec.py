"""A safe wire format for observations, JSON plus base64 numpy arrays, and its one framing: a 4-byte big-endian
length, then the payload (what the messages hold: contract/wire.py).

The parent never unpickles anything a child produced. Observations are plain data
(None, bool, int, float, str, lists, dicts with str keys) and numpy arrays of a few
numeric dtypes, so decoding cannot execute code. A child's result is signed (:func:`send_signed`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import select
import struct
import time
from typing import Any

import numpy as np

from autograder.contract.wire import MAX_FRAME, Died, Failure, Phase, Status

_HEADER = struct.Struct(">I")
HEADER_SIZE = _HEADER.size
_ALLOWED_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}
_ARRAY_KEY = "__ndarray__"
_FLOAT_KEY = "__float__"
_NUMPY_SCALARS = frozenset({np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
                            np.uint16, np.uint32, np.uint64, np.bool_})
TAG_SIZE = hashlib.blake2b().digest_size  # a signed frame (a child's result) starts with this many bytes of MAC


class CodecError(ValueError):
    """The bytes do not hold a valid observation."""


class ForgedFrame(CodecError):
    """A frame on a result pipe that the grader's own code did not write."""


def _to_wire(obj: Any) -> Any:
    """Plain data for JSON. Only exact built-in (and numpy) types: a subclass's methods (``__float__``, ``__iter__``,
    ``__eq__`` ...) would run during encoding, and in a grading child they may be the submission's."""
    kind = type(obj)
    if obj is None or kind is bool or kind is str:
        return obj
    if kind is Status or kind is Failure or kind is Phase or kind is Died:  # a member of the wire's enums
        return obj._value_  # its plain str (identity tests only: no method of a submitted class runs)
    if kind is int:
        return obj
    if kind is float:
        return obj if math.isfinite(obj) else {_FLOAT_KEY: repr(obj)}
    if kind is np.ndarray:
        if obj.dtype.name not in _ALLOWED_DTYPES:
            raise CodecError(f"arrays of dtype {obj.dtype} cannot be sent")
        data = np.require(obj, requirements="C")
        return {_ARRAY_KEY: [data.dtype.name, list(data.shape), base64.b64encode(data.tobytes()).decode()]}
    if kind in _NUMPY_SCALARS:
        return _to_wire(obj.item())
    if kind is list or kind is tuple:
        return [_to_wire(v) for v in obj]
    if kind is dict:
        out = {}
        for key, value in obj.items():
            if type(key) is not str:
                raise CodecError(f"dict keys must be str, got {type(key).__name__}")
            out[key] = _to_wire(value)
        return out
    raise CodecError(f"cannot send a {kind.__name__}")


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


def pack(payload: bytes) -> bytes:
    """One frame: the payload's length, then the payload."""
    return _HEADER.pack(len(payload)) + payload


def payload_size(header: bytes) -> int:
    """The payload size a frame's header announces; CodecError over MAX_FRAME (the payload is never read)."""
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME:
        raise CodecError(f"message of {size} bytes exceeds the {MAX_FRAME} byte limit")
    return size


def frame(obj: Any) -> bytes:
    """One length-prefixed message as bytes."""
    return pack(encode(obj))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send(fd: int, obj: Any) -> None:
    """Write one length-prefixed message to a file descriptor, all of it (CodecError before any byte)."""
    _write_all(fd, frame(obj))


def new_key() -> bytes:
    """A key for one request's signed result (see :func:`send_signed`)."""
    return os.urandom(32)


def signer(key: bytes) -> "hmac.HMAC":
    """What a child keeps instead of its request's key (its repr shows nothing of the key)."""
    return hmac.new(key, digestmod=hashlib.blake2b)


def send_signed(fd: int, obj: Any, mac: "hmac.HMAC") -> None:
    """One length-prefixed message whose payload is a MAC of the encoded body, then the body."""
    body = encode(obj)
    tag = mac.copy()
    tag.update(body)
    _write_all(fd, pack(tag.digest() + body))


def open_signed(payload: bytes, key: bytes) -> Any:
    """The body of a signed payload; CodecError when its MAC is not the key's (someone else wrote it)."""
    tag, body = payload[:TAG_SIZE], payload[TAG_SIZE:]
    if len(tag) < TAG_SIZE or not hmac.compare_digest(hmac.new(key, body, hashlib.blake2b).digest(), tag):
        raise ForgedFrame("the result was not signed with this request's key")
    return decode(body)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], remaining)[0]:
                continue
        chunk = os.read(fd, size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_payload(fd: int, deadline: float | None = None) -> bytes | None:
    """Read one frame's payload from a file descriptor (never more than the frame: another process may read the
    next one); None at end of stream. With a deadline (time.monotonic), TimeoutError once it passes."""
    header = _read_exact(fd, HEADER_SIZE, deadline)
    if header is None:
        return None
    return _read_exact(fd, payload_size(header), deadline)


def receive(fd: int) -> Any:
    """Read one length-prefixed message from a file descriptor (blocking); None at end of stream."""
    payload = read_payload(fd)
    return None if payload is None else decode(payload)
