"""Settings, resolved once per run: CLI options over environment over config file over defaults.

The config file is `$DAILYPAPERS_HOME/config.toml` with the same keys as the fields below."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, Field, ValidationError

from .errors import ConfigError
from .models import Lang, Policy

# field -> environment variable; HF_ENDPOINT and OPENAI_* are the names other tools use.
ENV = {
    "hf_endpoint": "HF_ENDPOINT",
    "arxiv_url": "DAILYPAPERS_ARXIV_URL",
    "arxiv_api_url": "DAILYPAPERS_ARXIV_API_URL",
    "contact": "DAILYPAPERS_CONTACT",
    "arxiv_delay": "DAILYPAPERS_ARXIV_DELAY",
    "arxiv_api_delay": "DAILYPAPERS_ARXIV_API_DELAY",
    "hf_delay": "DAILYPAPERS_HF_DELAY",
    "http_timeout": "DAILYPAPERS_HTTP_TIMEOUT",
    "http_retries": "DAILYPAPERS_HTTP_RETRIES",
    "max_retry_after": "DAILYPAPERS_MAX_RETRY_AFTER",
    "openai_base_url": "OPENAI_BASE_URL",
    "openai_api_key": "OPENAI_API_KEY",
    "model": "DAILYPAPERS_MODEL",
    "temperature": "DAILYPAPERS_TEMPERATURE",
    "max_output_tokens": "DAILYPAPERS_MAX_OUTPUT_TOKENS",
    "llm_timeout": "DAILYPAPERS_LLM_TIMEOUT",
    "llm_retries": "DAILYPAPERS_LLM_RETRIES",
    "concurrency": "DAILYPAPERS_CONCURRENCY",
    "max_input_tokens": "DAILYPAPERS_MAX_INPUT_TOKENS",
    "lang": "DAILYPAPERS_LANG",
    "unverified": "DAILYPAPERS_UNVERIFIED",
    "price_in": "DAILYPAPERS_PRICE_IN",
    "price_out": "DAILYPAPERS_PRICE_OUT",
    "keep_sources": "DAILYPAPERS_KEEP_SOURCES",
}
ENV_HOME = "DAILYPAPERS_HOME"
DEFAULT_OPENAI_URL = "https://api.openai.com/v1"


class Settings(BaseModel):
    home: Path
    hf_endpoint: str = "https://huggingface.co"
    arxiv_url: str = "https://arxiv.org"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    contact: str = "https://github.com/dailypapers/dailypapers"
    arxiv_delay: float = Field(1.0, ge=0)  # seconds between requests to arxiv.org pages and PDFs
    arxiv_api_delay: float = Field(3.0, ge=0)  # arXiv asks for one API request every 3 seconds
    hf_delay: float = Field(0.6, ge=0)  # 500 calls per 5 minutes anonymously
    http_timeout: float = Field(30.0, gt=0)
    http_retries: int = Field(3, ge=0, le=20)
    max_retry_after: float = Field(120.0, ge=0)
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    model: str | None = None
    temperature: float = Field(0.2, ge=0, le=2)
    max_output_tokens: int = Field(4096, ge=256)
    llm_timeout: float = Field(180.0, gt=0)
    llm_retries: int = Field(2, ge=0, le=20)
    concurrency: int = Field(8, ge=1, le=256)
    max_input_tokens: int = Field(24000, ge=2000, description="fits a 32k-context model")
    lang: Lang = "zh"
    unverified: Policy = "retry"
    price_in: float | None = Field(None, ge=0, description="USD per million input tokens")
    price_out: float | None = Field(None, ge=0)
    keep_sources: bool = True  # keep fetched pages and PDFs (~80 KB a paper, compressed)

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
        from . import __version__

        return f"dailypapers/{__version__} (+{self.contact})"

    @property
    def db_path(self) -> Path:
        return self.home / "dailypapers.db"


def default_home() -> Path:
    env = os.environ.get(ENV_HOME)
    return Path(env) if env else Path(platformdirs.user_data_dir("dailypapers"))


def load_settings(**overrides: Any) -> Settings:
    """Build the settings for this run; `overrides` are CLI options (None means not given)."""
    home = Path(overrides.pop("home", None) or default_home())
    values: dict[str, Any] = {"home": home}
    values.update(_read_config_file(home / "config.toml"))
    for field, var in ENV.items():
        if os.environ.get(var):
            values[field] = os.environ[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    for field, allowed, what in (
        ("lang", ("zh", "en"), "language"),
        ("unverified", ("mark", "retry", "drop", "keep"), "--unverified policy"),
    ):
        if field in values and values[field] not in allowed:
            raise ConfigError(f"unknown {what} {values[field]!r}: use {', '.join(allowed)}")
    try:
        return Settings(**values)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"invalid setting {field}: {err['msg']} (check {ENV.get(field, field)} or config.toml)"
        ) from None


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {e}") from None
    unknown = set(data) - set(Settings.model_fields)
    if unknown:
        raise ConfigError(f"unknown keys in {path}: {', '.join(sorted(unknown))}")
    return data
