"""Benchmark: how long the commands that need no network take, start to finish.

    .venv/bin/python bench/startup.py [--runs 9]

Builds a small archive (a recorded day of 50 papers read from the local recordings, no LLM),
then times `--help`, `history`, `show DAY` (50 papers to Markdown) and `show ID` as a user
runs them, each beside a bare `python -c pass`, an import of typer and rich, and a
one-command typer app (what any typer CLI pays), interleaved so that a busy machine slows
them all alike. Prints medians.
Target: `--help`, `history` and `show` in ≤ 0.3 s. Bytecode is written as a user's
installation writes it (PYTHONDONTWRITEBYTECODE is unset for the timed processes)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from servers import FIXTURES, LocalServer, Recordings  # noqa: E402

DAY = "2026-02-11"  # a recorded day
# what any typer CLI pays: typer 0.29 converts the command line's values with pydantic, so
# running a command imports pydantic (and importlib.metadata, for pydantic's plugins)
TYPER_APP = """
import typer, rich.console
app = typer.Typer()
@app.command()
def hello(name: str = "x") -> None:
    rich.console.Console().print(name)
app()
"""

PAGES = {
    "2602.05400": "arxiv_html/2501.11120v1.html",
    "2602.10388": "latexml_html/Melodiz_RBPO_icml2025.html",
}


def archive(home: str) -> None:
    rec = Recordings()
    rec.html = {k: FIXTURES / v for k, v in PAGES.items()}
    web = LocalServer(rec.handle)
    env = {
        **os.environ,
        "DAILYPAPERS_HOME": home,
        "HF_ENDPOINT": web.url,
        "DAILYPAPERS_ARXIV_URL": web.url,
        "DAILYPAPERS_ARXIV_API_URL": f"{web.url}/api/query",
        "DAILYPAPERS_ARXIV_DELAY": "0",
        "DAILYPAPERS_ARXIV_API_DELAY": "0",
        "DAILYPAPERS_HF_DELAY": "0",
        "DAILYPAPERS_HUB_RESOURCES": "0",
    }
    subprocess.run(
        [sys.executable, "-m", "dailypapers", "report", DAY, "--no-llm", "--quiet", "-o", "-"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    web.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    opts = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dailypapers-startup-")
    archive(home)
    env = {**os.environ, "DAILYPAPERS_HOME": home}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    tool = [sys.executable, "-m", "dailypapers"]
    out = str(Path(home) / "shown.md")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python: import typer, rich": [sys.executable, "-c", "import typer, rich.console"],
        "a one-command typer app, run": [sys.executable, "-c", TYPER_APP],
        "dailypapers --help": [*tool, "--help"],
        "dailypapers history": [*tool, "history"],
        f"dailypapers show {DAY} (50 papers)": [*tool, "show", DAY, "-o", out],
        "dailypapers show 2602.05400": [*tool, "show", "2602.05400", "-o", out],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(opts.runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    width = max(len(n) for n in commands)
    print(f"{'command':<{width}}  median of {opts.runs} (min–max)")
    for name, runs in times.items():
        print(f"{name:<{width}}  {statistics.median(runs):.2f} s ({min(runs):.2f}–{max(runs):.2f})")


if __name__ == "__main__":
    main()
