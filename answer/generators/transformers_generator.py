"""A local causal language model through ``transformers``, streamed with TextIteratorStreamer.

Chat models (the tokenizer has a chat template) get the system + user messages; base models get
the completion prompt and are cut at the end of their first answer. CPU by default (float32), the
GPU when one is present (bfloat16). Loading uses local files only and fails fast with a message
saying how to get the model. Loaded models are shared by every generator in the process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from answer.generators.base import StopCutter
from answer.generators.models import hub_missing_message, resolve_model
from answer.generators.prompting import Prompt
from reportqa.errors import ConfigError, ModelUnavailableError

log = logging.getLogger(__name__)

_models: dict[tuple[str, str], tuple[Any, Any]] = {}
_generate_locks: dict[tuple[str, str], threading.Lock] = {}
_models_lock = threading.Lock()


def pick_device(setting: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; anything else as given."""
    import torch

    setting = (setting or "auto").strip().lower()
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if setting.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device {setting!r} was asked for, but torch sees no GPU; use cpu")
    return setting


def load_model(source: str, device: str) -> tuple[Any, Any]:
    """(tokenizer, model) from local files, cached per (source, device)."""
    key = (source, device)
    with _models_lock:
        if key in _models:
            return _models[key]
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        dtype = torch.float32
        if device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        t0 = time.perf_counter()
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            model: Any = AutoModelForCausalLM.from_pretrained(
                source, local_files_only=True, dtype=dtype
            )
        except OSError as exc:
            if Path(source).is_dir():
                raise ModelUnavailableError(f"Could not load the model in {source}: {exc}") from exc
            raise ModelUnavailableError(hub_missing_message(source, exc)) from exc
        except ValueError as exc:
            raise ModelUnavailableError(
                f"{source} is not a causal language model transformers can load: {exc}"
            ) from exc
        model.to(device)
        model.eval()
        log.info("loaded %s on %s in %.1fs", source, device, time.perf_counter() - t0)
        _models[key] = (tokenizer, model)
        _generate_locks[key] = threading.Lock()
        return tokenizer, model


def generate_lock(source: str, device: str) -> threading.Lock:
    """One generation at a time per loaded model (they share the CPU or the GPU)."""
    with _models_lock:
        return _generate_locks.setdefault((source, device), threading.Lock())


class TransformersBackend:
    """Streams text from a local causal LM; one generation at a time per loaded model."""

    def __init__(
        self,
        ref: str,
        model_dir: Path,
        device: str = "auto",
        timeout_s: float = 120.0,
        name: str | None = None,
    ) -> None:
        self.ref = ref
        self.model_dir = model_dir
        self.device_setting = device
        self.timeout_s = timeout_s
        self.name = name or f"transformers:{ref}"
        self._lock: threading.Lock | None = None
        self._loaded: tuple[Any, Any] | None = None
        self.device = ""

    def load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self.device = pick_device(self.device_setting)
            source = resolve_model(self.ref, self.model_dir)
            self._loaded = load_model(source, self.device)
            self._lock = generate_lock(source, self.device)
        return self._loaded

    @property
    def chat(self) -> bool:
        """Whether the model is prompted with its chat template (else: plain completion)."""
        tokenizer, _ = self.load()
        return bool(getattr(tokenizer, "chat_template", None))

    def encode(self, prompt: Prompt) -> tuple[Any, tuple[str, ...]]:
        """Input ids for ``prompt`` (chat template when there is one) and the stop strings."""
        tokenizer, _ = self.load()
        if self.chat:
            messages = [dict(m) for m in prompt.messages]
            try:
                text = tokenizer.apply_chat_template(
                    messages, add_generation_prompt=True, tokenize=False
                )
            except Exception:  # templates that refuse a system turn (Gemma): fold it into the user's
                system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
                rest = [m for m in messages if m["role"] != "system"]
                if rest and system:
                    rest[0] = {**rest[0], "content": f"{system}\n\n{rest[0]['content']}"}
                text = tokenizer.apply_chat_template(
                    rest, add_generation_prompt=True, tokenize=False
                )
            ids = tokenizer(text, return_tensors="pt", add_special_tokens=False)
            return ids, prompt.chat_stop
        return tokenizer(prompt.completion, return_tensors="pt"), prompt.stop

    def stream(
        self,
        prompt: Prompt,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        tokenizer, model = self.load()
        inputs, stops = self.encode(prompt)
        inputs = {k: v.to(model.device) for k, v in inputs.items() if k != "token_type_ids"}
        stop_event = threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return stop_event.is_set()

        streamer = TextIteratorStreamer(
            tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout_s
        )
        temperature = 0.0 if temperature is None else temperature
        kwargs: dict[str, Any] = {
            **inputs,
            "streamer": streamer,
            "max_new_tokens": max_new_tokens or 256,
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
            "do_sample": temperature > 0,
            "pad_token_id": tokenizer.pad_token_id
            if tokenizer.pad_token_id is not None
            else tokenizer.eos_token_id,
        }
        if temperature > 0:
            kwargs.update(temperature=temperature, top_p=0.95)
        else:  # greedy: silence the sampling defaults some generation configs carry
            kwargs.update(temperature=None, top_p=None, top_k=None)
        errors: list[BaseException] = []

        def run() -> None:
            import torch

            try:
                with torch.inference_mode():
                    model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the consumer's thread
                errors.append(exc)
                streamer.end()

        cutter = StopCutter(stops)
        assert self._lock is not None
        with self._lock:
            thread = threading.Thread(target=run, name="reportqa-generate", daemon=True)
            thread.start()
            try:
                for piece in streamer:
                    out = cutter.feed(piece)
                    if out:
                        yield out
                    if cutter.done:
                        break
                else:
                    rest = cutter.flush()
                    if rest:
                        yield rest
            except Exception as exc:  # queue.Empty: no token within the timeout
                if errors:
                    raise ModelUnavailableError(f"{self.name} failed: {errors[0]}") from errors[0]
                raise ModelUnavailableError(
                    f"{self.name} produced no text for {self.timeout_s:.0f}s "
                    "(REPORTQA_GENERATION_TIMEOUT_S)"
                ) from exc
            finally:
                stop_event.set()  # stops generation when cut, abandoned or failed
                thread.join(timeout=self.timeout_s)
        if errors:
            raise ModelUnavailableError(f"{self.name} failed: {errors[0]}") from errors[0]
