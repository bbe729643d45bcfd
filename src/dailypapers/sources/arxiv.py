"""arXiv at the edge: the HTML rendering, the PDF and the export API (the order in which they
are tried is run/read.py's)."""

from __future__ import annotations

import re

from lxml import etree
from pydantic import BaseModel

from dailypapers.core.errors import FetchError, NoHTML, NotFound, ParseError
from dailypapers.core.ids import split_version, valid_id
from dailypapers.core.libxml import LIBXML
from dailypapers.sources.net import Net, expect

ATOM = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
MAX_HTML_BYTES = 30 << 20  # arXiv's largest pages are a few MB; PDFs get the service's 60 MB


class ArxivMeta(BaseModel):
    id: str
    version: str | None = None
    title: str = ""
    summary: str = ""
    authors: list[str] = []
    categories: list[str] = []
    primary_category: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    published: str | None = None


def parse_atom(xml: bytes) -> list[ArxivMeta]:
    with LIBXML:  # papers are being parsed in other threads meanwhile
        return _parse_atom(xml)


def _parse_atom(xml: bytes) -> list[ArxivMeta]:
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError as e:
        raise ParseError(f"arXiv API answered malformed XML: {e}") from None
    out = []
    for entry in root.findall("a:entry", ATOM):
        raw_id = (entry.findtext("a:id", "", ATOM)).rsplit("/abs/", 1)[-1].strip()
        if not valid_id(raw_id) or entry.find("a:title", ATOM) is None:
            continue  # an unknown id comes as an entry titled "Error"; a broken one is skipped
        pid, version = split_version(raw_id)
        primary = entry.find("arxiv:primary_category", ATOM)
        doi = entry.findtext("arxiv:doi", None, ATOM)
        out.append(
            ArxivMeta(
                id=pid,
                version=version,
                title=_squash(entry.findtext("a:title", "", ATOM)),
                summary=_squash(entry.findtext("a:summary", "", ATOM)),
                authors=[
                    _squash(a.findtext("a:name", "", ATOM)) for a in entry.findall("a:author", ATOM)
                ],
                categories=[c.get("term", "") for c in entry.findall("a:category", ATOM)],
                primary_category=primary.get("term") if primary is not None else None,
                comment=_squash(entry.findtext("arxiv:comment", "", ATOM)) or None,
                journal_ref=_squash(entry.findtext("arxiv:journal_ref", "", ATOM)) or None,
                doi=doi,
                published=entry.findtext("a:published", None, ATOM),
            )
        )
    return out


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


async def fetch_meta(net: Net, ids: list[str]) -> dict[str, ArxivMeta]:
    """Export API metadata for many ids in one paced request."""
    ids = [i for i in ids if valid_id(i)]
    if not ids:
        return {}
    resp = await net.get(
        "arxiv_api", net.settings.arxiv_api_url, {"id_list": ",".join(ids), "max_results": len(ids)}
    )
    expect(resp, "arXiv API", missing=f"arXiv API not found at {resp.url}")
    return {m.id: m for m in parse_atom(resp.content)}


def checked(arxiv_id: str) -> str:
    """Only an arXiv id goes into a URL: `../../etc/passwd` is never requested."""
    if not valid_id(arxiv_id):
        raise NotFound(f"{arxiv_id[:60]!r} is not an arXiv id; not requested")
    return arxiv_id.strip()


async def fetch_html(net: Net, arxiv_id: str) -> tuple[bytes, str]:
    arxiv_id = checked(arxiv_id)
    url = f"{net.settings.arxiv_url.rstrip('/')}/html/{arxiv_id}"
    resp = await net.get("arxiv", url, max_bytes=MAX_HTML_BYTES)
    missing = f"arXiv has no HTML for {arxiv_id}"
    expect(resp, f"arXiv HTML of {arxiv_id}", missing=missing, not_found=NoHTML, paper_id=arxiv_id)
    return resp.content, str(resp.url)


async def fetch_pdf(net: Net, arxiv_id: str) -> tuple[bytes, str]:
    arxiv_id = checked(arxiv_id)
    url = f"{net.settings.arxiv_url.rstrip('/')}/pdf/{arxiv_id}"
    resp = await net.get("arxiv", url)
    missing = f"arXiv has no PDF for {arxiv_id}"
    expect(resp, f"arXiv PDF of {arxiv_id}", missing=missing, paper_id=arxiv_id)
    if not resp.content.startswith(b"%PDF"):
        raise FetchError(
            f"arXiv PDF of {arxiv_id} is not a PDF: "
            f"{resp.headers.get('content-type', 'no content type')}",
            url=url,
            status=resp.status_code,
            paper_id=arxiv_id,
        )
    return resp.content, str(resp.url)


def version_from_url(url: str) -> str | None:
    m = re.search(r"(v\d+)/?$", url)
    return m.group(1) if m else None


async def try_meta(net: Net, ids: list[str]) -> dict[str, ArxivMeta]:
    """API metadata is a nicety (categories, comment, version): never fail a run over it."""
    try:
        return await fetch_meta(net, ids)
    except (FetchError, ParseError):
        return {}
