"""A thread's title comes from its first message and shows in ``ohm threads``
(offline: the answer comes from Ohm's deterministic simulator)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

OHM = str(Path(sys.executable).with_name("ohm"))


@pytest.mark.integration
def test_first_message_names_the_thread(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OHM_")}
    env |= {"OHM_OFFLINE": "1", "OHM_DATA_DIR": str(tmp_path / "data"), "NO_COLOR": "1"}
    first = "build a soil moisture logger. It should run for a month on two AA cells."
    ask = subprocess.run(
        [OHM, "ask", first], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240
    )
    assert ask.returncode == 0, ask.stderr
    out = subprocess.run(
        [OHM, "threads", "--json"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    titles = [t["title"] for t in json.loads(out.stdout)]
    assert titles == ["Build a soil moisture logger"]
