from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import flush_redis
from tests.harness import Harness, running_bot


@pytest.fixture(autouse=True)
def _no_dialog_state_left() -> None:
    flush_redis()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as running:
        yield running
