"""Settings, resolved once per run: CLI options over environment over config file over defaults.

The config file is `$DAILYPAPERS_HOME/config.toml` with the same keys as the fields below,
and a table for each section (`[name]`, or `[name.KEY]` for named ones, see `Section`). One
typed model; the README's table is generated from it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticUndefined

from dailypapers.core.errors import ConfigError
from dailypapers.core.kinds import Lang, Policy

ENV_HOME = "DAILYPAPERS_HOME"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


def default_workers() -> int:
    """One core for the event loop, the others (at most 4) for reading and checking."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def setting(
    default: Any, env: str, description: str, shown: str | None = None, **rules: Any
) -> Any:
    """A field with its environment variable and its description: the one place each is
    written (the README's configuration table is generated from them)."""
    return Field(
        default, description=description, json_schema_extra={"env": env, "shown": shown}, **rules
    )


class Section(BaseModel):
    """A table of config.toml: `[name]` for a field of the settings typed as a section, and
    `[name.KEY]`, as many as wanted, for a field typed `dict[str, <section>]` (delivery
    channels, reader profiles). Its fields are declared with `setting` like the top level's;
    a key it does not know is refused."""

    model_config = ConfigDict(extra="forbid")


ChannelKind = Literal["email", "feishu", "dingtalk", "wecom", "slack", "discord", "telegram"]


class Channel(Section):
    """Where a report is delivered: `[deliver.NAME]` in config.toml. A secret is written
    there or, better, named by the environment variable that holds it (`*_env`); never on
    the command line."""

    kind: ChannelKind = setting(
        ..., "", "email, feishu, dingtalk, wecom, slack, discord or telegram"
    )
    url: str | None = setting(None, "", "the webhook's URL (Telegram: the bot's API URL)")
    url_env: str | None = setting(None, "", "or the variable holding it")
    secret: str | None = setting(None, "", "Feishu's or DingTalk's signing secret")
    secret_env: str | None = setting(None, "", "or the variable holding it")
    chat_id: str | None = setting(None, "", "Telegram: the chat to post in")
    approve: bool = setting(False, "", "hold every message until `dailypapers approve`")
    smtp_host: str | None = setting(None, "", "email: the SMTP server")
    smtp_port: int | None = setting(None, "", "email: its port (default 587, 465 with ssl)")
    security: Literal["starttls", "ssl", "none"] = setting(
        "starttls", "", "email: starttls, ssl or none"
    )
    username: str | None = setting(None, "", "email: the login")
    password_env: str | None = setting(None, "", "email: the variable holding an app password")
    oauth_token_env: str | None = setting(
        None, "", "email: the variable holding an OAuth2 access token (XOAUTH2)"
    )
    sender: str | None = setting(None, "", "email: From (default: the login)")
    to: list[str] = setting([], "", "email: the recipients")

    def value(self, name: str) -> str | None:
        """A field given directly or through the variable named by `<name>_env`."""
        direct = getattr(self, name, None)
        var = getattr(self, f"{name}_env", None)
        return direct or (os.environ.get(var) if var else None) or None


class Settings(BaseModel):
    home: Path
    hf_endpoint: str = setting(
        "https://huggingface.co", "HF_ENDPOINT", "Hugging Face (or a mirror such as hf-mirror.com)"
    )
    arxiv_url: str = setting("https://arxiv.org", "DAILYPAPERS_ARXIV_URL", "arXiv HTML and PDF")
    arxiv_api_url: str = setting(
        "https://export.arxiv.org/api/query", "DAILYPAPERS_ARXIV_API_URL", "arXiv export API"
    )
    contact: str = setting(
        "https://github.com/dailypapers/dailypapers",
        "DAILYPAPERS_CONTACT",
        "contact put in the User-Agent (arXiv asks for one)",
        shown="project URL",
    )
    arxiv_delay: float = setting(
        1.0, "DAILYPAPERS_ARXIV_DELAY", "seconds between requests to arXiv pages and PDFs", ge=0
    )
    arxiv_api_delay: float = setting(
        3.0,
        "DAILYPAPERS_ARXIV_API_DELAY",
        "seconds between arXiv API requests (arXiv asks 3)",
        ge=0,
    )
    hf_delay: float = setting(
        0.6, "DAILYPAPERS_HF_DELAY", "seconds between HF requests (500 per 5 minutes)", ge=0
    )
    http_timeout: float = setting(30.0, "DAILYPAPERS_HTTP_TIMEOUT", "HTTP timeout, seconds", gt=0)
    http_retries: int = setting(
        3, "DAILYPAPERS_HTTP_RETRIES", "retries of a failed HTTP request", ge=0, le=20
    )
    max_retry_after: float = setting(
        120.0, "DAILYPAPERS_MAX_RETRY_AFTER", "longest `Retry-After` we wait, seconds", ge=0
    )
    openai_base_url: str | None = setting(
        None, "OPENAI_BASE_URL", "any OpenAI-compatible server", shown=f"`{DEFAULT_OPENAI_URL}`"
    )
    openai_api_key: str | None = setting(None, "OPENAI_API_KEY", "key (local servers need none)")
    model: str | None = setting(None, "DAILYPAPERS_MODEL", "model name", shown="`gpt-4o-mini`")
    temperature: float = setting(0.2, "DAILYPAPERS_TEMPERATURE", "LLM temperature", ge=0, le=2)
    max_output_tokens: int = setting(
        4096, "DAILYPAPERS_MAX_OUTPUT_TOKENS", "longest answer, tokens", ge=256
    )
    llm_timeout: float = setting(
        180.0, "DAILYPAPERS_LLM_TIMEOUT", "LLM request timeout, seconds", gt=0
    )
    llm_retries: int = setting(
        2, "DAILYPAPERS_LLM_RETRIES", "retries of a failed LLM request", ge=0, le=20
    )
    concurrency: int = setting(8, "DAILYPAPERS_CONCURRENCY", "LLM calls at once", ge=1, le=256)
    workers: int = setting(
        default_workers(),
        "DAILYPAPERS_WORKERS",
        "processes that read and check papers while the main one waits on the network; "
        "`0` does that in a thread of the main one",
        shown="CPU cores − 1 (1 to 4)",
        ge=0,
        le=32,
    )
    read_seconds: float = setting(
        120.0,
        "DAILYPAPERS_READ_SECONDS",
        "CPU seconds a worker may spend reading or checking one paper; `0`: no limit",
        ge=0,
    )
    read_memory_mb: int = setting(
        2048,
        "DAILYPAPERS_READ_MEMORY_MB",
        "memory a worker may use for one paper, MB (a decompression bomb stops there); `0`: "
        "no limit",
        ge=0,
    )
    max_input_tokens: int = setting(
        24000,
        "DAILYPAPERS_MAX_INPUT_TOKENS",
        "context budget per paper (fits a 32k model; lowered to what a server states)",
        ge=2000,
    )
    lang: Lang = setting("zh", "DAILYPAPERS_LANG", "report language: zh or en")
    unverified: Policy = setting(
        "retry",
        "DAILYPAPERS_UNVERIFIED",
        "unverified items: retry once then mark, or mark, drop, keep",
    )
    price_in: float | None = setting(
        None, "DAILYPAPERS_PRICE_IN", "USD per million input tokens, for the cost line", ge=0
    )
    price_out: float | None = setting(
        None, "DAILYPAPERS_PRICE_OUT", "USD per million output tokens, for the cost line", ge=0
    )
    hub_resources: bool = setting(
        True,
        "DAILYPAPERS_HUB_RESOURCES",
        "list the Hub's models, datasets and Spaces citing each paper (3 requests to Hugging "
        "Face per paper, once); `0` leaves them out",
        shown="`1`",
    )
    keep_sources: bool = setting(
        True,
        "DAILYPAPERS_KEEP_SOURCES",
        "keep every fetched page and PDF in the archive (~80 KB a paper, compressed); "
        "`0` records only their URLs",
        shown="`1`",
    )

    deliver: dict[str, Channel] = {}

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key)

    @property
    def llm_base_url(self) -> str:
        return (self.openai_base_url or DEFAULT_OPENAI_URL).rstrip("/")

    @property
    def llm_model(self) -> str:
        return self.model or "gpt-4o-mini"

    @property
    def user_agent(self) -> str:
        from dailypapers import __version__

        return f"dailypapers/{__version__} (+{self.contact})"

    @property
    def db_path(self) -> Path:
        return self.home / "dailypapers.db"


def section_of(annotation: Any) -> tuple[type[Section], bool] | None:
    """The section a field holds, and whether it holds named ones (a dict of them)."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation, False
    args = get_args(annotation)
    if get_origin(annotation) is dict and len(args) == 2 and section_of(args[1]):
        return args[1], True
    return None


def env_vars(model: type[BaseModel] = Settings, prefix: str = "") -> dict[str, str]:
    """Each setting's environment variable, by its dotted name (`lang`, `web.port`); the
    fields of named sections have none (their tables are the place)."""
    found: dict[str, str] = {}
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("env"):
            found[prefix + name] = str(extra["env"])
        held = section_of(field.annotation)
        if held and not held[1]:
            found.update(env_vars(held[0], f"{prefix}{name}."))
    return found


ENV = env_vars()


def configuration_table(model: type[BaseModel] = Settings) -> str:
    """The README's configuration table, made from the fields (a test keeps them equal)."""
    rows = [
        "| variable | default | meaning |",
        "|---|---|---|",
        f"| `{ENV_HOME}` | platform data dir (`~/.local/share/dailypapers`) | archive, reports, "
        "log |",
        *_rows(model, None),
        "| `DAILYPAPERS_DEBUG` | — | `1` shows tracebacks instead of one-line errors |",
    ]
    return "\n".join(rows) + "\n"


def _rows(model: type[BaseModel], table: str | None) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        held = section_of(field.annotation)
        if held:
            section, named = held
            rows += _rows(section, f"[{name}.NAME]" if named else f"[{name}]")
            continue
        extra = field.json_schema_extra
        if not isinstance(extra, dict):
            continue
        key = f"{table} {name}" if table else name
        variable = f"`{extra['env']}`" if extra.get("env") else f"`{key}`"
        if extra.get("env") and table:
            variable += f" (`{key}`)"
        default = "—" if field.default in (None, PydanticUndefined) else f"`{field.default}`"
        rows.append(f"| {variable} | {extra['shown'] or default} | {field.description} |")
    return rows


def default_home() -> Path:
    env = os.environ.get(ENV_HOME)
    return Path(env) if env else Path(platformdirs.user_data_dir("dailypapers"))


def load_settings(*, schema: type[Settings] = Settings, **overrides: Any) -> Settings:
    """Build the settings for this run; `overrides` are CLI options (None means not given).
    `schema` is the settings' model (a program embedding the library may extend it)."""
    home = Path(overrides.pop("home", None) or default_home())
    values: dict[str, Any] = {"home": home}
    values.update(_read_config_file(home / "config.toml", schema))
    env = env_vars(schema)
    for dotted, var in env.items():
        if os.environ.get(var):
            *tables, field = dotted.split(".")
            place = values
            for table in tables:
                place = place.setdefault(table, {})
            place[field] = os.environ[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    for field, allowed, what in (
        ("lang", ("zh", "en"), "language"),
        ("unverified", ("mark", "retry", "drop", "keep"), "--unverified policy"),
    ):
        if field in values and values[field] not in allowed:
            raise ConfigError(f"unknown {what} {values[field]!r}: use {', '.join(allowed)}")
    try:
        return schema(**values)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"invalid setting {field}: {err['msg']} (check {env.get(field, field)} or config.toml)"
        ) from None


def _read_config_file(path: Path, model: type[BaseModel]) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e} (it must be UTF-8 TOML)") from None
    unknown = set(data) - set(model.model_fields)
    if unknown:
        raise ConfigError(f"unknown keys in {path}: {', '.join(sorted(unknown))}")
    return data
