"""arXiv at the edge: the HTML rendering, the PDF and the export API, and the order in which
we try them for a paper: HTML, then PDF, then the abstract (with API metadata when reachable)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from pydantic import BaseModel

from dailypapers.core.errors import (
    DailyPapersError,
    FetchError,
    NoHTML,
    NotFound,
    ParseError,
    RateLimited,
    ServiceUnreachable,
)
from dailypapers.core.ids import split_version, valid_id
from dailypapers.core.models import Author, Document, Paper
from dailypapers.core.workers import Workers
from dailypapers.reading.html import LIBXML, parse_html
from dailypapers.reading.pdf.parse import parse_pdf
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
        raw_id = (entry.findtext("a:id", "", ATOM)).rsplit("/abs/", 1)[-1]
        if not raw_id or entry.find("a:title", ATOM) is None:
            continue  # the API reports unknown ids as an entry titled "Error"
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


def paper_by_id(arxiv_id: str, meta: ArxivMeta | None) -> Paper:
    """A paper asked for by id rather than listed: what the export API says of it."""
    return Paper(
        id=arxiv_id,
        title=meta.title if meta else arxiv_id,
        abstract=meta.summary if meta else "",
        authors=meta.authors if meta else [],
    )


def abstract_document(paper: Paper, meta: ArxivMeta | None) -> Document:
    """The last resort: what the listing and the API say about the paper."""
    abstract = paper.abstract or (meta.summary if meta else "")
    return Document(
        arxiv_id=paper.id,
        version=meta.version if meta else None,
        source="abstract",
        url=f"https://arxiv.org/abs/{paper.id}",
        title=paper.title,
        authors=[Author(name=a) for a in (paper.authors or (meta.authors if meta else []))],
        abstract=abstract,
        links=[u for u in (paper.github_repo, paper.project_page) if u] + comment_links(meta),
        categories=meta.categories if meta else [],
        primary_category=meta.primary_category if meta else None,
        comment=meta.comment if meta else None,
    )


@dataclass
class Reading:
    """A paper as read: the document, why better sources failed, and every body we got.

    `transient` says a better source failed for a reason that may pass (a timeout, a
    connection error, 429 or 5xx), so a later run tries it again."""

    doc: Document
    fallbacks: list[str] = field(default_factory=list)
    fetched: list[tuple[str, str, bytes]] = field(default_factory=list)  # (kind, url, body)
    transient: bool = False


async def read_paper(
    net: Net, paper: Paper, meta: ArxivMeta | None, workers: Workers | None = None
) -> Reading:
    """The best text we can get for a paper: HTML, then PDF, then the abstract.

    `meta` comes from one batched API request for the whole day. Any failure of a source,
    whatever its kind, moves on to the next one with the reason recorded. Parsing runs in a
    worker (a thread without one) so a 40-page PDF does not stall the other papers."""
    workers = workers or Workers(0)
    reading = Reading(abstract_document(paper, meta))
    for kind, fetch, parse in (("html", fetch_html, _parse_html), ("pdf", fetch_pdf, _parse_pdf)):
        try:
            body, url = await fetch(net, paper.id)
            reading.fetched.append((kind, url, body))
            doc = await workers.run(parse, body, paper.id, url, meta)
        except Exception as e:  # every failure falls back to the next source, with its reason
            reading.fallbacks.append(f"{kind}: {_reason(e)}")
            reading.transient = reading.transient or is_transient(e)
            continue
        reading.doc = _with_meta(doc, meta)
        return reading
    if not reading.doc.abstract:
        raise ParseError(
            f"nothing to read for {paper.id}: " + "; ".join(reading.fallbacks), paper_id=paper.id
        )
    return reading


def _parse_html(page: bytes, arxiv_id: str, url: str, meta: ArxivMeta | None) -> Document:
    doc = parse_html(page, arxiv_id=arxiv_id, url=url)
    if not doc.version:  # arXiv redirects /html/<id> to /html/<id>vN
        doc.version = version_from_url(url)
    return doc


def _parse_pdf(data: bytes, arxiv_id: str, url: str, meta: ArxivMeta | None) -> Document:
    version = (meta.version if meta else None) or version_from_url(url)
    return parse_pdf(data, arxiv_id=arxiv_id, url=url, version=version)


def _reason(e: Exception) -> str:
    if isinstance(e, DailyPapersError):
        return str(e)
    return f"could not be read ({type(e).__name__}: {str(e)[:200]})"


def is_transient(e: Exception) -> bool:
    """A failure that may pass by the next run: unreachable, rate-limited, a server error."""
    if isinstance(e, ServiceUnreachable | RateLimited):
        return True
    return (
        isinstance(e, FetchError)
        and e.status is not None
        and (e.status >= 500 or e.status in (408, 429))
    )


async def try_meta(net: Net, ids: list[str]) -> dict[str, ArxivMeta]:
    """API metadata is a nicety (categories, comment, version): never fail a run over it."""
    try:
        return await fetch_meta(net, ids)
    except (FetchError, ParseError):
        return {}


def _with_meta(doc: Document, meta: ArxivMeta | None) -> Document:
    if meta is None:
        return doc
    return doc.model_copy(
        update={
            "categories": meta.categories,
            "primary_category": meta.primary_category,
            "comment": meta.comment,
            "title": doc.title if doc.source == "html" else (meta.title or doc.title),
            "abstract": doc.abstract or meta.summary,
            "version": doc.version or meta.version,
            "links": list(dict.fromkeys(doc.links + comment_links(meta))),
        }
    )


def comment_links(meta: ArxivMeta | None) -> list[str]:
    """The author's comment often carries the code URL ("Code: https://github.com/...")."""
    if meta is None or not meta.comment:
        return []
    return [u.rstrip(".,;)") for u in re.findall(r"https?://\S+", meta.comment)]
