"""Questions per study, per type, against MIMIC-Ext-CXR-QBA's rates.

    python bench/qa_rates.py OUT            # a release folder written by `cxrkg qa generate`

Rates are per study that got B01 (as the seed's table counts them: 208,433 studies with
B01_describe_all); QBA's come from `bench/data/qba_question_counts.csv`, the seed's table.
Prints a Markdown table (docs/qa.md "Coverage against QBA's rates").
"""

from __future__ import annotations

import argparse
import csv
import os
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.qa_gen.audit import read_qa_folder  # noqa: E402

QBA_COUNTS = Path(__file__).resolve().parent / "data" / "qba_question_counts.csv"


def qba_rates() -> dict[str, float]:
    """QBA's questions per B01 study, per question type and for `all`."""
    with QBA_COUNTS.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    totals = {r["question_type"]: int(r["total"]) for r in rows}
    per = totals["B01_describe_all"]
    return {t: n / per for t, n in totals.items()}


def release_rates(folder: Path) -> tuple[int, dict[str, float]]:
    """(studies with B01, questions per such study per type and for `all`)."""
    counts: Counter[str] = Counter()
    studies = 0
    for _, questions in read_qa_folder(folder):
        types = [q.question_type for q in questions]
        if "B01_describe_all" not in types:
            continue
        studies += 1
        counts.update(types)
        counts["all"] += len(types)
    return studies, {t: n / max(studies, 1) for t, n in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("release", type=Path, help="folder holding qa.zip (or .qa.json files)")
    args = parser.parse_args()
    qba = qba_rates()
    studies, ours = release_rates(args.release)
    print(f"{studies:,} studies with B01_describe_all in {args.release}\n")
    print("| type | QBA per study | cxrkg per study |")
    print("| --- | ---: | ---: |")
    for qtype in sorted(set(qba) | set(ours), key=lambda t: (t == "all", t)):
        theirs = f"{qba[qtype]:.2f}" if qtype in qba else "-"
        print(f"| {qtype} | {theirs} | {ours.get(qtype, 0.0):.2f} |")


if __name__ == "__main__":
    main()
