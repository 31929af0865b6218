#!/usr/bin/python3
"""Independent float64 NumPy reference of Finch (RWKV-6) inference, RNN mode.

Implements the equations of docs finch-math.md section 2 one step at a time, on weights given under
their canonical .pth names and shapes (section 3.1). It shares no code with the Java engine and is
meant to produce expected logits for tests.

Weights can be read from
  * an rwkv.cpp ggml file (FP32/FP16; converter transforms undone, section 5.2), and
  * anything that gives a {name: array} dict (make_finch_fixtures.py passes torch tensors).

Usage:
  finch_ref.py check-ggml MODEL.bin EXPECTED.bin [--tokens 34,105,110] [--tol 1e-5]
      run the tokens from a zero state and compare the last logits with a file of
      float32 little-endian logits (rwkv.cpp tests/expected-logits-*.bin)
  finch_ref.py logits MODEL.bin --tokens 1,2,3
      print the logits after each token (top 5)
  finch_ref.py loss MODEL.bin --text-file F
      byte-level models: the mean next-byte loss (nats) of the text from a zero state, every byte but
      the first predicted (what `finchstream eval` computes with no --context), as one JSON line

Needs only numpy (Debian /usr/bin/python3: numpy 1.24).
"""

import argparse
import json
import struct
import sys

import numpy as np

GGML_MAGIC = 0x67676D66
GGML_VERSION = 101
LN_EPS = 1e-5          # nn.LayerNorm default (section 1)
GN_EPS = 64e-5         # ln_x GroupNorm: 1e-5 * head_size_divisor**2 (section 2.4)


# --------------------------------------------------------------------------------------------
# Loading


def load_ggml(path):
    """Reads an rwkv.cpp ggml FP32/FP16 file into {canonical name: float64 array}."""
    with open(path, "rb") as f:
        data = f.read()
    magic, version, n_vocab, n_embed, n_layer, _ = struct.unpack_from("<6i", data, 0)
    if magic != GGML_MAGIC or version != GGML_VERSION:
        raise ValueError(f"{path}: not an rwkv.cpp v{GGML_VERSION} file")
    pos = 24
    out = {}
    while pos < len(data):
        n_dims, key_len, dtype = struct.unpack_from("<3i", data, pos)
        pos += 12
        ne = struct.unpack_from(f"<{n_dims}i", data, pos)
        pos += 4 * n_dims
        key = data[pos:pos + key_len].decode("utf-8")
        pos += key_len
        numel = int(np.prod(ne))
        if dtype == 0:
            arr = np.frombuffer(data, "<f4", numel, pos)
            pos += 4 * numel
        elif dtype == 1:
            arr = np.frombuffer(data, "<f2", numel, pos)
            pos += 2 * numel
        else:
            raise ValueError(f"{path}: {key} has data type {dtype}; use an FP32/FP16 file")
        stored = arr.astype(np.float64).reshape(tuple(reversed(ne)))
        out[key] = _undo_ggml_transform(key, stored)
    if out["emb.weight"].shape != (n_vocab, n_embed):
        raise ValueError(f"{path}: header and emb.weight disagree")
    return out


def _undo_ggml_transform(key, a):
    """convert_pytorch_to_ggml.py transposes/squeezes some v6 tensors; give back the .pth shape."""
    leaf = key.rsplit(".", 1)[-1]
    if leaf in ("time_maa_w1", "time_decay_w1", "time_decay_w2"):
        return np.ascontiguousarray(a.T)
    if leaf == "time_maa_w2":                      # stored [5, C, D] -> [5, D, C]
        return np.ascontiguousarray(a.transpose(0, 2, 1))
    if leaf == "time_faaaa":                       # stored [H, N, 1] -> [H, N]
        return a.reshape(a.shape[0], a.shape[1])
    if leaf.startswith("time_"):                   # squeezed -> [1, 1, C]
        return a.reshape(1, 1, -1)
    return a


# --------------------------------------------------------------------------------------------
# The model (section 2)


def layer_norm(x, w, b, eps=LN_EPS):
    mu = x.mean()
    var = ((x - mu) ** 2).mean()                  # biased variance
    return (x - mu) / np.sqrt(var + eps) * w + b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class FinchRef:
    """Finch in float64, one token at a time. Dimensions are inferred from tensor shapes (sec. 1)."""

    def __init__(self, weights):
        self.w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
        self.n_layer = 1 + max(int(k.split(".")[1]) for k in self.w if k.startswith("blocks."))
        self.n_vocab, self.n_embd = self.w["emb.weight"].shape
        self.n_head, self.head_size = self.w["blocks.0.att.time_faaaa"].shape
        self.d_mix = self.w["blocks.0.att.time_maa_w1"].shape[1] // 5
        self.d_decay = self.w["blocks.0.att.time_decay_w1"].shape[1]

    def new_state(self):
        L, C, H, N = self.n_layer, self.n_embd, self.n_head, self.head_size
        return {
            "att_x": np.zeros((L, C)),             # LN1 output of the previous token
            "ffn_x": np.zeros((L, C)),             # LN2 output of the previous token
            "S": np.zeros((L, H, N, N)),           # S[h][i=key][j=value]
        }

    def step(self, token, state):
        """Feeds one token, updates state in place, returns the logits [V]."""
        w = self.w
        x = w["emb.weight"][token]
        x = layer_norm(x, w["blocks.0.ln0.weight"], w["blocks.0.ln0.bias"])     # only once
        for i in range(self.n_layer):
            p = f"blocks.{i}."
            xx = layer_norm(x, w[p + "ln1.weight"], w[p + "ln1.bias"])
            x = x + self.time_mix(i, xx, state)
            xx = layer_norm(x, w[p + "ln2.weight"], w[p + "ln2.bias"])
            x = x + self.channel_mix(i, xx, state)
        x = layer_norm(x, w["ln_out.weight"], w["ln_out.bias"])
        return w["head.weight"] @ x

    def time_mix(self, i, xx, state):
        w = self.w
        p = f"blocks.{i}.att."
        H, N, D = self.n_head, self.head_size, self.d_mix
        sx = state["att_x"][i] - xx                # section 2.2
        state["att_x"][i] = xx
        xxx = xx + sx * w[p + "time_maa_x"].reshape(-1)
        h = np.tanh(xxx @ w[p + "time_maa_w1"]).reshape(5, D)          # chunks w,k,v,r,g
        m = np.stack([h[f] @ w[p + "time_maa_w2"][f] for f in range(5)])   # [5, C]
        mw, mk, mv, mr, mg = m
        xw = xx + sx * (w[p + "time_maa_w"].reshape(-1) + mw)
        xk = xx + sx * (w[p + "time_maa_k"].reshape(-1) + mk)
        xv = xx + sx * (w[p + "time_maa_v"].reshape(-1) + mv)
        xr = xx + sx * (w[p + "time_maa_r"].reshape(-1) + mr)
        xg = xx + sx * (w[p + "time_maa_g"].reshape(-1) + mg)
        r = w[p + "receptance.weight"] @ xr
        k = w[p + "key.weight"] @ xk
        v = w[p + "value.weight"] @ xv
        gz = w[p + "gate.weight"] @ xg
        g = gz * sigmoid(gz)                       # silu
        wlog = w[p + "time_decay"].reshape(-1) + np.tanh(xw @ w[p + "time_decay_w1"]) @ w[p + "time_decay_w2"]
        decay = np.exp(-np.exp(wlog))
        u = w[p + "time_faaaa"]                    # [H, N], raw
        r, k, v, decay = (a.reshape(H, N) for a in (r, k, v, decay))
        S = state["S"][i]                          # [H, N(key), N(value)]
        kv = k[:, :, None] * v[:, None, :]         # section 2.3
        y = np.einsum("hi,hij->hj", r, u[:, :, None] * kv + S)   # old state
        state["S"][i] = decay[:, :, None] * S + kv
        mu = y.mean(axis=1, keepdims=True)         # section 2.4: GroupNorm per head
        var = ((y - mu) ** 2).mean(axis=1, keepdims=True)
        y = ((y - mu) / np.sqrt(var + GN_EPS)).reshape(-1)
        y = (y * w[p + "ln_x.weight"] + w[p + "ln_x.bias"]) * g
        return w[p + "output.weight"] @ y

    def channel_mix(self, i, xx, state):
        w = self.w
        p = f"blocks.{i}.ffn."
        sx = state["ffn_x"][i] - xx                # section 2.5
        state["ffn_x"][i] = xx
        xk = xx + sx * w[p + "time_maa_k"].reshape(-1)
        xr = xx + sx * w[p + "time_maa_r"].reshape(-1)
        kk = np.maximum(w[p + "key.weight"] @ xk, 0.0) ** 2
        return sigmoid(w[p + "receptance.weight"] @ xr) * (w[p + "value.weight"] @ kk)

    def run(self, tokens, state=None):
        """Logits after every token, [T, V] float64, from a zero state unless one is given."""
        state = self.new_state() if state is None else state
        return np.stack([self.step(t, state) for t in tokens])


# --------------------------------------------------------------------------------------------
# CLI


def _tokens(text):
    return [int(t) for t in text.split(",") if t.strip()]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check-ggml", help="compare with expected rwkv.cpp logits")
    chk.add_argument("model")
    chk.add_argument("expected")
    chk.add_argument("--tokens", default="34,105,110")
    chk.add_argument("--tol", type=float, default=1e-5)
    lg = sub.add_parser("logits", help="print top logits after each token")
    lg.add_argument("model")
    lg.add_argument("--tokens", required=True)
    ls = sub.add_parser("loss", help="mean next-byte loss of a text (byte-level models)")
    ls.add_argument("model")
    ls.add_argument("--text-file", required=True)
    args = ap.parse_args(argv)

    model = FinchRef(load_ggml(args.model))
    if args.cmd == "loss":
        with open(args.text_file, "rb") as f:
            text = f.read()
        if model.n_vocab != 256:
            raise SystemExit("loss: only byte-level (vocab 256) models")
        logits = model.run(list(text[:-1]))
        top = logits.max(axis=1)
        lse = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
        nats = float((lse - logits[np.arange(len(text) - 1), list(text[1:])]).sum())
        print(json.dumps({"tokens": len(text) - 1, "loss_nats_per_token": nats / (len(text) - 1)}))
        return 0
    logits = model.run(_tokens(args.tokens))
    if args.cmd == "check-ggml":
        expected = np.fromfile(args.expected, dtype="<f4").astype(np.float64)
        diff = np.abs(logits[-1] - expected)
        print(f"L={model.n_layer} C={model.n_embd} H={model.n_head} N={model.head_size} "
              f"V={model.n_vocab}: max |logit - expected| = {diff.max():.3e} "
              f"(argmax {int(diff.argmax())}), signed sum {float((logits[-1] - expected).sum()):+.3e}")
        return 0 if diff.max() <= args.tol else 1
    for t, row in zip(_tokens(args.tokens), logits):
        top = np.argsort(-row)[:5]
        print(t, " ".join(f"{j}:{row[j]:.6f}" for j in top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
