"""Report extraction in Ray actors: each actor holds one pipeline (ontology, concept mapper,
rules or an LLM client on the pool of servers, starting at its own), reports go to the
actors in chunks, and the scene graphs come back in the order of the reports, so that the
process that loads them writes the same graph as a run in one process."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from cxrkg.config import Settings
from cxrkg.ingest.extract.pipeline import ReportInput
from cxrkg.ingest.model import Rejected, SceneGraph

CHUNK = 16  # reports per call: few round trips, yet an even spread over the actors


class ExtractionActor:
    """One worker's pipeline (made once: loading the ontology and the embedding model is
    the slow part). `index` spreads the actors' first LLM server over the pool."""

    def __init__(self, settings: Settings, extractor: str, index: int) -> None:
        from cxrkg.ingest.extract.pipeline import ReportPipeline
        from cxrkg.ontology import load_ontology
        from cxrkg.ontology.files import default_path

        llm = None
        if extractor == "llm":
            from cxrkg.llm import LLMClient

            llm = LLMClient(settings, start=index)
        onto = load_ontology(default_path(settings))
        self.pipeline = ReportPipeline(onto, settings, extractor=extractor, llm=llm)

    def build(self, items: list[ReportInput | Rejected]) -> list[SceneGraph | Rejected]:
        from cxrkg.ingest.sources.reports import build_report

        return [build_report(self.pipeline, item) for item in items]


def scene_graphs_on_ray(
    items: Iterable[ReportInput | Rejected],
    *,
    extractor: str,
    settings: Settings,
    address: str | None = None,
    actors: int | None = None,
    chunk: int = CHUNK,
) -> Iterator[SceneGraph | Rejected]:
    """Scene graphs of `items` built by Ray actors (one per CPU of the cluster unless
    `actors`), yielded in the order of `items`; at most two chunks wait per actor."""
    from cxrkg.ray_tasks import cluster_cpus, connect

    ray = connect(address)
    n = actors or cluster_cpus(ray)
    actor = ray.remote(num_cpus=1)(ExtractionActor)
    pool = [actor.remote(settings, extractor, i) for i in range(n)]
    waiting: deque[Any] = deque()
    reports = iter(items)
    try:
        k = 0
        while batch := list(islice(reports, chunk)):
            waiting.append(pool[k % n].build.remote(batch))
            k += 1
            if len(waiting) >= 2 * n:
                yield from ray.get(waiting.popleft())
        while waiting:
            yield from ray.get(waiting.popleft())
    finally:
        for a in pool:
            ray.kill(a)
