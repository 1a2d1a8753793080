"""How fast an embedding server could embed: multilingual-e5-small's architecture on a GPU.

    python benchmarks/bench_gpu_embed.py [--device cuda] [--quick]

For the "Scaling out" numbers: the encoder of ``intfloat/multilingual-e5-small`` (BERT, 12 layers,
hidden 384, 12 heads, 250k-token vocabulary) built from its configuration with *random
weights*: a forward pass costs the same whatever the weights, so passages/s and query latency
are the model's, while the vectors mean nothing (no weights are downloaded or needed). Measured
with PyTorch on the GPU (fp16) and on the machine's CPU cores (fp32, all cores and two), with
mean pooling and L2 normalisation as the real model does. What TEI or vLLM serving the real
model reach is of the same order (they add batching across requests and HTTP).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def e5_small(device: str, dtype: object) -> object:
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
        intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2,
    )
    torch.manual_seed(0)
    model = BertModel(config, add_pooling_layer=False).eval().to(device=device, dtype=dtype)  # type: ignore[arg-type]
    return model


def embed(model: object, ids: object, mask: object) -> object:
    import torch

    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=mask).last_hidden_state  # type: ignore[operator]
        m = mask.unsqueeze(-1).to(out.dtype)  # type: ignore[attr-defined]
        pooled = (out * m).sum(1) / m.sum(1)
        return torch.nn.functional.normalize(pooled.float(), dim=-1)


def throughput(model: object, device: str, batch: int, tokens: int, seconds: float) -> tuple[float, float]:
    """(texts/s, ms per batch) embedding batches of ``batch`` texts of ``tokens`` tokens."""
    import torch

    ids = torch.randint(5, 250000, (batch, tokens), device=device)
    mask = torch.ones_like(ids)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for _ in range(2):
        embed(model, ids, mask)
    sync()
    times = []
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(times) < 3:
        t0 = time.perf_counter()
        embed(model, ids, mask)
        sync()
        times.append(time.perf_counter() - t0)
    per_batch = statistics.median(times)
    return batch / per_batch, per_batch * 1000


def main(argv: list[str] | None = None) -> int:
    import torch

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--quick", action="store_true", help="a few seconds: checks the script runs")
    args = p.parse_args(argv)
    secs = 0.2 if args.quick else 3.0
    rows = []
    name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    if args.device.startswith("cuda"):
        model = e5_small(args.device, torch.float16)
        for tokens, batches in ((200, (1, 64, 256, 1024)), (48, (1, 256, 1024)), (24, (1,))):
            for b in batches if not args.quick else batches[:2]:
                tps, ms = throughput(model, args.device, b, tokens, secs)
                rows.append((f"{name} fp16", b, tokens, tps, tps * tokens, ms))
        del model
        torch.cuda.empty_cache()
    cores = os.cpu_count() or 1
    model = e5_small("cpu", torch.float32)
    for threads in sorted({cores, 2}, reverse=True):
        torch.set_num_threads(threads)
        for tokens, b in ((200, 32), (48, 64), (24, 1)):
            tps, ms = throughput(model, "cpu", 4 if args.quick else b, tokens, secs)
            rows.append((f"cpu fp32, {threads} of {cores} cores", 4 if args.quick else b, tokens, tps, tps * tokens, ms))
    print("## e5-small architecture (random weights): embedding speed by device\n")
    print("| device | batch | tokens/text | texts/s | tokens/s | ms/batch |")
    print("|---|--:|--:|--:|--:|--:|")
    for dev, b, t, tps, toks, ms in rows:
        print(f"| {dev} | {b} | {t} | {tps:,.0f} | {toks:,.0f} | {ms:.2f} |")
    print(f"\n- torch {torch.__version__}; {secs:.1f}s of batches per row, median batch time; "
          "mean pooling + L2 normalisation included; no tokenisation (token ids are given)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
