"""The benchmark keeps working (its figures are read by people, not asserted here)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_and_reruns_for_free() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HF_"))}
    res = subprocess.run(
        [sys.executable, "bench/bench_day.py", "--papers", "4", "--llm-latency", "0.05"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "ratio wall / ideal" in res.stdout
    assert re.search(r"re-run HTTP requests / LLM calls \(target 0 / 0\)\s+0 / 0\n", res.stdout)
