"""Grade the attacks of the corpus (tests/submissions/hostile_*, forge_*, hang_*): each must get no more than its
case.yml allows (at most the honest mistake's score), leave the submission folder and other processes as they were,
and cost a bounded time. A file of its own, so that `pytest -n` grades the attacks and the honest cases side by side.
"""

from __future__ import annotations

import pytest

from corpus import WarmSandboxes, case_names, check_case


@pytest.mark.slow
@pytest.mark.parametrize("case", case_names(attacks=True))
def test_attack(case: str, warm_sandboxes: WarmSandboxes) -> None:
    check_case(case, warm_sandboxes)
