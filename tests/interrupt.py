"""Kill a run at a named point of its work (dicomref.pause), never at a guessed time."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from dicomref.pause import ANNOUNCEMENT, ENVIRONMENT_VARIABLE

REPO = Path(__file__).resolve().parents[1]


def kill_at(
    command: list[str],
    point: str,
    env: dict[str, str] | None = None,
    group: bool = True,
    when_paused: Callable[[int], None] | None = None,
) -> None:
    """Run `command` until it pauses at `point`, then SIGKILL it (with `group`, every process it started too).

    `when_paused` is called with the process id while the run waits at the point. Fails when the run ends
    without reaching the point: a kill test must kill mid-work.
    """
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {}), ENVIRONMENT_VARIABLE: point, "COLUMNS": "100"},
        start_new_session=True,
    )
    assert process.stderr is not None
    paused = False
    try:
        for line in process.stderr:
            if line.decode("utf-8", "replace").startswith(ANNOUNCEMENT):
                paused = True
                if when_paused:
                    when_paused(process.pid)
                break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL) if group else process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    assert paused, f"the run ended (exit {process.returncode}) before it reached {point}"
    assert process.returncode == -signal.SIGKILL
