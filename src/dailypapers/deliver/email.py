"""The report by email: the HTML report as the body (the day at a glance first), the
Markdown as its plain-text alternative and as an attachment; sent through the channel's SMTP
server with STARTTLS, SSL or neither, logging in with an app password or, where password
login is off, an OAuth2 access token (XOAUTH2). smtplib blocks: it runs in a thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dailypapers.core.config import Channel
from dailypapers.core.errors import DeliveryFailed, DeliveryUnconfirmed
from dailypapers.report.models import Report
from dailypapers.report.render import render

TIMEOUT = 60.0


def email_message(report: Report, name: str, channel: Channel, title: str) -> EmailMessage:
    sender = channel.sender or channel.username
    if not (channel.smtp_host and channel.to and sender):
        raise DeliveryFailed(
            f"email channel {name} needs smtp_host, to and sender (or username) in "
            f"[deliver.{name}] of config.toml"
        )
    msg = EmailMessage()
    msg["Subject"] = title
    msg["From"] = sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="dailypapers")
    markdown = render(report, "md")
    msg.set_content(markdown)
    msg.add_alternative(render(report, "html"), subtype="html")
    msg.add_attachment(
        markdown.encode(),
        maintype="text",
        subtype="markdown",
        filename=report.file_name("md"),
    )
    return msg


async def send_email(name: str, channel: Channel, message: str) -> list[str]:
    """The recipients the server refused (the others have the message)."""
    return await asyncio.to_thread(_send, name, channel, message)


def _send(name: str, channel: Channel, message: str) -> list[str]:
    host = channel.smtp_host or ""
    port = channel.smtp_port or (465 if channel.security == "ssl" else 587)
    context = ssl.create_default_context()
    try:
        if channel.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=context)
            _login(smtp, name, channel, f"{host}:{port}")
            mail = _parsed(message)
            del mail["Date"]
            mail["Date"] = formatdate(localtime=False)  # when it is sent (approval may wait)
            try:
                refused = smtp.send_message(mail)
            except (smtplib.SMTPServerDisconnected, TimeoutError) as e:
                raise DeliveryUnconfirmed(
                    f"{host}:{port} did not confirm channel {name}'s email ({e}); it may have "
                    "arrived: not sent again by itself"
                ) from None
            return [
                f"{who} ({code} {said.decode(errors='replace')[:80]})"
                for who, (code, said) in refused.items()
            ]
    except DeliveryFailed:
        raise
    except smtplib.SMTPNotSupportedError:
        raise DeliveryFailed(
            f"the SMTP server {host}:{port} of channel {name} does not offer STARTTLS: set "
            f'security = "ssl" (port 465) or "none" in [deliver.{name}]'
        ) from None
    except (smtplib.SMTPException, OSError) as e:
        raise DeliveryFailed(
            f"cannot send channel {name}'s email through {host}:{port}: {e}"
        ) from None


def _login(smtp: smtplib.SMTP, name: str, channel: Channel, where: str) -> None:
    token, password = channel.value("oauth_token"), channel.value("password")
    user = channel.username
    if not user or not (token or password):
        return  # a relay that takes mail without a login
    local = where.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "::1")
    if channel.security == "none" and not local:
        raise DeliveryFailed(
            f"channel {name} would send its login to {where} in clear text: set security = "
            f'"starttls" or "ssl" in [deliver.{name}]'
        )
    try:
        if token:
            smtp.ehlo()
            first = f"user={user}\1auth=Bearer {token}\1\1"
            smtp.auth("XOAUTH2", lambda challenge=None: first if challenge is None else "")
        else:
            smtp.ehlo_or_helo_if_needed()
            if "plain" in smtp.esmtp_features.get("auth", "").lower():  # one try, not three
                smtp.user, smtp.password = user, password or ""
                smtp.auth("PLAIN", smtp.auth_plain)
            else:
                smtp.login(user, password or "")
    except smtplib.SMTPAuthenticationError as e:
        said = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else ""
        raise DeliveryFailed(
            f"the SMTP server {where} refused the login of {user} ({e.smtp_code} {said[:120]}): "
            "use an app password (password_env), or an OAuth2 access token (oauth_token_env) "
            "where the provider has turned password login off"
        ) from None


def _parsed(message: str) -> EmailMessage:
    from email import policy
    from email.parser import Parser

    parsed = Parser(policy=policy.default).parsestr(message)
    assert isinstance(parsed, EmailMessage)
    return parsed
