"""Delivery, against local servers playing each platform (their signatures checked the way
the platform checks them) and a local SMTP server: each platform's own payload, a 50-paper
day split at paper boundaries within each limit, retries on 5xx and 429, nothing sent twice,
a paper sent with an earlier day not sent again, the approval gate, and never silent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from dailypapers.deliver.chat import MARKUP, messages
from dailypapers.deliver.digest import Digest, Item

from conftest import DAY, run_cli
from servers import LocalServer, Reply, big_day, json_reply

SECRET = "SEC-test-secret"
ANSWERS = {
    "feishu": {"code": 0, "msg": "success"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "telegram": {"ok": True, "result": {}},
}


class Platform:
    """A chat platform's webhook: checks the signature as the platform does, records what
    it accepted, and answers as the platform answers (`script`: replies to give first)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.received: list[dict] = []
        self.script: list[Reply] = []
        self.server = LocalServer(self.handle)

    @property
    def url(self) -> str:
        path = {"telegram": "/botTOKEN", "dingtalk": "/robot/send?access_token=KEY"}
        return self.server.url + path.get(self.kind, "/hook/KEY")

    def handle(self, path: str, query: dict, body: bytes) -> Reply:
        if self.script:
            return self.script.pop(0)
        payload = json.loads(body)
        if self.kind == "feishu":
            key = f"{payload['timestamp']}\n{SECRET}".encode()
            good = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if payload.get("sign") != good:
                return json_reply({"code": 19021, "msg": "sign match fail"})
        if self.kind == "dingtalk":
            stamp = query["timestamp"][0]
            mac = hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256)
            if query["sign"][0] != base64.b64encode(mac.digest()).decode():
                return json_reply({"errcode": 310000, "errmsg": "sign not match"})
        if self.kind == "telegram":
            assert path == "/botTOKEN/sendMessage"
        self.received.append(payload)
        if self.kind in ANSWERS:
            return json_reply(ANSWERS[self.kind])
        return Reply(
            204 if self.kind == "discord" else 200, b"" if self.kind == "discord" else b"ok"
        )

    def close(self) -> None:
        self.server.close()


def configure(home, **channels: dict) -> None:
    lines = []
    for name, fields in channels.items():
        lines.append(f"[deliver.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def platforms(clean_env):
    made = {
        kind: Platform(kind)
        for kind in ("feishu", "dingtalk", "wecom", "slack", "discord", "telegram")
    }
    configure(
        clean_env,
        **{
            kind: {"kind": kind, "url": p.url}
            | ({"secret_env": "HOOK_SECRET"} if kind in ("feishu", "dingtalk") else {})
            | ({"chat_id": "-100123"} if kind == "telegram" else {})
            for kind, p in made.items()
        },
    )
    yield made
    for p in made.values():
        p.close()


@pytest.fixture
def reported(recordings):
    """The recorded day's three most upvoted papers, archived without an LLM."""
    assert run_cli(["report", DAY, "--top", "3", "--no-llm", "-q", "-o", "-"]).exit_code == 0


def test_each_platform_gets_its_own_signed_payload(recordings, reported, platforms, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    for kind, platform in platforms.items():
        res = run_cli(["send", DAY, "--to", kind])
        assert res.exit_code == 0, (kind, res.output)
        parts = int(re.search(rf"sent {DAY} to {kind} \((\d+) messages?\)", res.stderr)[1])
        assert len(platform.received) == parts, kind
    feishu = platforms["feishu"].received[0]
    assert feishu["msg_type"] == "interactive" and feishu["card"]["schema"] == "2.0"
    panels = [e for e in feishu["card"]["body"]["elements"] if e["tag"] == "collapsible_panel"]
    assert len(panels) == 3 and all(p["expanded"] is False for p in panels)
    ding = platforms["dingtalk"].received[0]
    assert ding["msgtype"] == "markdown" and DAY in ding["markdown"]["title"]
    assert platforms["wecom"].received[0]["msgtype"] == "markdown_v2"
    slack = platforms["slack"].received[0]
    assert [b["type"] for b in slack["blocks"]] == ["section"] * 4
    discord = platforms["discord"].received[0]
    assert discord["allowed_mentions"] == {"parse": []} and len(discord["content"]) <= 2000
    telegram = platforms["telegram"].received[0]
    assert telegram["parse_mode"] == "MarkdownV2" and telegram["chat_id"] == "-100123"
    assert not re.search(r"(?<!\\)[.!()\-]", re.sub(r"\]\([^)]*\)", "", telegram["text"]))


def test_a_wrong_signature_is_one_line_naming_the_channel(
    recordings, reported, platforms, monkeypatch
):
    monkeypatch.setenv("HOOK_SECRET", "not the secret")
    res = run_cli(["send", DAY, "--to", "feishu"])
    assert res.exit_code == 1
    assert "feishu channel feishu refused the message: error 19021: sign match fail" in res.stderr
    assert "KEY" not in res.stderr  # the webhook's key is never shown


def busy_digest(n: int = 50) -> Digest:
    from dailypapers.report.labels import LABELS

    items = tuple(
        Item(
            id=f"2602.{10000 + i}",
            title=f"Paper {i}: a long title about [brackets] *stars* and @everyone",
            url=f"https://huggingface.co/papers/2602.{10000 + i}",
            upvotes=100 - i,
            contribution="提出了一种新的方法，" * 20,
            results=("在 GSM8K 上准确率提升 3.2 个百分点。" * 5, "推理速度约为基线的 2 倍。"),
            code="https://github.com/example/repo",
            figure=None,
        )
        for i in range(n)
    )
    return Digest(
        DAY,
        "day",
        "zh",
        f"Hugging Face 每日论文报告 · {DAY}",
        "https://huggingface.co/papers/date/2026-02-11",
        "今日论文涉及多个方向。",
        (("NLP", 30), ("其他", 20)),
        items[:5],
        items,
        (),
        LABELS["zh"],
    )


@pytest.mark.parametrize("kind", ["dingtalk", "wecom", "discord", "telegram", "slack", "feishu"])
def test_a_busy_day_is_split_at_paper_boundaries_within_each_limit(kind: str) -> None:
    d = busy_digest()
    sent = messages(kind, d, "-100123")
    assert len(sent) > 1
    ids = [pid for m in sent for pid in m.papers]
    assert ids == d.ids  # every paper once, in order, none cut in two messages
    for n, m in enumerate(sent, 1):
        if kind == "slack":
            assert len(m.payload["blocks"]) <= 50
            assert all(len(b["text"]["text"]) <= 3000 for b in m.payload["blocks"] if "text" in b)
        elif kind == "feishu":
            assert len(json.dumps(m.payload["card"], ensure_ascii=False).encode()) <= 30_000
        else:
            assert MARKUP[kind].size(m.text) <= MARKUP[kind].limit
            assert m.text.startswith(MARKUP[kind].escape(f"({n}/{len(sent)}) "))
    if kind == "discord":
        assert "@everyone" not in sent[0].text.replace("\\@", "")


def test_retries_on_5xx_and_429_then_nothing_twice(recordings, reported, platforms) -> None:
    slack = platforms["slack"]
    slack.script = [Reply(503, b"busy"), Reply(429, b"slow down", {"Retry-After": "7"})]
    assert run_cli(["send", DAY, "--to", "slack"]).exit_code == 0
    assert len(slack.received) == 1
    again = run_cli(["send", DAY, "--to", "slack"])
    assert again.exit_code == 0 and "was already sent" in again.stderr
    assert len(slack.received) == 1  # not twice
    assert run_cli(["send", DAY, "--to", "slack", "--resend"]).exit_code == 0
    assert len(slack.received) == 2


def test_a_too_frequent_code_is_waited_out(recordings, reported, platforms, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    ding = platforms["dingtalk"]
    ding.script = [json_reply({"errcode": 130101, "errmsg": "send too fast"})]
    assert run_cli(["send", DAY, "--to", "dingtalk"]).exit_code == 0
    assert len(ding.received) == 1


def test_a_paper_sent_with_an_earlier_day_is_not_sent_again(recordings, reported, platforms):
    rec, _ = recordings
    discord = platforms["discord"]
    assert run_cli(["send", DAY, "--to", "discord"]).exit_code == 0
    sent_first = len(discord.received)
    first = "".join(m["content"] for m in discord.received)
    shared = re.findall(r"huggingface\.co/papers/(\d{4}\.\d{5})>", first)[0]
    listing = {e["paper"]["id"]: e for e in rec.days[DAY]}
    rec.days["2026-02-13"] = [listing[shared], *big_day(1)]
    assert run_cli(["report", "2026-02-13", "--no-llm", "-q", "-o", "-"]).exit_code == 0
    assert run_cli(["send", "2026-02-13", "--to", "discord"]).exit_code == 0
    second = "".join(m["content"] for m in discord.received[sent_first:])
    assert f"papers/{shared}>" not in second and "2603.10000" in second
    assert "此前已发送" in second and "(2026-02-11)" in second
    sent_both = len(discord.received)
    rec.days["2026-02-14"] = [listing[shared]]
    assert run_cli(["report", "2026-02-14", "--no-llm", "-q", "-o", "-"]).exit_code == 0
    res = run_cli(["send", "2026-02-14", "--to", "discord"])
    assert res.exit_code == 7 and "nothing new" in res.stderr  # never silent
    assert len(discord.received) == sent_both


def test_the_approval_gate(recordings, reported, platforms, clean_env) -> None:
    wecom = platforms["wecom"]
    configure(clean_env, team={"kind": "wecom", "url": wecom.url, "approve": True})
    held = run_cli(["send", DAY, "--to", "team"])
    assert held.exit_code == 0 and "held for team" in held.stderr and not wecom.received
    preview = run_cli(["send", DAY, "--to", "team", "--dry-run"])
    assert preview.exit_code == 0 and "team · message 1/1" in preview.output
    assert not wecom.received
    approved = run_cli(["approve", DAY, "--to", "team"])
    assert approved.exit_code == 0 and len(wecom.received) == 1
    assert wecom.received[0]["markdown_v2"]["content"] in preview.output.replace("\n\n", "\n\n")
    assert run_cli(["approve", DAY, "--to", "team"]).exit_code == 1  # nothing held any more


def test_unknown_and_missing_channels_are_one_line(recordings, reported, clean_env) -> None:
    res = run_cli(["send", DAY, "--to", "nowhere"])
    assert res.exit_code == 2 and "no channel is configured" in res.stderr
    configure(clean_env, team={"kind": "slack", "url": "http://127.0.0.1:9/hook"})
    res = run_cli(["send", DAY, "--to", "nowhere"])
    assert res.exit_code == 2 and "unknown channel 'nowhere': config.toml has team" in res.stderr


def test_run_daily_reports_the_settled_day_and_is_safe_twice(recordings, platforms, clean_env):
    rec, _ = recordings
    today = datetime.now(UTC).date()
    day = (today - timedelta(days=1)).isoformat()
    rec.last_day = day
    rec.days[day] = big_day(3)
    slack = platforms["slack"]
    configure(clean_env, team={"kind": "slack", "url": slack.url})
    res = run_cli(["run-daily", "--no-llm"])
    assert res.exit_code == 0, res.output
    assert f"sent {day} to team" in res.stderr and len(slack.received) == 1
    assert (clean_env / "reports" / f"{day}.no-llm.zh.html").exists()
    again = run_cli(["run-daily", "--no-llm"])
    assert again.exit_code == 0 and "was already sent" in again.stderr
    assert len(slack.received) == 1


def test_run_daily_says_when_the_day_is_still_growing(recordings, platforms, clean_env) -> None:
    rec, _ = recordings
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    rec.last_day = day
    growing = big_day(40)

    class Growing(dict):  # a paper more at every look
        looks = 4

        def get(self, key, default=None):
            if key != day:
                return super().get(key, default)
            self.looks += 1
            return growing[: self.looks]

    rec.days = Growing(rec.days)
    configure(clean_env, team={"kind": "slack", "url": platforms["slack"].url})
    res = run_cli(["run-daily", "--no-llm", "--wait", "30", "--quiet-for", "10"])
    assert res.exit_code == 7 and f"the list of {day} is still growing" in res.stderr
    assert not platforms["slack"].received


class Mailbox:
    """A local SMTP server (aiosmtpd) that takes an app password or an XOAUTH2 token."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[bytes] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                outer.messages.append(envelope.content)
                return "250 OK"

            async def auth_XOAUTH2(self, server, args):  # noqa: N802
                said = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
                good = said == "user=me@example.com\1auth=Bearer TOKEN-1\1\1"
                return AuthResult(success=good, handled=False)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"app-pass"
            return AuthResult(success=ok, handled=False)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(  # a login without TLS: pyproject.toml quiets its warning
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=False,
            auth_required=True,
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.close()


def mail_channel(box: Mailbox, **more: str) -> dict:
    return {
        "kind": "email",
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "security": "none",
        "username": "me@example.com",
        "to": ["team@example.com", "lead@example.com"],
    } | more


def test_email_with_an_app_password_and_with_xoauth2(
    recordings, reported, mailbox, clean_env, monkeypatch
) -> None:
    from email import message_from_bytes, policy

    monkeypatch.setenv("MAIL_PASSWORD", "app-pass")
    monkeypatch.setenv("MAIL_TOKEN", "TOKEN-1")
    configure(
        clean_env,
        mail=mail_channel(mailbox, password_env="MAIL_PASSWORD"),
        oauth=mail_channel(mailbox, oauth_token_env="MAIL_TOKEN"),
    )
    for name in ("mail", "oauth"):
        res = run_cli(["send", DAY, "--to", name])
        assert res.exit_code == 0, res.output
    assert len(mailbox.messages) == 2
    mail = message_from_bytes(mailbox.messages[0], policy=policy.default)
    assert mail["To"] == "team@example.com, lead@example.com" and DAY in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    assert html.index("概览") < html.index("<article")  # the day at a glance first
    assert "## 📄" in mail.get_body(("plain",)).get_content()
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == f"{DAY}.no-llm.zh.md"


def test_a_refused_login_is_one_line_saying_what_to_change(
    recordings, reported, mailbox, clean_env, monkeypatch
) -> None:
    monkeypatch.setenv("MAIL_PASSWORD", "my usual password")
    configure(clean_env, mail=mail_channel(mailbox, password_env="MAIL_PASSWORD"))
    res = run_cli(["send", DAY, "--to", "mail"])
    assert res.exit_code == 1 and len(res.stderr.strip().splitlines()) == 1
    assert (
        f"the SMTP server 127.0.0.1:{mailbox.port} refused the login of me@example.com"
        in res.stderr
    )
    assert "app password" in res.stderr and not mailbox.messages


def test_an_empty_day_is_never_sent_silently(recordings, platforms) -> None:
    rec, _ = recordings
    rec.days["2026-02-15"] = []
    assert run_cli(["report", "2026-02-15", "--no-llm", "-q", "-o", "-"]).exit_code == 0
    res = run_cli(["send", "2026-02-15", "--to", "slack"])
    assert res.exit_code == 7 and "no papers were listed on 2026-02-15" in res.stderr
    res = run_cli(["report", "2026-02-15", "--no-llm", "-q", "--send", "slack"])
    assert res.exit_code == 7 and not platforms["slack"].received


def test_paper_text_cannot_mention_link_or_format(recordings) -> None:
    from dataclasses import replace

    evil = Item(
        id="2602.99999",
        title="*bold* @everyone [x](https://evil.example) `code`",
        url="https://huggingface.co/papers/2602.99999",
        upvotes=1,
        contribution="# Heading\n> quote https://evil.example/x @here",
        results=("- item",),
        code="https://github.com/a/b\\",
        figure=None,
    )
    d = replace(busy_digest(1), papers=(evil,), must_reads=(), seen=(("1", "Old (x)", DAY),))
    for kind in ("dingtalk", "wecom", "discord", "telegram", "slack", "feishu"):
        text = messages(kind, d, "1")[0].text
        assert "@everyone" not in text and "@here" not in text, kind
        assert "https://evil" not in text and "github.com/a/b" not in text, kind
        starts = r"^> " if kind == "slack" else r"^(#|>) "  # Slack has no headings
        assert not re.search(starts, text, re.M), kind
    telegram = messages("telegram", d, "1")[0].text
    assert "\\(x\\) \\(2026\\-02\\-11\\)" in telegram  # our own text escaped too


def test_a_message_without_an_answer_is_not_sent_again_by_itself(
    recordings, reported, platforms, monkeypatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_HTTP_TIMEOUT", "0.5")
    slack = platforms["slack"]
    slack.script = [Reply(200, b"ok", delay=1.5)]  # it arrives; the answer does not
    res = run_cli(["send", DAY, "--to", "slack"])
    assert res.exit_code == 1 and "it may have arrived" in res.stderr
    again = run_cli(["send", DAY, "--to", "slack"])
    assert again.exit_code == 1 and "--resend sends the day again" in again.stderr
    assert not slack.received  # the scripted reply took the first one
    assert run_cli(["send", DAY, "--to", "slack", "--resend"]).exit_code == 0
    assert len(slack.received) == 1


def test_papers_analysed_after_a_delivery_go_out_on_their_own(recordings, reported, platforms):
    discord = platforms["discord"]
    assert run_cli(["send", DAY, "--to", "discord"]).exit_code == 0
    before = len(discord.received)
    assert run_cli(["report", DAY, "--top", "5", "--no-llm", "-q", "-o", "-"]).exit_code == 0
    res = run_cli(["send", DAY, "--to", "discord"])
    assert res.exit_code == 0, res.output
    later = "".join(m["content"] for m in discord.received[before:])
    first = "".join(m["content"] for m in discord.received[:before])
    sent_before = set(re.findall(r"papers/(\d{4}\.\d{5})>", first))
    sent_now = set(re.findall(r"papers/(\d{4}\.\d{5})>", later))
    assert len(sent_now) == 2 and not sent_now & sent_before
    assert "was already sent" in run_cli(["send", DAY, "--to", "discord"]).stderr


def test_one_channels_failure_keeps_no_other_from_its_message(
    recordings, reported, platforms, monkeypatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "not the secret")  # feishu refuses, slack is fine
    res = run_cli(["send", DAY, "--to", "feishu", "--to", "slack", "--to", "dingtalk"])
    assert res.exit_code == 1
    assert f"sent {DAY} to slack" in res.stderr
    assert "feishu refused the message" in res.stderr and "dingtalk refused" in res.stderr
    assert len(platforms["slack"].received) == 1


def test_report_send_writes_the_report_and_delivers_it(recordings, platforms, clean_env) -> None:
    res = run_cli(["report", DAY, "--top", "2", "--no-llm", "-q", "--send", "slack"])
    assert res.exit_code == 0, res.output
    assert (clean_env / "reports" / f"{DAY}.no-llm.top2.zh.md").exists()
    assert len(platforms["slack"].received) == 1
    ids = re.findall(r"papers/(\d{4}\.\d{5})\|", json.dumps(platforms["slack"].received[0]))
    assert len(set(ids)) == 2
