"""A digest as each chat platform takes it: its markup with its own escaping (paper text is
hostile: no mention, no link or formatting it did not ask for), its size limit, and the day
split into numbered messages at paper boundaries, never inside a paper (a paper too long for
one message loses its results, then its contribution's tail, in that message).

    platform   format                        limit per message
    feishu     interactive card, a panel     30 KB of card JSON
               per paper
    dingtalk   markdown                      5,000 characters
    wecom      markdown_v2                   4,096 bytes
    slack      blocks (a section a paper)    50 blocks, 3,000 characters a section
    discord    content                       2,000 characters
    telegram   MarkdownV2                    4,096 characters

Pure: `messages(kind, digest)` gives each message's payload and its text for `--dry-run`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dailypapers.deliver.digest import Digest, Item


@dataclass(frozen=True)
class Message:
    payload: dict[str, Any]
    text: str  # what it says, as a person reads it (`send --dry-run`)
    papers: tuple[str, ...]  # the ids it carries


@dataclass(frozen=True)
class Markup:
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]  # (text, url), both escaped already where needed
    size: Callable[[str], int] = len
    limit: int = 2000
    bullet: str = "• "


JOINER = "\u2060"  # invisible: keeps "@name" from mentioning and "x://y" from linking
_LINE_START = re.compile(r"^(\s*)(#|>|\+|-|\d+[.)])", re.M)  # a heading, quote or list


def _defused(text: str) -> str:
    """Paper text can name nobody and link nowhere: mentions and bare URLs are broken."""
    return text.replace("://", ":" + JOINER + "//").replace("@", "@" + JOINER)


def _backslash(chars: str, line_starts: bool = True) -> Callable[[str], str]:
    pattern = re.compile("([" + re.escape(chars) + "])")

    def escape(text: str) -> str:
        text = pattern.sub(r"\\\1", _defused(text))
        return _LINE_START.sub(r"\1\\\2", text) if line_starts else text

    return escape


_MD = _backslash("\\`*_[]|~<>")  # inside a line; and what starts a heading, quote or list
_DISCORD = _backslash("\\*_~`|[]<")
_TELEGRAM = _backslash("\\_*[]()~`>#+-=|{}.!", line_starts=False)  # all, everywhere
_SLACK_MARKS = str.maketrans({"*": "∗", "_": "＿", "~": "∼", "`": "ˋ"})  # no escape in Slack


def _slack(text: str) -> str:
    text = _defused(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_SLACK_MARKS)


def _safe_url(url: str) -> str:
    """Only http(s) links become links, without the characters markup would end them at."""
    return url if re.match(r"https?://[^\s<>()\[\]|\"'\\]+$", url) else ""


MARKUP: dict[str, Markup] = {
    "dingtalk": Markup(_MD, lambda s: f"**{s}**", lambda s, u: f"[{s}]({u})", limit=5000),
    "wecom": Markup(
        _MD,
        lambda s: f"**{s}**",
        lambda s, u: f"[{s}]({u})",
        size=lambda s: len(s.encode()),
        limit=4096,
    ),
    "discord": Markup(_DISCORD, lambda s: f"**{s}**", lambda s, u: f"[{s}](<{u}>)", limit=2000),
    "telegram": Markup(_TELEGRAM, lambda s: f"*{s}*", lambda s, u: f"[{s}]({u})", limit=4096),
    "slack": Markup(_slack, lambda s: f"*{s}*", lambda s, u: f"<{u}|{s}>", limit=3000),
    "feishu": Markup(
        _MD,
        lambda s: f"**{s}**",
        lambda s, u: f"[{s}]({u})",
        size=lambda s: len(s.encode()),
        limit=8_000,  # the overview's share of a card; the card is measured whole
    ),
}


def overview_text(d: Digest, m: Markup, room: int | None = None) -> str:
    """The day at a glance within `room`: must-reads, then the "seen before" names, then the
    paragraph and the themes give way, whole lines, never a cut through markup."""
    t, e = d.t, m.escape
    title = [m.bold(e(d.title))]
    paragraph = [e(d.paragraph)] if d.paragraph else []
    themes = []
    if d.themes:
        names = " · ".join(f"{e(name)} {n}" for name, n in d.themes)
        themes = [f"{m.bold(e(t['themes']))}{e(t['colon'])}{names}"]
    must = [
        f"{i}{e('.')} {_title(x, m)} ▲ {x.upvotes} — {e(x.contribution)}"
        for i, x in enumerate(d.must_reads, 1)
    ]
    seen = []
    if d.seen:
        old = ", ".join(e(f"{title} ({when})") for _, title, when in d.seen)
        seen = [f"{e(t['seen_before'])}{e(t['colon'])}{old}"]
    source = [m.link(e(t["page_source"]), d.source_url)] if _safe_url(d.source_url) else []

    def joined() -> str:
        head = [m.bold(e(t["must_reads"]))] if must else []
        return "\n".join(title + paragraph + themes + head + must + seen + source)

    room = room or m.limit
    while m.size(joined()) > room and must:
        must.pop()
    if m.size(joined()) > room and seen:
        seen = [f"{e(t['seen_before'])}{e(t['colon'])}{len(d.seen)}"]
    for part in (paragraph, themes, seen, source):
        if m.size(joined()) > room:
            part.clear()
    return joined()


def _title(x: Item, m: Markup) -> str:
    url = _safe_url(x.url)
    return m.link(m.escape(x.title), url) if url else m.escape(x.title)


def item_text(x: Item, m: Markup, results: int | None = None, cut: int | None = None) -> str:
    """A paper's block; fewer results and a shorter contribution when it must fit."""
    e = m.escape
    contribution = x.contribution if cut is None else x.contribution[:cut].rstrip() + "…"
    lines = [f"{m.bold(_title(x, m))} ▲ {x.upvotes}", e(contribution)]
    lines += [f"{m.bullet}{e(r)}" for r in x.results[:results]]
    code = _safe_url(x.code or "")
    if code:
        lines.append(m.link(e(repository(code)), code))
    return "\n".join(lines)


def repository(url: str) -> str:
    """A code link's text: the repository's owner/name."""
    return url.split("://", 1)[-1].removeprefix("github.com/").rstrip("/")


def fitted(x: Item, m: Markup, room: int) -> str:
    """The paper's block within `room`: its results dropped, then its contribution cut."""
    for results in range(len(x.results), -1, -1):
        text = item_text(x, m, results)
        if m.size(text) <= room:
            return text
    cut = len(x.contribution)
    while cut > 20:
        cut = int(cut * 0.8)
        text = item_text(x, m, 0, cut)
        if m.size(text) <= room:
            return text
    return m.bold(m.escape(x.id))  # a title longer than a message: the id alone


NUMBER_ROOM = 16  # "(12/34) " before a message's first line


def pack(blocks: list[tuple[str, tuple[str, ...]]], m: Markup) -> list[tuple[str, tuple[str, ...]]]:
    """Blocks (text, paper ids) gathered into messages under the limit, in order, numbered
    when there is more than one."""
    out: list[tuple[list[str], list[str]]] = []
    room = m.limit - NUMBER_ROOM
    for text, ids in blocks:
        if out and m.size("\n\n".join([*out[-1][0], text])) <= room:
            out[-1][0].append(text)
            out[-1][1].extend(ids)
        else:
            out.append(([text], list(ids)))
    if len(out) == 1:
        return [("\n\n".join(out[0][0]), tuple(out[0][1]))]
    return [
        (m.escape(f"({n}/{len(out)}) ") + "\n\n".join(texts), tuple(ids))
        for n, (texts, ids) in enumerate(out, 1)
    ]


def text_messages(d: Digest, m: Markup) -> list[tuple[str, tuple[str, ...]]]:
    room = m.limit - NUMBER_ROOM
    head = overview_text(d, m, room)
    blocks: list[tuple[str, tuple[str, ...]]] = [(head, ())]
    blocks += [(fitted(x, m, room), (x.id,)) for x in d.papers]
    return pack(blocks, m)


def messages(kind: str, d: Digest, chat_id: str | None = None) -> list[Message]:
    """The messages for a platform, in the order they are sent."""
    if kind == "slack":
        return _slack_messages(d)
    if kind == "feishu":
        return _feishu_messages(d)
    m = MARKUP[kind]
    out = []
    for text, ids in text_messages(d, m):
        if kind == "dingtalk":
            title = d.title[:60]
            payload: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": title, "text": text},
            }
        elif kind == "wecom":
            payload = {"msgtype": "markdown_v2", "markdown_v2": {"content": text}}
        elif kind == "discord":
            payload = {"content": text, "allowed_mentions": {"parse": []}, "flags": 4}
        else:  # telegram
            payload = {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": "MarkdownV2",
                "link_preview_options": {"is_disabled": True},
            }
        out.append(Message(payload, text, ids))
    return out


SLACK_BLOCKS = 50


def _slack_messages(d: Digest) -> list[Message]:
    m = MARKUP["slack"]
    blocks: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        (_section(overview_text(d, m, 3000)), ())
    ]
    for x in d.papers:
        block = _section(fitted(x, m, 3000))
        if x.figure and _safe_url(x.figure):
            block["accessory"] = {"type": "image", "image_url": x.figure, "alt_text": x.title[:200]}
        blocks.append((block, (x.id,)))
    chunks = [blocks[i : i + SLACK_BLOCKS - 1] for i in range(0, len(blocks), SLACK_BLOCKS - 1)]
    out = []
    for n, chunk in enumerate(chunks, 1):
        head = d.title + (f" ({n}/{len(chunks)})" if len(chunks) > 1 else "")
        body = [b for b, _ in chunk]
        if len(chunks) > 1:
            body = [
                {"type": "context", "elements": [{"type": "mrkdwn", "text": _slack(head)}]},
                *body,
            ]
        ids = tuple(i for _, group in chunk for i in group)
        text = "\n\n".join(b["text"]["text"] for b, _ in chunk)
        out.append(Message({"text": head, "blocks": body}, text, ids))
    return out


def _section(text: str) -> dict[str, Any]:
    """`verbatim`: Slack links and mentions nothing of its own accord."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


FEISHU_BYTES = 28_000  # of the card's JSON; Feishu takes 30 KB


def _feishu_messages(d: Digest) -> list[Message]:
    m = MARKUP["feishu"]
    head = {"tag": "markdown", "content": overview_text(d, m)}
    panels = [(_panel(x, m), x.id) for x in d.papers]
    cards: list[tuple[list[dict[str, Any]], list[str]]] = [([head], [])]
    for panel, pid in panels:
        trial = _card(d.title, [*cards[-1][0], panel])
        if len(json.dumps(trial, ensure_ascii=False).encode()) > FEISHU_BYTES:
            cards.append(([], []))  # a card's room: the overview (8 KB) leaves a panel room
        cards[-1][0].append(panel)
        cards[-1][1].append(pid)
    out = []
    for n, (elements, ids) in enumerate(cards, 1):
        title = d.title + (f" ({n}/{len(cards)})" if len(cards) > 1 else "")
        card = _card(title, elements)
        text = "\n\n".join(_panel_text(e) for e in elements)
        out.append(Message({"msg_type": "interactive", "card": card}, text, tuple(ids)))
    return out


def _card(title: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema": "2.0",
        "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
        "body": {"elements": elements},
    }


def _panel(x: Item, m: Markup) -> dict[str, Any]:
    return {
        "tag": "collapsible_panel",
        "expanded": False,
        "header": {
            "title": {"tag": "markdown", "content": f"**{m.escape(x.title)}** ▲ {x.upvotes}"}
        },
        "elements": [{"tag": "markdown", "content": fitted(x, m, 4000)}],
    }


def _panel_text(element: dict[str, Any]) -> str:
    if element["tag"] == "markdown":
        return str(element["content"])
    return str(element["elements"][0]["content"])
