"""Every sample statement in tests/data/statements reads as its golden file says.

The golden file ``<sample>.golden`` beside each sample is the reader's result as readable text
(app.importers.statements.render). Regenerating is an explicit act:

    HHB_REGENERATE_GOLDEN=1 python -m pytest tests/test_statement_golden.py

then read the diff (git diff tests/data/statements) before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.importers.statements import StatementFileError, read_statement_file, render

SAMPLES_DIR = Path(__file__).parent / "data" / "statements"
SAMPLES = sorted(
    p for p in SAMPLES_DIR.rglob("*")
    if p.is_file() and p.suffix not in (".golden", ".md")
)
# Deliberately broken (see SOURCES.md): a USD header over EUR entries, negative amounts.
REFUSED = {"hhb_synthetic_camt053_001_02_schema_invalid_usd_eur_50_entries.xml"}


def test_every_shared_sample_is_here():
    names = {p.name for p in SAMPLES}
    assert len(names) == 46
    assert names >= REFUSED


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLES])
def test_sample_reads_as_its_golden_file(path: Path):
    if path.name in REFUSED:
        with pytest.raises(StatementFileError) as caught:
            read_statement_file(path)
        assert "\n" not in str(caught.value)
        return
    text = render(read_statement_file(path))
    golden = path.with_name(path.name + ".golden")
    if os.environ.get("HHB_REGENERATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file for {path.name}: regenerate it and review it"
    assert text == golden.read_text(encoding="utf-8")
