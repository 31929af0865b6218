#!/usr/bin/python3
"""Writes the small Finch test fixtures under engine/src/test/resources/fixtures/.

  finch-tiny/finch-tiny-bf16.pth        torch.save of a random Finch state_dict, official layout
                                        (OrderedDict, names/shapes/order of finch-math 3.1), bf16
  finch-tiny/finch-tiny-fp32.pth        the same values as float32; the ln1/ln2 weight+bias pairs
                                        are views into one shared storage (exercises storage offsets)
  finch-tiny/finch-tiny-hf-bf16.safetensors
                                        the same values, Hugging Face RWKV-6 names (finch-math 3.4)
  finch-tiny/finch-tiny-logits.f32      float64 reference logits (tools/finch_ref.py) after every
                                        token of the fixed sequence, as little-endian float32 [T, V]
  finch-tiny/finch-tiny.json            dimensions, tokens, file list, logits shape, per-tensor
                                        checksums (sum, sum of squares, first/last values)
  pth-bad/*.pth                         malformed torch.save files for loader error tests

All weights are bf16-exact (like the official checkpoints), so the bf16, fp32 and safetensors files
hold identical values and one set of reference logits serves them all.

Run with Debian's /usr/bin/python3 (numpy 1.24, torch 1.13) from the repository root:
    /usr/bin/python3 tools/make_finch_fixtures.py
Deterministic for a given torch version (fixed seed).
"""

import argparse
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from finch_ref import FinchRef  # noqa: E402

SEED = 20240624
DIMS = dict(n_layer=2, n_embd=64, head_size=16, dim_ffn=224, n_vocab=256, d_mix=32, d_decay=64)
TOKENS = [34, 105, 110, 32, 116, 104, 101, 0, 255, 1, 128, 64, 200, 17, 99, 250]
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine", "src", "test",
                           "resources", "fixtures")


def finch_state_dict(seed):
    """A random Finch state_dict with value scales like a trained model (bf16-exact, float32)."""
    L, C, N, F, V = (DIMS[k] for k in ("n_layer", "n_embd", "head_size", "dim_ffn", "n_vocab"))
    H, D, Dd = C // N, DIMS["d_mix"], DIMS["d_decay"]
    g = torch.Generator().manual_seed(seed)

    def normal(*shape, std):
        return torch.randn(*shape, generator=g) * std

    def uniform(*shape, lo, hi):
        return torch.rand(*shape, generator=g) * (hi - lo) + lo

    ramp = torch.arange(C, dtype=torch.float32) / (C - 1)          # 0..1 across channels
    sd = collections.OrderedDict()
    sd["emb.weight"] = normal(V, C, std=0.5)
    for i in range(L):
        r01 = i / (L - 1)                                           # 0 .. 1 over layers
        r1a0 = 1.0 - i / L                                          # 1 .. ~0
        p = f"blocks.{i}."
        sd[p + "ln1.weight"] = 1 + normal(C, std=0.1)
        sd[p + "ln1.bias"] = normal(C, std=0.05)
        sd[p + "ln2.weight"] = 1 + normal(C, std=0.1)
        sd[p + "ln2.bias"] = normal(C, std=0.05)
        if i == 0:
            sd[p + "ln0.weight"] = 1 + normal(C, std=0.1)
            sd[p + "ln0.bias"] = normal(C, std=0.05)
        # static token-shift mixes in (0, 1) as RWKV_Tmix_x060 initialises them, plus noise
        for name, power in (("x", 1.0), ("w", 1.0), ("k", 1.0), ("v", 1.0), ("r", 0.5), ("g", 0.5)):
            base = 1.0 - torch.pow(ramp, r1a0 * power)
            sd[p + "att.time_maa_" + name] = (base + normal(C, std=0.05)).clamp(0, 1).reshape(1, 1, C)
        sd[p + "att.time_maa_w1"] = normal(C, 5 * D, std=0.05)      # trained: std ~0.04
        sd[p + "att.time_maa_w2"] = normal(5, D, C, std=0.05)
        decay = -6 + 5 * torch.pow(ramp, 0.7 + 1.3 * r01)           # -6 .. -1
        sd[p + "att.time_decay"] = (decay + normal(C, std=0.2)).reshape(1, 1, C)
        sd[p + "att.time_decay_w1"] = normal(C, Dd, std=0.05)
        sd[p + "att.time_decay_w2"] = normal(Dd, C, std=0.05)
        zigzag = torch.tensor([((n + 1) % 3 - 1) * 0.1 for n in range(C)])
        sd[p + "att.time_faaaa"] = (r1a0 * (1 - ramp) + zigzag).reshape(H, N)
        for name in ("receptance", "key", "value", "gate"):
            sd[p + f"att.{name}.weight"] = normal(C, C, std=1 / math.sqrt(C))
        sd[p + "att.output.weight"] = normal(C, C, std=0.5 / math.sqrt(C))
        sd[p + "att.ln_x.weight"] = ((1 + i) / L) ** 0.7 + normal(C, std=0.1)
        sd[p + "att.ln_x.bias"] = normal(C, std=0.05)
        sd[p + "ffn.time_maa_k"] = (1 - torch.pow(ramp, r1a0) + normal(C, std=0.05)).clamp(0, 1).reshape(1, 1, C)
        sd[p + "ffn.time_maa_r"] = (1 - torch.pow(ramp, r1a0) + normal(C, std=0.05)).clamp(0, 1).reshape(1, 1, C)
        sd[p + "ffn.key.weight"] = normal(F, C, std=1 / math.sqrt(C))
        sd[p + "ffn.receptance.weight"] = normal(C, C, std=1 / math.sqrt(C))
        sd[p + "ffn.value.weight"] = normal(C, F, std=1 / math.sqrt(F))
    sd["ln_out.weight"] = 1 + normal(C, std=0.1)
    sd["ln_out.bias"] = normal(C, std=0.05)
    sd["head.weight"] = normal(V, C, std=2 / math.sqrt(C))
    # bf16-exact values, like the official checkpoints
    return collections.OrderedDict((k, v.to(torch.bfloat16).float().contiguous()) for k, v in sd.items())


def hf_name(name):
    """Canonical name -> Hugging Face RWKV-6 name (finch-math 3.4)."""
    if name == "head.weight":
        return name
    if name.startswith("emb."):
        return "rwkv.embeddings." + name[len("emb."):]
    parts = name.split(".")
    if parts[0] == "blocks":
        module = {"ln0": "pre_ln", "att": "attention", "ffn": "feed_forward"}.get(parts[2], parts[2])
        parts[2] = module
    return "rwkv." + ".".join(parts)


def write_safetensors(path, tensors, metadata):
    """safetensors by hand: u64 header length, JSON header (padded to 8), raw little-endian data."""
    header = collections.OrderedDict()
    header["__metadata__"] = metadata
    blobs, at = [], 0
    for name, t in tensors.items():
        raw = t.to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def with_shared_ln_storage(sd):
    """Same values, but each block's ln1/ln2 weight and bias are views of one storage."""
    out = collections.OrderedDict()
    for k, v in sd.items():
        out[k] = v
    for i in range(DIMS["n_layer"]):
        p = f"blocks.{i}."
        flat = torch.cat([sd[p + "ln1.weight"], sd[p + "ln1.bias"], sd[p + "ln2.weight"], sd[p + "ln2.bias"]])
        C = DIMS["n_embd"]
        for j, name in enumerate(("ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias")):
            out[p + name] = flat[j * C:(j + 1) * C]
    return out


def checksums(sd):
    rows = []
    for k, v in sd.items():
        a = v.double().numpy().reshape(-1)
        rows.append({"name": k, "shape": list(v.shape), "sum": float(a.sum()), "sum_sq": float((a * a).sum()),
                     "first": [float(x) for x in a[:4]], "last": float(a[-1])})
    return rows


def compact_json(meta):
    """One top-level key per line, one tensor per line: readable and diff-friendly."""
    lines = []
    for key, value in meta.items():
        if key == "tensors":
            rows = ",\n  ".join(json.dumps(r, separators=(",", ":")) for r in value)
            lines.append(f' "{key}": [\n  {rows}\n ]')
        else:
            lines.append(f' "{key}": {json.dumps(value, separators=(",", ":"))}')
    return "{\n" + ",\n".join(lines) + "\n}\n"


def write_bad(out):
    os.makedirs(out, exist_ok=True)
    w = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    # strides (1, 4) for shape [3, 4]: a transposed view, not C-contiguous
    torch.save(collections.OrderedDict([("emb.weight", w.t())]), os.path.join(out, "noncontiguous.pth"))
    torch.save(collections.OrderedDict([("emb.weight", w), ("step", torch.tensor([7], dtype=torch.int64))]),
               os.path.join(out, "int64-storage.pth"))
    torch.save([w, w + 1], os.path.join(out, "list-not-state-dict.pth"))
    torch.save({"model": collections.OrderedDict([("emb.weight", w)]), "epoch": 3},
               os.path.join(out, "training-checkpoint.pth"))
    torch.save({"emb.weight": w, "args": argparse.Namespace(lr=0.1)}, os.path.join(out, "foreign-global.pth"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="fixtures directory (default: %(default)s)")
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    tiny = os.path.join(out, "finch-tiny")
    os.makedirs(tiny, exist_ok=True)

    sd = finch_state_dict(SEED)
    torch.save(collections.OrderedDict((k, v.to(torch.bfloat16)) for k, v in sd.items()),
               os.path.join(tiny, "finch-tiny-bf16.pth"))
    torch.save(with_shared_ln_storage(sd), os.path.join(tiny, "finch-tiny-fp32.pth"))
    write_safetensors(os.path.join(tiny, "finch-tiny-hf-bf16.safetensors"),
                      collections.OrderedDict((hf_name(k), v) for k, v in sd.items()), {"format": "pt"})

    model = FinchRef({k: v.numpy() for k, v in sd.items()})
    state = model.new_state()
    logits = model.run(TOKENS, state)
    logits.astype("<f4").tofile(os.path.join(tiny, "finch-tiny-logits.f32"))

    meta = collections.OrderedDict()
    meta["generator"] = "tools/make_finch_fixtures.py (reference: tools/finch_ref.py, float64)"
    meta["versions"] = {"torch": torch.__version__, "numpy": np.__version__}
    meta["seed"] = SEED
    meta["model"] = dict(DIMS, n_head=DIMS["n_embd"] // DIMS["head_size"])
    meta["files"] = {"pth_bf16": "finch-tiny-bf16.pth", "pth_fp32": "finch-tiny-fp32.pth",
                     "safetensors_hf_bf16": "finch-tiny-hf-bf16.safetensors", "logits": "finch-tiny-logits.f32"}
    meta["tokens"] = TOKENS
    meta["logits"] = {"file": "finch-tiny-logits.f32", "dtype": "float32", "byte_order": "little",
                      "shape": [len(TOKENS), DIMS["n_vocab"]],
                      "row_t": "logits after feeding tokens[0..t] one at a time from a zero state",
                      "argmax": [int(a) for a in logits.argmax(axis=1)],
                      "max_abs": float(np.abs(logits).max())}
    meta["state_after_all_tokens"] = {"att_x_sum": float(state["att_x"].sum()),
                                      "ffn_x_sum": float(state["ffn_x"].sum()),
                                      "S_sum": float(state["S"].sum())}
    meta["tensors"] = checksums(sd)
    with open(os.path.join(tiny, "finch-tiny.json"), "w") as f:
        f.write(compact_json(meta))

    write_bad(os.path.join(out, "pth-bad"))
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(out) for n in ns)
    print(f"wrote fixtures under {out}: {total} bytes; logits range [{logits.min():.3f}, {logits.max():.3f}],"
          f" per-row std {logits.std(axis=1).mean():.3f}, argmax {meta['logits']['argmax']}")


if __name__ == "__main__":
    main()
