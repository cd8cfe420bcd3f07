"""Wording of questions and template answers, read from `templates/questions.json`."""

from __future__ import annotations

import json
import random
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def templates() -> dict[str, dict[str, Any]]:
    path = resources.files("cxrkg.qa_gen") / "templates" / "questions.json"
    return json.loads(path.read_text(encoding="utf-8"))


def question_text(qtype: str, rng: random.Random, **variables: str) -> str:
    """One of the question's wordings, picked by the study's seeded RNG."""
    options = templates()[qtype]["question"]
    choice = options[rng.randrange(len(options))] if len(options) > 1 else options[0]
    return choice.format(**variables)


def answer_text(qtype: str, key: str, **variables: str) -> str:
    return templates()[qtype][key].format(**variables)


def subcategory_words(subcat: str) -> str:
    """`LUNG_FIELD` -> `lung field`, as it reads in a sentence."""
    return subcat.replace("_", " ").lower()


def join_words(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def sentence(text: str) -> str:
    """Capitalised and ending in a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def region_words(region: str) -> dict[str, str]:
    """Template variables for a region, with verb agreement (`the lungs are`)."""
    plural = region.endswith("s") and not region.endswith(("ss", "us", "is", "thorax"))
    plural = plural or region in ("hila",)
    return {"region": region, "is": "are" if plural else "is", "Is": "Are" if plural else "Is",
            "Does": "Do" if plural else "Does"}


def with_article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun
