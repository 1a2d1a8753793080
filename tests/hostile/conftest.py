"""The hostile suite reuses the builders of tests/ingest (its conftest's document factories and
test_hostile.py's bombs), loaded by path: test folders are not packages here."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

INGEST_TESTS = Path(__file__).resolve().parents[1] / "ingest"


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ingest_builders() -> ModuleType:
    """tests/ingest/conftest.py: write_hwpx, report_docx, table_pdf, HWP fixtures..."""
    return load_module("hostile_ingest_conftest", INGEST_TESTS / "conftest.py")


@pytest.fixture(scope="session")
def bombs() -> ModuleType:
    """tests/ingest/test_hostile.py: zip_bomb, lying_zip, BILLION_LAUGHS, PDF stream bombs."""
    return load_module("hostile_ingest_bombs", INGEST_TESTS / "test_hostile.py")
