"""The everyday path: the files a run writes and finds again, the commands' edges, help that
reads as prose, ids pasted as links."""

from __future__ import annotations

import json
import re

import pytest

from dailypapers.core.ids import id_in

from conftest import DAY, DAY_IDS, run_cli, run_period
from servers import Reply, completion, faithful_analysis, json_reply, server_tokens


def test_version() -> None:
    res = run_cli(["--version"])
    assert res.exit_code == 0 and re.fullmatch(r"dailypapers \d+\.\d+\.\d+\n", res.output)


@pytest.mark.parametrize("name", ["", "list", "read", "report", "analyse", "history", "show"])
def test_help_has_no_type_tags(name: str) -> None:
    res = run_cli([name, "--help"] if name else ["--help"])
    assert res.exit_code == 0
    assert not re.search(r"<(str|bool|int|float)[^>]*>|\bTEXT\b|\bINTEGER\b", res.output)


@pytest.mark.parametrize(
    "pasted, found",
    [
        ("2501.11120", "2501.11120"),
        (" 2501.11120v2 ", "2501.11120v2"),
        ("arXiv:2501.11120", "2501.11120"),
        ("arxiv: 2501.11120v3", "2501.11120v3"),
        ("https://arxiv.org/abs/2501.11120v2", "2501.11120v2"),
        ("http://arxiv.org/html/2501.11120v1/", "2501.11120v1"),
        ("https://arxiv.org/pdf/2501.11120v1.pdf", "2501.11120v1"),
        ("https://arxiv.org/pdf/2501.11120", "2501.11120"),
        ("arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("https://huggingface.co/papers/2501.11120", "2501.11120"),
        ("https://hf.co/papers/2501.11120?utm=x", "2501.11120"),
        ("https://huggingface.co/papers/2501.11120#community", "2501.11120"),
        ("https://example.com/abs/2501.11120", None),
        ("../../etc/passwd", None),
        ("2501.11", None),
    ],
)
def test_ids_are_found_in_what_users_paste(pasted: str, found: str | None) -> None:
    assert id_in(pasted) == found


def test_read_takes_a_hugging_face_link(recordings) -> None:
    res = run_cli(["read", "https://huggingface.co/papers/2407.16314"])
    assert res.exit_code == 0 and "source: arXiv HTML" in res.stderr
    res = run_cli(["read", "https://example.com/2407.16314"])
    assert res.exit_code == 2 and "not an arXiv id or link" in res.stderr


def test_several_formats_in_one_run_and_the_format_of_o(recordings, clean_env, tmp_path) -> None:
    res = run_cli(["report", DAY, "--top", "2", "--no-llm", "-q", "--format", "md,html,json"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (clean_env / "reports").iterdir())
    assert names == [f"{DAY}.no-llm.top2.zh.{f}" for f in ("html", "json", "md")]
    assert run_cli(["show", DAY, "-o", str(tmp_path / "day.html")]).exit_code == 0
    assert (tmp_path / "day.html").read_text().startswith("<!DOCTYPE html>")
    assert run_cli(["show", DAY, "-o", str(tmp_path / "day.json")]).exit_code == 0
    assert json.loads((tmp_path / "day.json").read_text())["label"] == DAY
    res = run_cli(["show", DAY, "-f", "md,html", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "-o writes one file" in res.stderr
    res = run_cli(["show", DAY, "-f", "pdf"])
    assert res.exit_code == 2 and "unknown format 'pdf'" in res.stderr


def test_llm_and_no_llm_reports_of_a_day_live_side_by_side(recordings, llm, clean_env) -> None:
    assert run_cli(["report", DAY, "--top", "2", "-q", "--no-llm"]).exit_code == 0
    assert run_cli(["report", DAY, "--top", "2", "-q"]).exit_code == 0
    names = sorted(p.name for p in (clean_env / "reports").iterdir())
    assert names == [f"{DAY}.no-llm.top2.zh.md", f"{DAY}.top2.zh.md"]
    shown = run_cli(["show", DAY])  # the LLM's, when there are any
    assert shown.exit_code == 0 and "test-model" in shown.output
    plain = run_cli(["show", DAY, "--no-llm"])
    assert plain.exit_code == 0 and "test-model" not in plain.output
    assert "原文" in plain.output  # it says its sections are the paper's own sentences


def test_show_of_what_the_archive_does_not_hold_names_the_command(recordings) -> None:
    assert run_cli(["report", DAY, "--top", "2", "-q", "--no-llm"]).exit_code == 0
    res = run_cli(["show", DAY, "--lang", "en"])
    assert res.exit_code == 2
    assert f"run `dailypapers report {DAY} --lang en --no-llm`" in res.stderr
    res = run_cli(["show", "2026-W07", "--lang", "zh"])
    assert res.exit_code == 2 and "`dailypapers report --week 2026-W07 --lang zh`" in res.stderr
    res = run_cli(["show", "2501.11120"])
    assert res.exit_code == 2 and "`dailypapers analyse 2501.11120 --lang zh`" in res.stderr


def test_history_says_language_analyser_failures_and_files_newest_first(
    recordings, clean_env
) -> None:
    rec, _ = recordings
    rec.days["2026-02-12"] = rec.days[DAY][:2]
    assert run_cli(["report", DAY, "--top", "2", "-q", "--no-llm"]).exit_code == 0
    assert run_cli(["report", DAY, "--top", "2", "-q", "--no-llm", "--lang", "en"]).exit_code == 0
    assert run_cli(["report", "2026-02-12", "-q", "--no-llm", "-f", "md,html"]).exit_code == 0
    res = run_cli(["history"])
    lines = [line for line in res.output.splitlines() if re.match(r"│ 2026-02-1", line)]
    # the papers of the 12th are the 11th's first two: analysed in both languages
    assert [line.split("│")[1].strip() for line in lines] == ["2026-02-12"] * 2 + [DAY] * 2
    folded = re.sub(r"[│\s]", "", res.output)  # the files column, folded at 80 columns
    assert "2026-02-12.no-llm.zh.md," in folded and "2026-02-12.no-llm.zh.html" in folded
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in lines[2:]]
    assert sorted(c[1:6] for c in cells) == [
        ["en", "no-llm", "50", "2", "0"],
        ["zh", "no-llm", "50", "2", "0"],
    ]


def test_a_mark_names_the_abstract_when_only_the_abstract_was_read(recordings, llm) -> None:
    rec, _ = recordings
    abstract_only = DAY_IDS[12]  # no HTML page, no PDF: read from the listing's abstract
    rec.days[DAY] = [e for e in rec.days[DAY] if e["paper"]["id"] == abstract_only]

    def invented(request: dict) -> Reply:
        data = faithful_analysis(request)
        data["results"] = [
            {
                "claim": "准确率达到 987.6%。",
                "benchmark": None,
                "metric": None,
                "values": ["987.6%"],
                "baseline": None,
                "evidence": {"quote": "", "section": ""},
            }
        ]
        answer = json.dumps(data, ensure_ascii=False)
        return json_reply(completion(answer, prompt_tokens=server_tokens(request)))

    llm.script = [invented]
    res = run_cli(["report", DAY, "-q", "-o", "-", "--unverified", "mark"])
    assert res.exit_code == 0, res.output
    assert "**阅读来源**: ArXiv Abs" in res.output
    assert "摘要中没有这些数字：987.6%" in res.output and "论文中没有" not in res.output


def test_the_progress_line_says_what_it_waits_for_and_fits_80_columns(recordings) -> None:
    from rich.console import Console

    from dailypapers.cli.progress import LiveProgress
    from dailypapers.run.events import Event
    from dailypapers.run.period import Options

    rec, _ = recordings
    rec.days[DAY] = rec.days[DAY][:2]
    rec.overrides["/api/daily_papers"] = [Reply(503, b"busy")]
    console = Console(width=80, record=True, force_terminal=True)
    seen: list[str] = []

    class Watching(LiveProgress):
        def status(self, text: str) -> None:
            super().status(text)
            seen.append(self.line())

    with Watching(console) as progress:
        run_period(Options(period=DAY), observers=[progress])
    assert seen[0] == "0/0 · 0s · listing 2026-02-11"
    assert "0/0 · 0s · Hugging Face HTTP 503, asked again in 2 s" in seen
    busy = LiveProgress(Console(width=80, record=True))
    busy.event(Event("listed", count=1500))
    for step in ("fetched", "parsed", "analysed", "checked"):
        for i in range(1499):
            busy.event(Event(step, str(i)))
    busy.event(Event("failed", "x", reason="y"))
    busy.start -= 3725  # an hour and more in
    busy.console.print(busy._render())
    shown = busy.console.export_text()
    assert "checked 1499 · failed 1" in shown and "…" not in shown, shown


def test_the_no_llm_sentences_are_whole_and_clean() -> None:
    from dailypapers.analysing.extract import sentences

    text = (
        "GUI agents have emerged as a powerful paradigm for automation.We propose X, a "
        "planner for long tasks. It improves accuracy by 3.5% over baselines.Our code is at "
        "https://github.com/a/b{https://github.com/a/b}. We train on 8 GPUs for two days. "
        "[TODO: Report total GPU-hours.] Details follow in Section 4, e.g.the ablations. "
        "We build on torch.Tensor ops, see \\href{https://x.org/d}{the docs} for details."
    )
    assert sentences(text) == [
        "GUI agents have emerged as a powerful paradigm for automation.",
        "We propose X, a planner for long tasks.",
        "It improves accuracy by 3.5% over baselines.",
        "Our code is at https://github.com/a/b.",
        "We train on 8 GPUs for two days.",
        "We build on torch.Tensor ops, see the docs (https://x.org/d) for details.",
    ]  # the note to self goes with its sentence: what is kept is verbatim


def test_an_abstract_alone_gives_innovations_and_results() -> None:
    from dailypapers.analysing.extract import analyse_without_llm
    from dailypapers.core.models import Paper
    from dailypapers.run.read import abstract_document

    abstract = (
        "Long-horizon video generation drifts over time. To correct this, we propose "
        "TokenTrim, an inference-time method that removes unstable tokens. Specifically, "
        "unstable tokens are latent tokens whose representations deviate from the previous "
        "batch. Removing them from the context keeps the scene consistent. Experiments show "
        "that TokenTrim consistently improves temporal consistency without retraining."
    )
    paper = Paper(id="2602.00001", title="TokenTrim", abstract=abstract)
    a = analyse_without_llm(abstract_document(paper, None), paper, "en")
    assert a.contribution.startswith("To correct this, we propose TokenTrim")
    assert [x.explanation for x in a.innovations][0].startswith("Specifically, unstable")
    assert [r.claim for r in a.results] == [
        "Experiments show that TokenTrim consistently improves temporal consistency without "
        "retraining."
    ]


def test_show_writes_several_formats_to_the_reports_folder(recordings, clean_env) -> None:
    assert run_cli(["report", DAY, "--top", "2", "-q", "--no-llm", "-o", "-"]).exit_code == 0
    res = run_cli(["show", DAY, "--no-llm", "-f", "html,json"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (clean_env / "reports").iterdir())
    assert names == [f"{DAY}.no-llm.zh.html", f"{DAY}.no-llm.zh.json"]


def test_history_lists_an_empty_day_and_an_archive_reopens_after_close(clean_env) -> None:
    from dailypapers.archive.reader import Archive
    from dailypapers.archive.store import Store
    from dailypapers.core.config import load_settings

    db = load_settings().db_path
    with Store(db) as store:
        store.save_listing("2026-02-15", "day", [])
    archive = Archive(db)
    assert [(p.label, p.papers, p.lang) for p in archive.periods()] == [("2026-02-15", 0, None)]
    archive.close()
    assert len(archive.periods()) == 1  # used again: it opens again
    archive.close()
