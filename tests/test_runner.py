"""Unit tests of the runner's wire format and of how failed probes are worded for students."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from autograder.checks.mistakes import likely_cause
from autograder.checks.problems import problem_from_response
from autograder.runner import codec


def test_codec_round_trips_plain_data_and_arrays() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "arr": np.arange(6, dtype=np.float32).reshape(2, 3)[:, ::2],
             "scalar": np.array(3, dtype=np.int64), "inf": float("inf"), "nan": float("nan")}
    back = codec.decode(codec.encode(value))
    assert back["a"] == [1, 2.5, None, True, "x"]
    assert back["arr"].dtype == np.float32 and back["arr"].tolist() == [[0.0, 2.0], [3.0, 5.0]]
    assert back["scalar"].shape == () and int(back["scalar"]) == 3
    assert back["inf"] == float("inf") and np.isnan(back["nan"])


@pytest.mark.parametrize("value", [object(), {1: "int key"}, np.array([object()], dtype=object), {1.5}])
def test_codec_refuses_what_it_cannot_send(value: object) -> None:
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_codec_never_unpickles() -> None:
    forged = json.dumps({"__ndarray__": ["object", [1], base64.b64encode(b"cos\nsystem\n").decode()]}).encode()
    with pytest.raises(codec.CodecError):
        codec.decode(forged)
    with pytest.raises(codec.CodecError):
        codec.decode(b"\x80\x04garbage")


@pytest.mark.parametrize(("response", "words"), [
    ({"status": "timeout", "limit": 30}, "timed out after 30 s"),
    ({"status": "memory"}, "ran out of memory (limit 2048 MiB)"),
    ({"status": "signal", "signal": 9}, "memory limit"),
    ({"status": "signal", "signal": 11}, "crashed (SIGSEGV)"),
    ({"status": "no_result", "exit_code": 0}, "ended before returning a result"),
    ({"status": "error", "kind": "exit", "message": "SystemExit(0)"}, "called exit"),
    ({"status": "error", "kind": "not_implemented", "message": "train: not implemented yet",
      "where": {"file": "iris.py", "line": 7, "function": "train", "code": "raise"}}, "not implemented yet: `train`"),
    ({"status": "error", "kind": "import_error", "exc_type": "SyntaxError", "message": "invalid syntax",
      "where": {"file": "iris.py", "line": 3, "function": None, "code": "def f(:"}}, "iris.py line 3"),
    ({"status": "error", "kind": "exception", "exc_type": "RuntimeError", "calling": "train",
      "message": "Expected all tensors to be on the same device, but found at least two devices",
      "where": {"file": "iris.py", "line": 9, "function": "train", "code": "model(x)"}}, "move each batch"),
])
def test_failed_probes_are_worded_for_students(response: dict, words: str) -> None:
    assert words in str(problem_from_response(response, memory_mb=2048))


def test_known_mistakes_have_causes_and_unknown_ones_do_not() -> None:
    assert likely_cause("something entirely new") is None
    assert "torch.no_grad" in likely_cause("a leaf Variable that requires grad is being used in an in-place operation.")
    assert "int64" in likely_cause("expected scalar type Long but found Float")


def test_frames_travel_whole_over_a_pipe_and_end_cleanly() -> None:
    import os

    read_fd, write_fd = os.pipe()
    codec.send(write_fd, {"a": np.arange(3)})
    codec.send(write_fd, [1.5])
    os.close(write_fd)
    assert codec.receive(read_fd)["a"].tolist() == [0, 1, 2]
    assert codec.receive(read_fd) == [1.5]
    assert codec.receive(read_fd) is None
    os.close(read_fd)
