"""Fuzzing the QBA, ImaGenome and report readers with a fixed small budget (the same cases
every run): no traceback, no study stored differently from what was accepted, no stored
study changed by a rejected one. `python bench/fuzz_readers.py` runs a larger budget."""

from __future__ import annotations

import pytest
from fuzz_readers import run

BUDGET = {"qba": 60, "imagenome": 40, "reports": 25}


@pytest.mark.parametrize("reader", list(BUDGET))
def test_hostile_variations_of_real_inputs_are_rejected_or_stored_exactly(store, reader):
    tally = run(store, reader, BUDGET[reader])
    print(tally.line(reader))
    assert tally.cases >= BUDGET[reader]
    assert tally.rejected > 0  # the mutations do reach the checks
    assert not tally.tracebacks, "\n\n".join(tally.tracebacks[:3])
    assert not tally.silent_changes, "\n".join(tally.silent_changes[:5])
    assert not tally.damaged, "\n".join(tally.damaged[:5])
