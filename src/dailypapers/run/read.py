"""Reading a paper, in the order that gives the best text: arXiv's HTML, then the PDF, then
the abstract (with the export API's metadata when it answered). Fetching is the sources'
work and parsing the readers'; this is where the two meet, a failure of either moving on to
the next source with its reason."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dailypapers.core.errors import (
    CutShort,
    DailyPapersError,
    FetchError,
    ParseError,
    RateLimited,
    ServiceUnreachable,
    WorkerCrashed,
)
from dailypapers.core.models import Author, Document, Paper
from dailypapers.core.workers import Workers
from dailypapers.reading.html.parse import parse_html
from dailypapers.reading.pdf.parse import parse_pdf
from dailypapers.sources.arxiv import ArxivMeta, fetch_html, fetch_pdf, version_from_url
from dailypapers.sources.net import Net


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
    if b"</html>" not in page[-4096:].lower():  # LaTeXML's pages end so: this one was cut
        raise CutShort(f"the HTML of {arxiv_id} ends before </html>: cut short", url=url)
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
    if isinstance(e, ServiceUnreachable | RateLimited | WorkerCrashed | CutShort):
        return True  # (a worker may be killed from outside: by the OOM killer)
    return (
        isinstance(e, FetchError)
        and e.status is not None
        and (e.status >= 500 or e.status in (408, 429))
    )


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
