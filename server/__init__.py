"""The HTTP layer: JSON API (``/api/v1``), OpenAI-compatible API (``/v1``), the embeddable widget
(``/widget``), feedback storage, and the protection around them.

Depends on ``answer`` (the pipeline) and the core ``reportqa`` package; nothing imports it but the
front ends (``app.py``, the CLI's ``serve`` and ``feedback`` commands).
"""
