"""One odd answer or entry costs only itself: a malformed optional field of the listing, a
broken entry of the export API's answer, a paragraph answer nested past any parser's depth;
and text that reorders a line (bidirectional controls) reaches no terminal and no report."""

from __future__ import annotations

from dailypapers.core.escape import strip_controls, terminal
from dailypapers.sources.arxiv import parse_atom
from dailypapers.sources.hf import parse_listing

from conftest import DAY, run_cli


def test_an_odd_optional_listing_field_costs_only_that_field() -> None:
    notes: list[str] = []
    entries = [
        {"paper": {"id": "2501.11120", "title": "Kept", "githubStars": "many", "upvotes": 7}},
        {"paper": {"id": "2501.11121", "title": "Also kept", "organization": "a string"}},
        {"paper": {"id": "not an id", "title": "Dropped"}},
    ]
    papers = parse_listing(entries, notes)
    assert [(p.id, p.github_stars, p.upvotes) for p in papers] == [
        ("2501.11120", None, 7),
        ("2501.11121", None, 0),
    ]
    assert papers[1].organization == "a string"
    assert any("malformed github_stars ('many')" in n for n in notes)


def test_a_broken_entry_of_the_export_api_costs_only_that_entry() -> None:
    entry = "<entry><id>http://arxiv.org/abs/{}</id><title>{}</title><summary>s</summary></entry>"
    feed = (
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        + entry.format("2501.11120v1", "Good")
        + entry.format("2501.\n11121v1", "Broken id")
        + entry.format("2501.11122v2", "Good too")
        + "</feed>"
    ).encode()
    assert [(m.id, m.version) for m in parse_atom(feed)] == [
        ("2501.11120", "v1"),
        ("2501.11122", "v2"),
    ]


def test_a_paragraph_nested_past_any_depth_costs_only_the_paragraph(llm, monkeypatch) -> None:
    import servers

    deep = '{"paragraph": ' + "[" * 100_000 + "]" * 100_000 + "}"
    monkeypatch.setattr(servers, "day_paragraph", lambda request: deep)
    res = run_cli(["report", DAY, "--top", "2", "-o", "-"])
    assert res.exit_code == 0 and res.stdout.count("## 📄") == 2
    assert "warning: no paragraph on the day" in res.stderr and "Traceback" not in res.stderr


def test_bidirectional_controls_reach_no_terminal_and_no_report() -> None:
    hostile = "Safe title \u202egnp.exe\u202c and \u2066isolated\u2069 \u200fmark"
    assert strip_controls(hostile) == "Safe title gnp.exe and isolated mark"
    assert terminal(hostile).plain == "Safe title gnp.exe and isolated mark"


def test_a_very_long_pdf_is_read_only_as_far_as_an_analysis_can_use(tmp_path) -> None:
    import io
    import time

    from pypdf import PdfReader, PdfWriter

    from dailypapers.reading.pdf.parse import MAX_PAGES, parse_pdf

    from servers import FIXTURES

    source = PdfReader(FIXTURES / "pdf/2304.02623v1.pdf")
    writer = PdfWriter()
    while len(writer.pages) < MAX_PAGES + 40:
        for page in source.pages:
            writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    total = len(writer.pages)
    start = time.process_time()
    doc = parse_pdf(buf.getvalue(), arxiv_id="2304.02623")
    assert doc.pages_unread == total - MAX_PAGES > 0
    assert time.process_time() - start < 60


def test_a_worker_killed_from_outside_makes_the_fallback_transient() -> None:
    """The OOM killer may stop a worker on a paper another run reads fine: read it again."""
    from dailypapers.core.errors import WorkerCrashed
    from dailypapers.run.read import is_transient

    assert is_transient(WorkerCrashed("the process reading or checking this paper died on it"))


def test_a_home_that_is_a_file_and_a_binary_config_are_one_line(clean_env) -> None:
    clean_env.parent.mkdir(parents=True, exist_ok=True)
    clean_env.write_text("not a folder")
    res = run_cli(["report", DAY, "--no-llm", "-q"])
    assert res.exit_code == 6 and "cannot use" in res.stderr and "Traceback" not in res.stderr
    clean_env.unlink()
    clean_env.mkdir()
    (clean_env / "config.toml").write_bytes(b"\xff\xfe\x00binary")
    res = run_cli(["history"])
    assert res.exit_code == 2 and "must be UTF-8 TOML" in res.stderr


def test_a_redirect_to_another_port_of_the_same_host_is_not_followed() -> None:
    import asyncio

    import pytest

    from dailypapers.core.config import load_settings
    from dailypapers.core.errors import BadResponse
    from dailypapers.sources.net import Net

    from servers import FakeClock, LocalServer, Reply

    other = LocalServer(lambda path, query, body: Reply(200, b"secret"))
    port = other.url.rsplit(":", 1)[1]
    server = LocalServer(
        lambda path, query, body: Reply(302, b"", {"Location": f"http://127.0.0.1:{port}/x"})
    )

    async def go() -> None:
        async with Net(load_settings(), clock=FakeClock()) as net:
            await net.get("hf", f"{server.url}/api/daily_papers")

    try:
        with pytest.raises(BadResponse, match="redirects off the configured host"):
            asyncio.run(go())
    finally:
        server.close()
        other.close()


def test_a_page_cut_short_falls_back_and_is_read_again_next_run(recordings) -> None:
    """A page that ends before </html> (cut in transit) is not taken as the paper."""
    from servers import FIXTURES, Reply

    rec, _ = recordings
    page = (FIXTURES / "arxiv_html/2407.16314v1.html").read_bytes()
    rec.overrides["/html/2407.16314"] = [Reply(200, page[: len(page) // 2], {})]
    res = run_cli(["read", "2407.16314"])
    assert res.exit_code == 0, res.stderr
    assert "ends before </html>: cut short" in res.stderr
    assert "source: abstract only" in res.stderr
    from dailypapers.core.errors import CutShort
    from dailypapers.run.read import is_transient

    assert is_transient(CutShort("cut"))  # read again on the next run
