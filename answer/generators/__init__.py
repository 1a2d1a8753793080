"""Answer generators, chosen by a spec string (``Settings.generator`` / ``--generator``):

- ``extractive`` (default): quotes the best sentences of the passages (``answer/extractive.py``);
- ``transformers:<model id, local folder, .gguf file or alias>``: a local causal LM;
- ``openai:<model>``: any OpenAI-compatible server at ``Settings.openai_base_url``.

The extractive generator needs the loaded index, so the pipeline builds it; this module builds
the language-model ones.
"""

from __future__ import annotations

from answer.generators.base import LLMBackend, LLMGenerator, StopCutter
from answer.generators.models import ALIASES
from reportqa.errors import ConfigError
from reportqa.settings import Settings

__all__ = [
    "ALIASES",
    "GENERATOR_KINDS",
    "LLMBackend",
    "LLMGenerator",
    "StopCutter",
    "make_llm_generator",
    "parse_generator_spec",
]

GENERATOR_KINDS = ("extractive", "transformers", "openai")


def parse_generator_spec(spec: str) -> tuple[str, str]:
    """``"transformers:gemma3-270m"`` → ``("transformers", "gemma3-270m")``; checks the kind."""
    spec = (spec or "").strip()
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "extractive" and not arg:
        return "extractive", ""
    if kind in ("transformers", "openai") and arg.strip():
        return kind, arg.strip()
    raise ConfigError(
        f"unknown generator {spec!r}; use extractive, transformers:<model id, folder, .gguf or "
        f"alias such as {', '.join(ALIASES)}>, or openai:<model served at REPORTQA_OPENAI_BASE_URL>"
    )


def make_llm_generator(spec: str, settings: Settings) -> LLMGenerator:
    """The generator for a ``transformers:`` or ``openai:`` spec (models load on first use)."""
    kind, arg = parse_generator_spec(spec)
    backend: LLMBackend
    if kind == "transformers":
        from answer.generators.transformers_generator import TransformersBackend

        backend = TransformersBackend(
            arg, settings.resolved_model_dir, settings.device, settings.generation_timeout_s
        )
    elif kind == "openai":
        from answer.generators.openai_generator import OpenAIBackend

        backend = OpenAIBackend(
            arg,
            settings.openai_base_url,
            settings.openai_api_key,
            settings.connect_timeout_s,
            settings.generation_timeout_s,
            settings.openai_max_retries,
        )
    else:
        raise ConfigError(f"{spec!r} is not a language-model generator")
    return LLMGenerator(backend, settings.max_new_tokens, settings.temperature)
