"""The checked corpus: planted errors of every class are caught, correct items pass."""

from __future__ import annotations

from grounding_corpus import CLASSES, evaluate


def test_planted_errors_are_caught_and_correct_items_pass() -> None:
    total, caught, alarms, wrong = evaluate()
    planted = sum(total[c] for c in CLASSES)
    assert planted >= 60 and total["correct"] >= 60
    assert all(total[c] >= 6 for c in CLASSES), total
    assert sum(caught.values()) / planted >= 0.95, wrong
    assert all(caught[c] / total[c] >= 0.85 for c in CLASSES), (caught, total)
    assert alarms["correct"] / total["correct"] <= 0.03, [w for w in wrong if not w[0].planted]
