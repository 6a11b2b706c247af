"""Work a waiting child does before its request arrives, so that its request runs faster.

A forked child shares the server's memory copy-on-write: the first write to each page (Python
reference counts, torch's allocator and dispatcher state) copies it, and a probe pays thousands of
such faults, about 5 ms in all. A child forked ahead of time pays them while it waits, on the core
the running child does not use, by running the paths nearly every probe takes: a small model's
forward, backward and optimizer step, a DataLoader, a checkpoint round trip, the result encoding.
It stops between steps once its request is there: quick probes (numpy's, say) come faster than a
child can warm up, and their request should not wait for it.

Nothing here is observable by the student's code: every object is local, and the child reseeds
every generator after its request arrives.
"""

from __future__ import annotations

import io
import sys
from typing import Callable


def warm_up(stop: Callable[[], bool] = lambda: False) -> None:
    """Run the common paths once, checking `stop()` before each step; any failure is ignored (this is only an
    optimisation).

    The server runs it once too (what it imports lazily is then shared). It does nothing before the
    server has imported torch._dynamo: creating the first optimizer imports that, which takes a second.
    """
    if "torch._dynamo" not in sys.modules:
        return
    try:
        for step in (_train_step, _checkpoint_round_trip, _compile_and_encode):
            if stop():
                return
            step()
    except Exception:  # noqa: BLE001, S110 - never let the warm-up break a child
        pass


def _train_step() -> None:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    data = TensorDataset(torch.randn(10, 4), torch.randint(0, 3, (10,)))
    for x, y in DataLoader(data, batch_size=4, shuffle=True):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        model.eval()(torch.randn(2, 4)).numpy()


def _checkpoint_round_trip() -> None:
    import torch

    model = torch.nn.Linear(4, 3)
    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "epoch": 1, "losses": [0.5]}, buffer)
    buffer.seek(0)
    torch.load(buffer, weights_only=True)


def _compile_and_encode() -> None:
    import numpy as np

    from autograder.contract import codec

    exec(compile("import numpy as np\nimport torch\n\n\ndef f(x):\n    return x\n", "<warm-up>", "exec"), {})
    codec.encode({"array": np.zeros(3, dtype=np.float32), "floats": [1.0, 2.0], "text": "t"})
