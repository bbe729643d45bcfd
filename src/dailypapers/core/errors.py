"""Every error dailypapers raises on purpose, so the CLI can turn each into one line.

DailyPapersError                 base; `str(err)` is the one line shown to the user
├── UserError                    the user can fix it: bad input or configuration
│   ├── InvalidDate              a date, week or month that is not well formed
│   ├── ConfigError              missing key, bad option, unreadable config file
│   └── NotInArchive             `show` asked for something never analysed
├── StorageError                 this machine's side: the archive, the disk, the folders
│   ├── ArchiveUnusable          the archive is read-only or corrupt (how to recover)
│   ├── DiskFull                 no space left where we write
│   └── NotWritable              the data folder or output file cannot be written
├── Interrupted                  Ctrl-C or SIGTERM; what finished is saved
├── FetchError                   a service could not give us what we asked (url, status)
│   ├── NotFound                 404: unknown arXiv id, no such day
│   │   └── NoHTML               arXiv has no HTML rendering of this paper
│   ├── FutureDate               HF answers 400 for a day it has not reached yet
│   ├── RateLimited              429/503 after every allowed retry (retry_after)
│   ├── ServiceUnreachable       connection refused, DNS failure, timeout
│   ├── BadResponse              a redirect loop or off-host redirect, an oversize body
│   └── CutShort                 a page that ends before its end (read again next run)
├── ParseError                   a page or PDF we could not turn into a document
│   ├── ConversionFailed         arXiv served HTML, but it is conversion errors, not the paper
│   └── OverBudget               a paper took more CPU time or memory than one paper may
├── WorkerCrashed                the process reading or checking a paper died on it, every try
├── DeliveryFailed               a channel refused a message, or could not be reached (channel)
│   └── DeliveryUnconfirmed      it went out, no answer came: it may have arrived (Unconfirmed)
├── NothingToSend                no papers, nothing new, or the day still open (exit 7)
└── LLMError                     the language model did not give a usable analysis
    ├── LLMUnavailable           stops the run: unreachable, refusing us (auth, quota, model
    │                            not found), or not the chat API at all (an HTML page)
    ├── ContextTooLong           the prompt exceeds the server's context (limit, prompt_tokens)
    └── LLMOutputError           answer invalid even after the repair round (reason)

Exit codes of the CLI (`exit_code` of each class): 0 done; 1 the run failed; 2 a usage
error; 3 the report was written but some papers failed; 4 the archive is unusable; 5 the
disk is full; 6 a folder or file cannot be written; 7 nothing to send; 130 interrupted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dailypapers.core.models import Call


class DailyPapersError(Exception):
    """Base class; carries optional context shown in the one-line message."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        paper_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.paper_id = paper_id

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Whole across processes (a parse fails in a worker): message and context."""
        return (type(self), (self.message,), self.__dict__)


class UserError(DailyPapersError):
    exit_code = 2


class InvalidDate(UserError):
    pass


class ConfigError(UserError):
    pass


class NotInArchive(UserError):
    pass


class StorageError(DailyPapersError):
    pass


class ArchiveUnusable(StorageError):
    exit_code = 4


class DiskFull(StorageError):
    exit_code = 5


class NotWritable(StorageError):
    exit_code = 6


class Interrupted(DailyPapersError):
    exit_code = 130


class FetchError(DailyPapersError):
    pass


class NotFound(FetchError):
    pass


class NoHTML(NotFound):
    pass


class FutureDate(FetchError):
    pass


class RateLimited(FetchError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServiceUnreachable(FetchError):
    pass


class BadResponse(FetchError):
    pass


class CutShort(FetchError):
    """A page that ends before its end: cut in transit, so read again on the next run."""


class ParseError(DailyPapersError):
    pass


class ConversionFailed(ParseError):
    pass


class WorkerCrashed(DailyPapersError):
    pass


class OverBudget(ParseError):
    """Reading or checking a paper took more CPU time or memory than one paper may."""


class Unconfirmed(DailyPapersError):
    """A message went out but no answer came back: it may have arrived, so it is not sent
    again by itself."""


class DeliveryFailed(DailyPapersError):
    pass


class DeliveryUnconfirmed(DeliveryFailed, Unconfirmed):
    pass


class NothingToSend(DailyPapersError):
    """Not a failure of ours, but never silent: cron mails what a job says when it exits
    non-zero."""

    exit_code = 7


class LLMError(DailyPapersError):
    """`calls` holds the requests made before it failed, so their cost is still recorded."""

    def __init__(self, message: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.calls: list[Call] = []


class LLMUnavailable(LLMError):
    pass


class ContextTooLong(LLMError):
    """What the server said of its context: its limit and our prompt's size, when stated."""

    def __init__(
        self,
        message: str,
        *,
        limit: int | None = None,
        prompt_tokens: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.limit = limit
        self.prompt_tokens = prompt_tokens


class LLMOutputError(LLMError):
    pass


EXIT_PARTIAL = 3  # not an error: the report is written, and it lists the failed papers
