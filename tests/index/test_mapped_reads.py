"""Memory-mapped index files read at scattered rows are mapped for random access (MADV_RANDOM),
so a page fault reads its page, not the disk's read-ahead window around it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from index.store import CHUNKS, SENTENCES, advise_random, current_version, open_index, save_index

sys.path.insert(0, str(Path(__file__).parent))
from index_helpers import tiny_index

SMAPS = Path("/proc/self/smaps")


def _vm_flags(path: Path) -> list[list[str]]:
    """The VmFlags of each mapping of ``path`` in this process."""
    flags, inside = [], False
    for line in SMAPS.read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5:  # a mapping's first line
            inside = len(head) >= 6 and head[-1] == str(path)
        elif inside and line.startswith("VmFlags:"):
            flags.append(line.split()[1:])
    return flags


@pytest.mark.skipif(not SMAPS.exists(), reason="needs Linux /proc/self/smaps")
def test_sentence_vectors_and_chunks_are_mapped_for_random_reads(tmp_path: Path) -> None:
    save_index(tiny_index(), tmp_path / "idx")
    index = open_index(tmp_path / "idx", lazy_chunks_from=1)
    version = current_version(tmp_path / "idx")
    assert index.chunks[1].text  # the mapping is used, and still reads correctly
    assert float(abs(index.sentence_vectors[0]).sum()) > 0
    for name in (SENTENCES, CHUNKS):
        flags = _vm_flags((version / name).resolve())
        assert flags, f"{name} is not mapped"
        assert all("rr" in f for f in flags), f"{name}: {flags}"


def test_no_mapping_needs_no_advice() -> None:
    advise_random(None)  # an empty chunks file has no mapping
