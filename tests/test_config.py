"""Settings: CLI over environment over config file over defaults, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from dailypapers.core.config import configuration_table, load_settings
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
    from dailypapers.analysing.llm import strict_schema
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
