"""Wording problems a reader would see in a QA release, counted.

    python bench/qa_wording.py OUT            # a release folder written by `cxrkg qa generate`

Counts texts (questions, and answers of any level) with a doubled full stop; template texts
with an acronym in lower case (`located in the svc`) or an ontology label that has a spoken
name (`pleural other`, `cardiac pacer and wires`: `qa_gen/templates/spoken.json`), where-
answers naming a region that only repeats the finding (`templates.located_regions`), and
"is there a tube?" answered yes from lines alone. docs/qa.md "Wording" has the figures.
"""

from __future__ import annotations

import argparse
import os
import re
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from cxrkg.ontology import load_ontology  # noqa: E402
from cxrkg.qa_gen.audit import read_qa_folder  # noqa: E402
from cxrkg.qa_gen.templates import located_regions, spoken_names  # noqa: E402

WHERE = ("D03_where_is_finding", "D07_where_is_device")
HAS = ("D02_has_finding", "D06_has_device")


def count_problems(folder: Path) -> tuple[int, Counter[str]]:
    """(questions read, problem -> number of texts or questions with it)."""
    data = spoken_names()
    acronym = re.compile(r"\b(" + "|".join(map(re.escape, data["acronyms"])) + r")\b")
    label = re.compile(r"\b(" + "|".join(map(re.escape, data["names"])) + r")\b")
    # a spoken name may hold its label ("signs of lung surgery"): those are not leaks
    said = re.compile("|".join(map(re.escape, sorted(data["names"].values(), key=len)[::-1])))
    onto = load_ontology()
    counts: Counter[str] = Counter()
    questions = 0
    for _, items in read_qa_folder(folder):
        for q in items:
            questions += 1
            answers = [a for top in q.answers for a in top.walk()]
            # an indication question quotes the report: it is report text, not a template
            quoted = q.question_type == "A_indication"
            texts = [(q.question, quoted)] + [(a.text, a.from_report) for a in answers]
            for text, from_report in texts:
                counts["doubled full stop"] += bool(re.search(r"\.\s*\.", text))
                if not from_report:
                    counts["acronym in lower case"] += bool(acronym.search(text))
                    counts["ontology label not spoken"] += bool(label.search(said.sub("", text)))
            finding = q.variables.get("finding", "")
            main = q.answers[0] if q.answers else None
            if q.question_type in WHERE and main is not None:
                counts["where-answer repeating the finding"] += located_regions(
                    finding, main.regions
                ) != list(main.regions)
            if q.question_type in HAS and finding == "tube" and main is not None:
                said_of = {e for a in answers if a is not main for e in a.obs_entities}
                tubes = {e for e in said_of if e == "tube" or "tube" in onto.ancestors(e)}
                lines = {e for e in said_of if e == "catheter" or "catheter" in onto.ancestors(e)}
                counts["'tube' yes from lines alone"] += (
                    main.text.startswith("Yes") and bool(lines) and not tubes
                )
    return questions, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("release", type=Path, help="folder holding qa.zip (or .qa.json files)")
    args = parser.parse_args()
    questions, counts = count_problems(args.release)
    print(f"{questions:,} questions in {args.release}\n")
    print("| problem | texts or questions |")
    print("| --- | ---: |")
    for name in (
        "doubled full stop",
        "acronym in lower case",
        "ontology label not spoken",
        "where-answer repeating the finding",
        "'tube' yes from lines alone",
    ):
        print(f"| {name} | {counts[name]:,} |")


if __name__ == "__main__":
    main()
