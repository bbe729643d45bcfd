"""TeX in the analyses becomes MathML in the HTML report, and nothing else gets through."""

from __future__ import annotations

import pytest

from dailypapers.report.math import with_math


def test_tex_spans_become_mathml() -> None:
    html = str(with_math(r"gain $\Delta a$ and \(x^2\) at $k$ < 3"))
    assert html.count("<math ") == 2 + 1 and "<mi>Δ</mi>" in html and "<msup>" in html
    assert html.endswith(" &lt; 3")


@pytest.mark.parametrize(
    "text",
    [
        r"$\text{<script>alert(1)</script>}$",
        r"$\href{javascript:alert(1)}{x}$",
        r"$\mathrm{<img src=x onerror=alert(1)>}$",
        r"$a & b$",
        r"$\frac{1}{$",
    ],
)
def test_hostile_or_broken_tex_stays_text(text: str) -> None:
    html = str(with_math(text))
    assert "<script" not in html and "<img" not in html and 'href="' not in html
    assert "<math" not in html or "<mi mathvariant" in html  # \mathrm{...}: letters, no tag


def test_money_is_not_math() -> None:
    assert str(with_math("costs $5 and $10 a month")) == "costs $5 and $10 a month"
