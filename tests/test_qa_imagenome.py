"""QA from Chest ImaGenome scene graphs: one answer per report phrase, subcategory questions,
an indication answer, and one region comparison per region however many images state it."""

from __future__ import annotations

from pathlib import Path

from cxrkg.ingest.load import ingest_imagenome
from cxrkg.qa_gen.generate import generate_batch

DATA = Path(__file__).parent / "data" / "imagenome"


def test_imagenome_questions_are_neither_duplicated_nor_missing(store) -> None:  # noqa: ANN001
    ingest_imagenome(store, DATA, progress=False)
    (item,) = generate_batch(store, ["s56000002"])
    qs = item.questions
    texts = [a.text for q in qs if q.question_type == "B01_describe_all" for a in q.answers]
    assert len(texts) == len(set(texts)), texts  # one answer per phrase, not per label
    types = {q.question_type for q in qs}
    assert {"B08_describe_subcat", "B10_is_abnormal_subcat", "A_indication"} <= types
    e02 = [q for q in qs if q.question_type == "E02_describe_region_change"]
    assert [q.variables["region"] for q in e02] == [
        "left lower lung zone"
    ]  # two images, one question
    assert e02[0].answers[0].text.startswith("Compared with the previous study")
