"""Grounding on a checked corpus: recall on planted errors and false alarms on correct items,
per error class. The corpus (tests/grounding_corpus.py) is built from the fixture papers' own
tables and sentences; each item is correct or carries one planted error of a known class.

    python bench/grounding_eval.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from grounding_corpus import CLASSES, evaluate  # noqa: E402


def main() -> None:
    start = time.perf_counter()
    total, caught, alarms, wrong = evaluate()
    planted = sum(total[c] for c in CLASSES)
    print(f"{'class':34} {'items':>5} {'caught':>6} {'recall':>7}")
    for c in CLASSES:
        if total[c]:
            print(f"{c:34} {total[c]:5} {caught[c]:6} {caught[c] / total[c]:7.1%}")
    recall = sum(caught.values()) / planted
    false_rate = alarms["correct"] / total["correct"]
    print(f"{'all planted errors':34} {planted:5} {sum(caught.values()):6} {recall:7.1%}")
    print(
        f"{'correct items (false alarms)':34} {total['correct']:5} {alarms['correct']:6} "
        f"{false_rate:7.1%}"
    )
    print(f"({time.perf_counter() - start:.1f} s)")
    for case, verdict in wrong[:20]:
        texts = [r.claim for r in case.analysis.results] or [case.analysis.usage.hardware]
        label = f"missed {case.planted}" if case.planted else "false alarm"
        print(f"  {label}: {case.paper} {case.item} {texts} {verdict.reason if verdict else ''}")


if __name__ == "__main__":
    main()
