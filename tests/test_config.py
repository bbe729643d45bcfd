"""Settings: CLI over environment over config file over defaults, and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from dailypapers.core.config import (
    Section,
    Settings,
    configuration_table,
    load_settings,
    setting,
)
from dailypapers.core.errors import ConfigError


def test_precedence(clean_env, monkeypatch) -> None:
    clean_env.mkdir(parents=True)
    (clean_env / "config.toml").write_text(
        'model = "from-file"\nlang = "en"\nconcurrency = 3\nopenai_base_url = "http://x/v1"\n'
    )
    s = load_settings()
    assert (s.model, s.lang, s.concurrency, s.llm_configured) == ("from-file", "en", 3, True)
    monkeypatch.setenv("DAILYPAPERS_MODEL", "from-env")
    s = load_settings(lang="zh")
    assert (s.model, s.lang, s.concurrency) == ("from-env", "zh", 3)


def test_defaults_without_llm() -> None:
    s = load_settings()
    assert not s.llm_configured and s.lang == "zh" and s.unverified == "retry"
    assert s.arxiv_api_delay == 3.0 and s.user_agent.startswith("dailypapers/")


@pytest.mark.parametrize(
    "text,message",
    [
        ('modle = "x"\n', "unknown keys in"),
        ("concurrency = \n", "cannot read config file"),
        ('concurrency = "many"\n', "invalid setting concurrency"),
    ],
)
def test_bad_config_file(clean_env, text, message) -> None:
    clean_env.mkdir(parents=True)
    (clean_env / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_readme_configuration_table_is_generated_from_the_settings() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert configuration_table() in readme, (
        "README's configuration table differs from the settings: paste the output of "
        "python -c 'from dailypapers.core.config import configuration_table as t; print(t())'"
    )


def test_every_analysis_field_is_described_in_the_schema_the_llm_gets() -> None:
    from dailypapers.analysing.answers import strict_schema
    from dailypapers.core.models import Analysis

    missing: list[str] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{path}.{name}")
            for key, value in node.items():
                walk(value, f"{path}.{key}" if key not in ("properties", "items") else path)
        elif isinstance(node, list):
            for value in node:
                walk(value, path)

    walk(strict_schema(Analysis), "Analysis")
    # nested models are described by their own fields; the fields holding them need not be
    assert set(missing) <= {
        "Analysis.contribution_evidence",
        "Analysis.usage",
        "Analysis.innovations.evidence",
        "Analysis.results.evidence",
    }, missing


class Hook(Section):
    kind: Literal["feishu", "slack"] = setting("slack", "", "the platform")
    url: str = setting(..., "", "the webhook's URL")
    approve: bool = setting(False, "", "wait for `dailypapers approve`")


class Web(Section):
    port: int = setting(8000, "DAILYPAPERS_WEB_PORT", "port", ge=1, le=65535)


class Sectioned(Settings):
    """Settings with a section and named sections, as a program extending the library
    declares them (delivery's channels are named sections)."""

    web: Web = Web()
    hooks: dict[str, Hook] = {}


def test_config_file_sections_are_typed_and_checked(clean_env, monkeypatch) -> None:
    clean_env.mkdir(parents=True)
    config = clean_env / "config.toml"
    config.write_text(
        'lang = "en"\n[web]\nport = 9000\n'
        '[hooks.team-feishu]\nkind = "feishu"\nurl = "https://open.feishu.cn/hook/x"\n'
        '[hooks.mine]\nurl = "https://hooks.slack.com/x"\napprove = true\n'
    )
    s = load_settings(schema=Sectioned)
    assert isinstance(s, Sectioned) and s.lang == "en" and s.web.port == 9000
    assert s.hooks["team-feishu"].kind == "feishu" and s.hooks["mine"].approve
    monkeypatch.setenv("DAILYPAPERS_WEB_PORT", "9100")  # a section's variable wins
    assert load_settings(schema=Sectioned).web.port == 9100  # type: ignore[attr-defined]
    config.write_text('[hooks.team]\nkind = "feishu"\nurll = "https://x"\n')
    with pytest.raises(ConfigError, match=r"hooks\.team\.url"):
        load_settings(schema=Sectioned)
    config.write_text('[hooks.team]\nkind = "fax"\nurl = "https://x"\n')
    with pytest.raises(ConfigError, match=r"invalid setting hooks\.team\.kind"):
        load_settings(schema=Sectioned)


def test_sections_are_in_the_generated_table() -> None:
    table = configuration_table(Sectioned)
    assert "| `DAILYPAPERS_WEB_PORT` (`[web] port`) | `8000` | port |" in table
    assert "| `[hooks.NAME] url` | — | the webhook's URL |" in table
    assert "| `[hooks.NAME] approve` | `False` | wait for `dailypapers approve` |" in table
