"""Ingest: files → cleaned Documents → Chunks. Knows nothing of indexes or answers."""
