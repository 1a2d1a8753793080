"""The ingest stage keeps its tuned numbers in ingest/tuning.py (issue 17)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

INGEST = Path(__file__).resolve().parents[2] / "ingest"

# Safety caps and file-format facts that stay beside their code (see ingest/tuning.py's docstring).
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
}
# Files whose numbers are format facts (record tags, flags) or owned with their own feature.
SKIPPED = {"ingest/tuning.py", "ingest/loaders/hwp.py"}
_CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*")


def _is_arithmetic(node: ast.AST) -> bool:
    """A number or an operator of an arithmetic expression (``1 << 4``, ``300 / 72``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return isinstance(node, (ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop))


def _numeric_constants(path: Path) -> set[str]:
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


def test_no_tuned_number_outside_tuning_module() -> None:
    stray = {}
    for path in sorted(INGEST.rglob("*.py")):
        rel = path.relative_to(INGEST.parent).as_posix()
        if rel in SKIPPED:
            continue
        found = _numeric_constants(path) - NOT_TUNED.get(rel, set())
        if found:
            stray[rel] = sorted(found)
    assert not stray, (
        f"numeric module constants outside ingest/tuning.py: {stray}; move tuned numbers there "
        "with the measurement that chose them, or list a safety cap in NOT_TUNED"
    )


def test_every_tuning_constant_is_used() -> None:
    tuned = _numeric_constants(INGEST / "tuning.py")
    assert len(tuned) > 50  # the scan reads the module
    sources = "\n".join(
        p.read_text(encoding="utf-8") for p in INGEST.rglob("*.py") if p.name != "tuning.py"
    )
    unused = sorted(n for n in tuned if not re.search(rf"\b{n}\b", sources))
    assert not unused, f"ingest/tuning.py constants no ingest module uses: {unused}"
