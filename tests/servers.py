"""Local HTTP servers on 127.0.0.1 that replay the recorded services, and a scripted
OpenAI-compatible chat server. Tests and benchmarks point dailypapers at them through its
ordinary configuration (HF_ENDPOINT, DAILYPAPERS_ARXIV_URL, OPENAI_BASE_URL, ...)."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[str, dict[str, list[str]], bytes], Reply]


class LocalServer:
    """A threaded HTTP server; `handle(path, query, body)` decides each answer."""

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.log: list[tuple[str, str]] = []
        self.agents: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                with outer.lock:
                    outer.log.append((method, self.path))
                    outer.agents.append(self.headers.get("User-Agent", ""))
                reply = outer.handle(url.path, parse_qs(url.query), body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, per test
        serve = functools.partial(self.httpd.serve_forever, poll_interval=0.02)
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def paths(self) -> list[str]:
        with self.lock:
            return [p for _, p in self.log]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def json_reply(data: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})


class Recordings:
    """Serves the recorded HF days and arXiv pages; crafted behaviour is set per test."""

    def __init__(self) -> None:
        self.days: dict[str, list] = {}
        for f in (FIXTURES / "hf_api").glob("daily_papers_2026-*.json"):
            day = f.stem.removeprefix("daily_papers_")
            if len(day) == 10:
                self.days[day] = json.loads(f.read_text())
        self.html: dict[str, Path] = {}
        self.pdf: dict[str, Path] = {}
        self.atom: dict[str, bytes] = {}
        self.overrides: dict[str, list[Reply]] = {}  # path -> replies to give first, in order
        self.delays: dict[str, float] = {"hf": 0.0, "arxiv": 0.0}
        self.last_day = "2026-06-30"
        self.hub: dict[tuple[str, str], list[dict]] = {}  # (kind, arXiv id) -> repositories

    def handle(self, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        queued = self.overrides.get(path)
        if queued:
            return queued.pop(0)
        if path == "/api/daily_papers":
            return self._daily(query)
        if path.startswith("/html/"):
            return self._file(self.html, path.removeprefix("/html/"), "text/html")
        if path.startswith("/pdf/"):
            return self._file(self.pdf, path.removeprefix("/pdf/"), "application/pdf")
        if path == "/api/query":
            return self._atom(query)
        if path in ("/api/models", "/api/datasets", "/api/spaces"):
            return self._hub(path.removeprefix("/api/"), query)
        return Reply(404, b"not found")

    def _hub(self, kind: str, query: dict[str, list[str]]) -> Reply:
        """As the Hub answers `?filter=arxiv:<id>&sort=likes&direction=-1&limit=N`: a list of
        repositories, each with at least its id, most liked first."""
        tag = query.get("filter", [""])[0]
        repos = (
            self.hub.get((kind, tag.removeprefix("arxiv:")), []) if tag.startswith("arxiv:") else []
        )
        if query.get("sort") == ["likes"]:
            repos = sorted(repos, key=lambda r: -r.get("likes", 0))
        limit = int(query.get("limit", ["1000"])[0])
        return json_reply(repos[:limit])

    def _daily(self, query: dict[str, list[str]]) -> Reply:
        day = query.get("date", [""])[0]
        limit = int(query.get("limit", ["50"])[0])
        page = int(query.get("p", ["0"])[0])
        if limit > 100:
            return json_reply({"error": "limit must be <= 100"}, 400)
        if day > self.last_day:
            return json_reply({"error": "date in the future"}, 400)
        entries = self.days.get(day, [])
        return Reply(
            200,
            json.dumps(entries[page * limit : (page + 1) * limit]).encode(),
            {"Content-Type": "application/json"},
            self.delays["hf"],
        )

    def _file(self, table: dict[str, Path], key: str, ctype: str) -> Reply:
        base = key.split("v")[0] if "v" in key else key
        f = table.get(key) or table.get(base)
        if f is None:
            if table is self.html:
                page = (FIXTURES / "crafted/no_html_404.html").read_text().replace("{id}", key)
                return Reply(404, page.encode(), {"Content-Type": "text/html"})
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        return Reply(200, f.read_bytes(), {"Content-Type": ctype}, self.delays["arxiv"])

    def _atom(self, query: dict[str, list[str]]) -> Reply:
        ids = query.get("id_list", [""])[0].split(",")
        entries = b"".join(self.atom[i] for i in ids if i in self.atom)
        feed = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/'
            b'Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">' + entries + b"</feed>"
        )
        return Reply(200, feed, {"Content-Type": "application/atom+xml"})

    def add_atom_fixture(self, arxiv_id: str, path: Path) -> None:
        xml = path.read_bytes()
        start = xml.index(b"<entry>")
        end = xml.index(b"</entry>") + len(b"</entry>")
        self.atom[arxiv_id] = xml[start:end]


def big_day(n: int) -> list[dict]:
    """A crafted day of `n` papers, made from the 2026-02-11 recording with new ids."""
    base = json.loads((FIXTURES / "hf_api/daily_papers_2026-02-11.json").read_text())
    out = []
    for i in range(n):
        entry = json.loads(json.dumps(base[i % len(base)]))
        entry["paper"]["id"] = f"2603.{10000 + i}"
        entry["paper"]["title"] = f"{entry['paper']['title']} (copy {i})"
        out.append(entry)
    return out


MARKER = re.compile(r"<<<PAPER (\w+)>>>\n(.*?)\n<<<END PAPER \1>>>", re.S)
SENTENCE = re.compile(r"[A-Z][^.!?\n]{30,300}[.!?]")


def fenced_paper(request: dict) -> str:
    """The paper text a request carries between its markers."""
    user = request["messages"][1]["content"]
    m = MARKER.search(user)
    text = m.group(2) if m else ""
    return re.sub(r"^Links and comment given by the authors: .*\n", "", text)


DAY = re.compile(r"<<<DAY (\w+)>>>\n(.*)\n<<<END DAY \1>>>", re.S)


def day_paragraph(request: dict) -> dict:
    """A paragraph on the day that says only what the analyses it was given say."""
    m = DAY.search(request["messages"][-1]["content"])
    papers = json.loads(m.group(2)) if m else []
    lead = papers[0]["contribution"] if papers else ""
    return {"paragraph": f"今日论文涉及多个方向。{lead}"}


def faithful_analysis(request: dict) -> dict:
    """An analysis written the way a careful LLM would: Chinese prose around numbers, names
    and quotes copied from the paper in the request."""
    text = fenced_paper(request)
    sents = [s for s in SENTENCE.findall(text) if "$" not in s and "|" not in s]
    with_numbers = [s for s in sents if re.search(r"\d+(\.\d+)?\s?%|\d+\.\d+", s)]
    quote = (sents or ["Abstract"])[0]
    results = []
    for s in with_numbers[:3]:
        value = re.search(r"\d+(?:\.\d+)?\s?%|\d+\.\d+", s).group(0)
        results.append(
            {
                "claim": f"论文报告的结果为 {value}。",
                "benchmark": None,
                "metric": None,
                "values": [value],
                "baseline": None,
                "evidence": {"section": "Experiments", "quote": s},
            }
        )
    title = re.search(r"^# (.+)$", text, re.M)
    return {
        "translated_title": f"论文：{title.group(1) if title else ''}",
        "domains": ["NLP - 大语言模型"],
        "contribution": "提出了一种新方法，解决了论文所述的问题。",
        "contribution_evidence": {"section": "Abstract", "quote": quote},
        "usage": {
            "inputs": "论文所述的输入",
            "outputs": "论文所述的输出",
            "workflow": ["读取输入", "运行方法"],
            "hardware": "论文未说明",
            "code": "论文未说明",
            "code_urls": [],
            "evidence": [],
        },
        "innovations": [
            {
                "name": "创新点" + "一二三"[i],
                "explanation": "论文提出的设计。",
                "evidence": {"section": "Introduction", "quote": s},
            }
            for i, s in enumerate(sents[1:4])
        ],
        "results": results,
    }


def completion(
    content: str | None,
    finish_reason: str = "stop",
    prompt_tokens: int = 1000,
    completion_tokens: int = 300,
    **message: Any,
) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


Step = Callable[[dict], Reply]


def server_tokens(request: dict) -> int:
    """How a server's tokeniser counts a request: a little denser than our estimate."""
    return int(sum(len(m["content"] or "") for m in request["messages"]) / 3.5)


# What real servers answer when a prompt exceeds their context (see llm.py for the list).
CONTEXT_REPLIES: dict[str, Callable[[int, int, int], dict]] = {
    "vllm": lambda n_ctx, prompt, out: {
        "object": "error",
        "message": f"This model's maximum context length is {n_ctx} tokens. However, you "
        f"requested {prompt + out} tokens ({prompt} in the messages, {out} in the completion). "
        "Please reduce the length of the messages or completion.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    },
    "llama.cpp": lambda n_ctx, prompt, out: {
        "error": {
            "code": 400,
            "message": "the request exceeds the available context size, try increasing it",
            "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt,
            "n_ctx": n_ctx,
        }
    },
    "openai": lambda n_ctx, prompt, out: {
        "error": {
            "message": f"This model's maximum context length is {n_ctx} tokens. However, your "
            f"messages resulted in {prompt} tokens. Please reduce the length of the messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    },
    "unstated": lambda n_ctx, prompt, out: {
        "error": {"message": "prompt too long; exceeded max context length", "type": "error"}
    },
}


class ScriptedLLM:
    """An OpenAI-compatible chat server: scripted steps first, then faithful answers.

    `rejects` maps a response_format type to the 400 message that refuses it; `context` is
    the server's context in its own tokens, enforced the way `context_style` says (a 400 in
    one of CONTEXT_REPLIES' wordings, or "ollama": read only that much, silently)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.day_requests: list[dict] = []
        self.script: list[Step] = []
        self.rejects: dict[str, str] = {}
        self.context: int | None = None
        self.context_style = "vllm"
        self.writer: Callable[[dict], dict] = faithful_analysis  # the answer to a request
        self.delay = 0.0
        self.lock = threading.Lock()

    @property
    def reject_json_schema(self) -> bool:
        return "json_schema" in self.rejects

    @reject_json_schema.setter
    def reject_json_schema(self, value: bool) -> None:
        if value:
            self.rejects["json_schema"] = "response_format json_schema is not supported"
        else:
            self.rejects.pop("json_schema", None)

    def handle(self, path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        if not path.endswith("/chat/completions"):
            return json_reply({"error": {"message": "not found"}}, 404)
        request = json.loads(body)
        day = DAY.search(request["messages"][-1]["content"])
        with self.lock:  # a paper's analyses in `requests`, the paragraph on the day apart
            (self.day_requests if day else self.requests).append(request)
            step = self.script.pop(0) if self.script and not day else None
        if step is not None:
            return step(request)
        fmt = (request.get("response_format") or {}).get("type")
        if fmt in self.rejects:
            error = {"message": self.rejects[fmt], "type": "invalid_request_error"}
            headers = {"Content-Type": "application/json"}
            return Reply(400, json.dumps({"error": error}).encode(), headers, self.delay)
        prompt = server_tokens(request)
        out = request.get("max_tokens") or request.get("max_completion_tokens") or 0
        if self.context and self.context_style != "ollama" and prompt + out > self.context:
            body = CONTEXT_REPLIES[self.context_style](self.context, prompt, out)
            return Reply(400, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if self.context and self.context_style == "ollama":
            prompt = min(prompt, self.context)
        writer = day_paragraph if day else self.writer
        written = writer(request)  # an answer as JSON, verbatim as text, or a whole reply
        if isinstance(written, Reply):
            return written
        answer = written if isinstance(written, str) else json.dumps(written, ensure_ascii=False)
        return Reply(
            200,
            json.dumps(completion(answer, prompt_tokens=prompt)).encode(),
            {"Content-Type": "application/json"},
            self.delay,
        )


class FakeClock:
    """Virtual time for Net: it stands still until a task sleeps, and a sleep ends at once,
    at its wake time. `slept` is the virtual time spent waiting."""

    def __init__(self) -> None:
        self.t = 0.0
        self.slept = 0.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        wake = self.t + seconds
        self.slept += seconds
        await asyncio.sleep(0)
        self.t = max(self.t, wake)
