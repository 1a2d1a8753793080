"""Test helpers for the generative backends: a tiny random causal LM and a scripted backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from answer.generators.prompting import Prompt
from reportqa.settings import SAMPLE_CORPUS_DIR

CHAT_TEMPLATE = (
    "{% for m in messages %}<{{ m['role'] }}> {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<assistant> {% endif %}"
)


def build_tiny_model(directory: Path, chat_template: str | None = None) -> Path:
    """A randomly initialised 2-layer Llama and a word-level tokenizer trained on the sample
    corpus, saved as a transformers folder (well under a second on a CPU)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS_DIR.glob("*.md"))]
    texts.append("답변: 질문: Answer: Question: [1] [2] [3] [7] .")
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(
        vocab_size=3000, special_tokens=["<pad>", "<unk>", "<s>", "</s>"]
    )
    tok.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
    )
    if chat_template:
        tokenizer.chat_template = chat_template
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=8192,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


class ScriptedBackend:
    """An LLMBackend that streams fixed pieces and records the prompts it got."""

    def __init__(self, pieces: Sequence[str], name: str = "scripted") -> None:
        self.pieces = list(pieces)
        self.name = name
        self.prompts: list[Prompt] = []

    def stream(
        self,
        prompt: Prompt,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        yield from self.pieces
