#!/usr/bin/python3
"""Writes the GoldFinch test fixtures under engine/src/test/resources/fixtures/goldfinch/.

Two random GoldFinch checkpoints in the official state_dict layout (goldfinch-math.md §6.3), saved with
torch.save like the released files, and the float64 expectations of tools/goldfinch_ref.py for a fixed
token sequence, so the Java tests need no Python:

  goldfinch-l4-c64-fp32.pth            fp32 storages; 2 Finch-C2 + 2 GOLD blocks, C = 64, head size 32 (H = 2)
  goldfinch-l6-c64-bf16.pth            bf16 storages (like the releases); 4 Finch-C2 + 2 GOLD, C = 64, head size 64
  <name>.logits.f32                    logits at every position, raw little-endian float32 [positions x V]
  <name>.c.f32                         compressed keys c_t at every position, raw LE float32 [positions x R]
  goldfinch-l4-c64-fp32.rope10k.logits.f32   the fp32 model's logits with RoPE theta = 10000 (§4.2)
  fixtures.json                        what the files are: shapes, split, tokens, tolerance

The expectations are computed from the weights as stored (bf16 values widened exactly), in float64, by
the path (a) forward and cross-checked against the token-by-token forward and the streaming window.

Usage: /usr/bin/python3 tools/make_goldfinch_fixtures.py [OUTPUT_DIR]
"""

import collections
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goldfinch_ref as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "engine", "src", "test", "resources", "fixtures", "goldfinch")
SEED = 20240717  # arXiv 2407.12077
POSITIONS = 40
VOCAB = 96
TOLERANCE = 1e-4
ROPE_THETA = 10000.0

MODELS = [
    # name, dtype, n_layer, n_embd, head_size
    ("goldfinch-l4-c64-fp32", "fp32", 4, 64, 32),
    ("goldfinch-l6-c64-bf16", "bf16", 6, 64, 64),
]


def official_order(sd):
    """Module registration order of the reference Transformer: emb, blocks, ln_out, head, w_kv_cache_*."""
    def key(name):
        if name.startswith("emb."):
            return (0, 0, name)
        if name.startswith("blocks."):
            return (1, int(name.split(".")[1]), name)
        return (2, 0, name)
    blocks = sorted((n for n in sd if n.startswith("blocks.")), key=lambda n: key(n)[:2])  # stable within block
    rest = sorted((n for n in sd if not n.startswith(("emb.", "blocks."))), key=lambda n: ["ln_out.weight",
                  "ln_out.bias", "head.weight", "w_kv_cache_a.weight", "w_kv_cache_b.weight"].index(n))
    return ["emb.weight"] + blocks + rest


def save_pth(sd, path, dtype):
    tdt = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    od = collections.OrderedDict((n, torch.from_numpy(sd[n]).to(tdt).contiguous()) for n in official_order(sd))
    torch.save(od, path)


def write_f32(path, arr):
    np.asarray(arr, dtype="<f4").tofile(path)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    tokens = rng.integers(0, VOCAB, POSITIONS)
    tokens[0], tokens[7], tokens[8] = 0, VOCAB - 1, VOCAB - 1  # edge ids and a repeated token
    tokens = [int(t) for t in tokens]
    entries = []
    for name, dtype, n_layer, n_embd, head_size in MODELS:
        sd = ref.random_state_dict(rng, n_layer, n_embd, head_size, VOCAB)
        pth = os.path.join(out_dir, name + ".pth")
        save_pth(sd, pth, dtype)
        m = ref.GoldFinchRef(ref.load_pth(pth))  # the weights as stored
        logits, c = m.forward_parallel(tokens)
        rec_logits, rec_c = m.forward_recurrent(tokens)
        err = max(ref.max_abs(logits, rec_logits), ref.max_abs(c, rec_c))
        assert err < 1e-10, f"{name}: parallel vs recurrent {err}"
        s = ref.Streaming(m)
        s.ingest(tokens)
        assert ref.max_abs(s.logits(2 * m.G, True), logits[-1]) < 1e-12
        write_f32(os.path.join(out_dir, name + ".logits.f32"), logits)
        write_f32(os.path.join(out_dir, name + ".c.f32"), c)
        entry = {
            "checkpoint": name + ".pth",
            "dtype": dtype,
            "sha256": sha256(pth),
            "n_layer": m.L,
            "finch_layers": m.LF,
            "gold_layers": m.G,
            "n_embd": m.C,
            "head_size": m.N,
            "heads": m.H,
            "dim_ffn": int(sd["blocks.0.ffn.key.weight"].shape[0]),
            "compressed": m.R,
            "dvl": int(sd[f"blocks.{m.LF}.att.time_key_w1"].shape[1]),
            "vocab": m.V,
            "logits": name + ".logits.f32",
            "logits_shape": [len(tokens), m.V],
            "c": name + ".c.f32",
            "c_shape": [len(tokens), m.R],
            "stats": {
                "logit_std": float(logits.std()),
                "logit_max_abs": float(np.abs(logits).max()),
                "c_std": float(c.std()),
                "distinct_argmax": int(len(set(np.argmax(logits, axis=1).tolist()))),
            },
        }
        if dtype == "fp32":
            mr = ref.GoldFinchRef(ref.load_pth(pth), rope_theta=ROPE_THETA)
            rl, _ = mr.forward_parallel(tokens)
            rrl, _ = mr.forward_recurrent(tokens)
            assert ref.max_abs(rl, rrl) < 1e-10
            write_f32(os.path.join(out_dir, name + ".rope10k.logits.f32"), rl)
            entry["rope"] = {"theta": ROPE_THETA, "logits": name + ".rope10k.logits.f32"}
        entries.append(entry)
        print(f"{name}: L={m.L} ({m.LF} Finch-C2 + {m.G} GOLD) C={m.C} H={m.H}x{m.N} R={m.R} V={m.V}; "
              f"logit std {entry['stats']['logit_std']:.3f}, max |logit| {entry['stats']['logit_max_abs']:.2f}, "
              f"{entry['stats']['distinct_argmax']} distinct argmax over {len(tokens)} positions")
    meta = {
        "description": "Random GoldFinch checkpoints (official .pth layout) and float64 expectations of "
                       "tools/goldfinch_ref.py; regenerate with tools/make_goldfinch_fixtures.py",
        "generator": "tools/make_goldfinch_fixtures.py",
        "seed": SEED,
        "tokens": tokens,
        "tolerance_max_abs_logit": TOLERANCE,
        "layout": "raw little-endian float32, row-major [positions x width]",
        "models": entries,
    }
    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in os.listdir(out_dir))
    print(f"wrote {out_dir}: {total} bytes")


if __name__ == "__main__":
    make(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT)
