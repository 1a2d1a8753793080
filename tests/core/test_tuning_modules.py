"""Each stage keeps its tuned numbers in its own tuning module: ingest/tuning.py, index/tuning.py,
answer/tuning.py (issue 17)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["ingest", "answer", "index"]

# Limits, safety caps and format facts that are not tuned stay beside their code (see each tuning
# module's docstring).
NOT_TUNED = {
    "ingest/pipeline.py": {"_MB"},
    "ingest/safety.py": {
        "MB", "_RATIO_FLOOR_BYTES", "_MAX_ZIP_MEMBERS", "_READ_CHUNK", "PDF_PAGES_PER_S",
        "PROJECT_AFTER_PAGES", "PROJECT_AFTER_S",
    },
    "ingest/ocr.py": {"PAGE_TIMEOUT_S"},
    "ingest/layout/tables.py": {"MAX_RULE_PAIRS", "MAX_GRID_CELLS"},
    "ingest/loaders/__init__.py": {"HEAD_BYTES"},
    "ingest/loaders/docx.py": {"MAX_TABLE_NESTING"},
    "ingest/loaders/pdf.py": {"_DEFLATE_MAX_RATIO", "_EOF_TAIL", "OCR_SCALE"},
    "answer/extractive.py": {"_CONTINUATION_GAP"},
    "answer/pipeline.py": {"MAX_QUESTION_CHARS"},
    "answer/rewrite.py": {"MAX_REWRITE_CHARS"},
    "answer/translation.py": {"TRANSLATION_TOKENS", "CACHE_SIZE"},
    "answer/generators/models.py": {"CONVERSION_PROGRESS_S"},
    "answer/generators/openai_generator.py": {"MAX_BACKOFF_S"},
    "answer/generators/prompting.py": {"HISTORY_TURNS", "HISTORY_ANSWER_CHARS"},
    "index/embedding_cache.py": {"_LOOKUP_BATCH"},
    "index/lock.py": {"_POLL_S"},
    "index/milvus_lite_speedups.py": {"SEGMENTS_KEPT", "SNAPSHOTS_KEPT"},
    "index/milvus_store.py": {"VARCHAR_MAX", "PART_CHARS", "INSERT_BATCH", "ROW_CACHE", "QUERY_PAGE"},
    "index/report_index.py": {"SCHEMA_VERSION"},
    "index/store.py": {"LAZY_CHUNKS_FROM", "_OPEN_ATTEMPTS"},
}
# Files whose numbers are format facts (record tags, flags), not tuned.
SKIPPED = {"ingest/loaders/hwp.py"}
_CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")


def _is_arithmetic(node: ast.AST) -> bool:
    """A number or an operator of an arithmetic expression (``1 << 4``, ``300 / 72``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop))


def numeric_constants(path: Path) -> set[str]:
    """Module-level ALL_CAPS names bound to a number (or a sum/product of numbers)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        value = getattr(node, "value", None)
        if value is None or not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        numeric = all(_is_arithmetic(n) for n in ast.walk(value))
        for target in targets:
            if isinstance(target, ast.Name) and _CONSTANT.fullmatch(target.id) and numeric:
                names.add(target.id)
    return names


def test_the_scan_finds_numeric_constants(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("A = 3\n_B: float = 300 / 72\nC = 'x'\nD = True\nlower = 4\nE = A + 1\n")
    assert numeric_constants(module) == {"A", "_B"}


@pytest.mark.parametrize("stage", STAGES)
def test_no_tuned_number_outside_the_stages_tuning_module(stage: str) -> None:
    stray = {}
    for path in sorted((ROOT / stage).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == f"{stage}/tuning.py" or rel in SKIPPED:
            continue
        found = numeric_constants(path) - NOT_TUNED.get(rel, set())
        if found:
            stray[rel] = sorted(found)
    assert not stray, (
        f"numeric module constants outside {stage}/tuning.py: {stray}; move tuned numbers there "
        "with the measurement that chose them, or list a limit in NOT_TUNED"
    )


@pytest.mark.parametrize("stage", STAGES)
def test_every_tuning_constant_is_used(stage: str) -> None:
    tuned = numeric_constants(ROOT / stage / "tuning.py")
    assert tuned, f"the scan found no constant in {stage}/tuning.py"
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / stage).rglob("*.py") if p.name != "tuning.py"
    )
    unused = sorted(n for n in tuned if not re.search(rf"\b{n}\b", sources))
    assert not unused, f"{stage}/tuning.py constants no {stage} module uses: {unused}"
