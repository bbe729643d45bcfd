"""Benchmark: a whole day against local servers with realistic latencies, measured in one run.

    .venv/bin/python bench/bench_day.py [--papers 170] [--concurrency 8] [--llm-latency 2]

The HF listing and arXiv pages are the recordings (a crafted day of N papers over the real
pages); arXiv answers after a fixed delay; the OpenAI-compatible server takes longer the more
tokens it writes (or a fixed time) and answers every 15th request with 429. The tool runs as
a subprocess, as a user runs it (its workers as configured, bytecode written), so its wall
time, CPU and peak RSS are its own. Prints the ratios the targets are stated in: wall ≤ 1.1 ×
ideal; a re-run makes 0 requests; peak RSS < 300 MB (of the run's process and its workers
together, sampled; the largest single process beside it), with the machine's load before the
run."""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from dailypapers.core.config import default_workers  # noqa: E402

from servers import (  # noqa: E402
    DAY,
    FIXTURES,
    LocalServer,
    Recordings,
    Reply,
    ScriptedLLM,
    big_day,
    completion,
    day_paragraph,
    faithful_analysis,
    json_reply,
)

ARXIV_DELAY = 0.05  # seconds the simulated arXiv takes per page
LLM_BASE = 0.15  # seconds before the first token
LLM_PER_TOKEN = 0.0025  # seconds per output token (400 tokens/s)
RATE_LIMIT_EVERY = 15
RETRY_AFTER_MS = 200  # what the 429 answers ask the client to wait
RETRY_AFTER = RETRY_AFTER_MS / 1000
PAGES = [
    "arxiv_html/2501.11120v1.html",
    "crafted/layout3_2407.16314v1.html",
    "latexml_html/Melodiz_RBPO_icml2025.html",
    "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html",
    "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html",
    "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html",
    "arxiv_html/2407.16314v1.html",
]


class TimedLLM(ScriptedLLM):
    """Answer time grows with the tokens written; every Nth request is rate-limited."""

    def __init__(self, fixed: float | None = None) -> None:
        super().__init__()
        self.fixed = fixed  # seconds for every answer, whatever its length
        self.count = 0
        self.limited = 0
        self.latencies: list[float] = []
        self.arrivals: list[tuple[float, bool]] = []  # (monotonic time, is the day's paragraph)

    def handle(self, path: str, query: dict, body: bytes) -> Reply:
        """The answer comes `latency` after the request arrived: the time this stand-in
        takes to make up an answer is part of it, as a real server's thinking is."""
        arrived = time.monotonic()
        request = json.loads(body)
        with self.lock:
            self.count += 1
            n = self.count
            self.requests.append(request)
        if n % RATE_LIMIT_EVERY == 0:
            with self.lock:
                self.limited += 1
            return json_reply(
                {"error": {"message": "rate limited"}},
                429,
                **{"retry-after-ms": str(RETRY_AFTER_MS)},
            )
        day = DAY.search(request["messages"][-1]["content"])
        with self.lock:
            self.arrivals.append((arrived, bool(day)))
        writer = day_paragraph if day else faithful_analysis
        answer = json.dumps(writer(request), ensure_ascii=False)
        tokens = len(answer) // 3
        latency = self.fixed if self.fixed is not None else LLM_BASE + tokens * LLM_PER_TOKEN
        with self.lock:
            self.latencies.append(latency)
        reply = completion(
            answer, prompt_tokens=len(json.dumps(request)) // 4, completion_tokens=tokens
        )
        wait = max(0.0, latency - (time.monotonic() - arrived))
        return Reply(200, json.dumps(reply).encode(), {"Content-Type": "application/json"}, wait)


def serve(
    papers: int, latency: float | None = None
) -> tuple[Recordings, LocalServer, TimedLLM, LocalServer, str]:
    rec = Recordings()
    day = "2026-03-03"
    rec.days[day] = big_day(papers)
    for i, entry in enumerate(rec.days[day]):
        pid = entry["paper"]["id"]
        if i % 20 == 19:
            rec.pdf[pid] = FIXTURES / "pdf/2304.02623v1.pdf"
        elif i % 20 != 18:
            rec.html[pid] = FIXTURES / PAGES[i % len(PAGES)]
    rec.delays["arxiv"] = ARXIV_DELAY
    llm = TimedLLM(latency)
    return rec, LocalServer(rec.handle), llm, LocalServer(llm.handle), day


@dataclass
class Process:
    start: float  # monotonic
    wall: float  # seconds
    rss: float  # peak MB of the processes together (the run and its workers), sampled
    largest: float  # peak MB of the largest single process (the kernel's ru_maxrss)
    cpu: float  # seconds, user + system, its workers included


# Linux carries a process's peak RSS across exec: a process started by this one (which holds
# every recording and every prompt the simulated LLM received, hundreds of MB after a month)
# would report this one's size as its own peak. So the tool is started by a small launcher.
# The processes' memory together is sampled every 20 ms from /proc (the kernel keeps only
# each process's own peak, and of a process and its children the larger, not their sum).
_LAUNCHER = """
import json, os, subprocess, sys, tempfile, time

def tree_rss(root):
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024

for line in sys.stdin:
    args, env = json.loads(line)
    with tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
        peak = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.02)
        wall = time.monotonic() - start
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        largest = usage.ru_maxrss / 1024
        print(json.dumps([start, wall, max(peak, largest), largest, cpu, status, err.read()]))
        sys.stdout.flush()
"""


class Launcher:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, args: list[str], env: dict[str, str]) -> Process:
        """One dailypapers process, as a user runs it (CPU and peak RSS include its
        workers: the OS counts a process's children it waited for)."""
        assert self.proc.stdin and self.proc.stdout
        command = [sys.executable, "-m", "dailypapers", *args]
        self.proc.stdin.write(json.dumps([command, env]) + "\n")
        self.proc.stdin.flush()
        start, wall, rss, largest, cpu, status, err = json.loads(self.proc.stdout.readline())
        if status != 0:
            raise SystemExit(f"dailypapers failed: {err}")
        return Process(start, wall, rss, largest, cpu)

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()  # the launcher's loop ends
        self.proc.wait()


def last_run_stats(home: Path) -> dict:
    with sqlite3.connect(home / "dailypapers.db") as db:
        return json.loads(db.execute("SELECT stats FROM runs ORDER BY id DESC").fetchone()[0])


def in_process_render(home: Path, day: str) -> float:
    """Archive → report → Markdown and HTML, without the interpreter's start-up."""
    from dailypapers.archive.reader import Archive
    from dailypapers.report.html import html_chunks  # noqa: F401  (imported lazily by render:
    from dailypapers.report.markdown import markdown_chunks  # noqa: F401  not timed here)
    from dailypapers.report.render import render

    start = time.monotonic()
    with Archive(home / "dailypapers.db") as archive:
        rebuilt = archive.report(day, "day", "zh")
        assert rebuilt is not None
        render(rebuilt, "md")
        render(rebuilt, "html")
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=170)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--llm-latency",
        type=float,
        help="seconds for every LLM answer (default: 0.15 s + 2.5 ms per token written)",
    )
    parser.add_argument(
        "--arxiv-pacing",
        type=float,
        default=0.0,
        help="seconds between arXiv requests (the tool's default is 1.0; at "
        "that pacing a 170-paper day is fetch-bound, not LLM-bound)",
    )
    parser.add_argument(
        "--api-pacing",
        type=float,
        default=0.0,
        help="seconds between arXiv export API requests (the tool's default is 3.0; a month "
        "asks for its metadata in batches of 100)",
    )
    opts = parser.parse_args()
    launcher = Launcher()  # before the servers load their recordings
    rec, web, llm, llm_server, day = serve(opts.papers, opts.llm_latency)
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    env = {
        **os.environ,
        "DAILYPAPERS_HOME": home,
        "HF_ENDPOINT": web.url,
        "DAILYPAPERS_ARXIV_URL": web.url,
        "DAILYPAPERS_ARXIV_API_URL": f"{web.url}/api/query",
        "DAILYPAPERS_ARXIV_DELAY": str(opts.arxiv_pacing),
        "DAILYPAPERS_ARXIV_API_DELAY": str(opts.api_pacing),
        "DAILYPAPERS_HF_DELAY": "0",
        "OPENAI_BASE_URL": f"{llm_server.url}/v1",
        "OPENAI_API_KEY": "bench",
        "DAILYPAPERS_MODEL": "bench-model",
        "DAILYPAPERS_CONCURRENCY": str(opts.concurrency),
    }
    workers = env.setdefault("DAILYPAPERS_WORKERS", str(default_workers()))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installation writes its bytecode once
    report = ["report", day, "--quiet", "-o", str(Path(home) / "day.md")]

    load = os.getloadavg()[0]
    first = launcher.run(report, env)
    http = len(web.paths())
    http_retries = last_run_stats(Path(home))["retries"]
    calls, limited = len(llm.requests), llm.limited
    analyses = [t for (_, day), t in zip(llm.arrivals, llm.latencies, strict=True) if not day]
    paragraph = sum(t for (_, day), t in zip(llm.arrivals, llm.latencies, strict=True) if day)
    latency = sum(analyses) / len(analyses)
    first_call = llm.arrivals[0][0] - first.start
    # the LLM-bound ideal (every slot busy from the start, then the paragraph on the day,
    # which needs every analysis), unless pacing the arXiv requests takes longer than that
    pacing = opts.papers * opts.arxiv_pacing
    ideal = max(math.ceil(opts.papers / opts.concurrency) * latency, pacing + latency)
    ideal += paragraph + ARXIV_DELAY + limited * RETRY_AFTER / opts.concurrency
    sequential = sum(llm.latencies) + opts.papers * ARXIV_DELAY

    again = launcher.run(report, env)
    http2, calls2 = len(web.paths()) - http, len(llm.requests) - calls
    show = launcher.run(["show", day, "-o", str(Path(home) / "again.md")], env)
    render = in_process_render(Path(home), day)

    rows = [
        ("machine: cores / load average (1 min) before the run", f"{os.cpu_count()} / {load:.2f}"),
        ("papers / concurrency / workers", f"{opts.papers} / {opts.concurrency} / {workers}"),
        (
            "per-call LLM latency (mean) / the paragraph on the day",
            f"{latency:.2f} s / {paragraph:.2f} s",
        ),
        ("wall time", f"{first.wall:.2f} s"),
        ("first LLM request after the start", f"{first_call:.2f} s"),
        ("arXiv pacing between requests", f"{opts.arxiv_pacing:.2f} s"),
        (
            "ideal: max(ceil(papers/conc.) × latency, pacing) + paragraph + arXiv delay "
            "+ Retry-After waits / conc.",
            f"{ideal:.2f} s",
        ),
        ("ratio wall / ideal (target ≤ 1.1)", f"{first.wall / ideal:.2f}"),
        ("sequential (one paper after another)", f"{sequential:.2f} s"),
        ("speed-up over sequential", f"{sequential / first.wall:.1f}×"),
        (
            "CPU of the run (workers included) / per paper",
            f"{first.cpu:.1f} s / {1000 * first.cpu / opts.papers:.0f} ms",
        ),
        ("HTTP requests (HF + arXiv) / retries", f"{http} / {http_retries}"),
        ("LLM calls (of which 429 answers, retried)", f"{calls} ({limited})"),
        (
            "peak RSS, the processes together (target < 300 MB) / the largest alone",
            f"{first.rss:.0f} MB / {first.largest:.0f} MB",
        ),
        ("re-run wall time", f"{again.wall:.2f} s"),
        ("re-run HTTP requests / LLM calls (target 0 / 0)", f"{http2} / {calls2}"),
        ("re-run peak RSS, together / the largest", f"{again.rss:.0f} MB / {again.largest:.0f} MB"),
        (
            "re-render from the archive: `show` process / in-process",
            f"{show.wall:.2f} s / {render:.3f} s",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    web.close()
    llm_server.close()
    launcher.close()


if __name__ == "__main__":
    main()
