#!/usr/bin/python3
"""Trains the byte-level demo models (Finch and GoldFinch) on tinyshakespeare and writes them for the engine.

Our own model code, written from ../shared/docs/finch-math.md (Finch = RWKV-6, §2) and goldfinch-math.md
(Finch-C2 §2, compression §3, GOLD §4). It runs the same functions as the engine's RNN mode, in the parallel
("GPT mode") form that trains fast on a CPU: every layer over a whole window at once, the WKV recurrence
chunked (exact within a chunk through pairwise decay products, the state carried between chunks), GOLD
as causal softmax attention. `verify` proves the parallel form equals the repository's independent
float64 RNN references (tools/finch_ref.py, tools/goldfinch_ref.py) on random weights.

Data: ../shared/data/tinyshakespeare.txt as bytes (vocab 256, token = byte value); the first 90% trains,
the last 10% is held out. Training samples random windows of --context + 1 bytes from the training part
(seeded). Evaluation ("held-out loss") splits a text into consecutive windows of --context tokens, each
run from a fresh (zero) state; every token but the first of the text is predicted once, from the tokens
before it in its window: window w feeds tokens [w*ctx, (w+1)*ctx] and scores the ctx predictions after
each of its first ctx tokens. `finchstream eval --context N` evaluates the same way.

Outputs (models/ by default):
  <arch>-shakespeare-L<L>-C<C>.safetensors   BF16 weights under the official .pth names and shapes
                                            (finch-math §3.1, goldfinch-math §6.3), which the engine loads
  <arch>-shakespeare-L<L>-C<C>.json         config, parameter count, seed, threads, BLAS, wall and CPU
                                            time, the training curve, the held-out loss of the shipped
                                            BF16 weights, and an "exactness" record: the loss of a short
                                            held-out slice that the Java tests reproduce with the engine

Usage (from the repository root; see models/README.md for the exact commands used):
  train_demo_models.py train --arch goldfinch --steps 3000      train, write the model and its JSON
  train_demo_models.py verify                                   parallel form == RNN references (float64)
  train_demo_models.py eval MODEL.safetensors [--text-file F] [--context 512]
                                                                loss of a safetensors model (float64)
  train_demo_models.py sample MODEL.safetensors --prompt TEXT   sample a continuation (a quick look)
  train_demo_models.py plot RECORD.json...                      the training curves as a PNG (matplotlib)

Needs Debian's /usr/bin/python3 (torch 1.13, numpy 1.24). Matmuls are far faster with OpenBLAS than with
the reference BLAS Debian's torch links by default: install libopenblas0-openmp and run with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp (the JSON records which BLAS was loaded).
Results are reproducible for the same seed, thread count, BLAS and machine.
"""

import argparse
import hashlib
import json
import math
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("FINCHSTREAM_SHARED", os.path.join(REPO, "..", "shared"))
DATA = os.path.join(SHARED, "data", "tinyshakespeare.txt")

VOCAB = 256  # byte-level: token = byte value
LN_EPS = 1e-5  # nn.LayerNorm default (finch-math §1, goldfinch-math §1)
GN_EPS = 64e-5  # Finch ln_x GroupNorm (finch-math §2.4)
RMS_EPS = 1e-8  # added to the RMS (goldfinch-math §3.1)
TRAIN_FRACTION = 0.9
EXACTNESS_BYTES = 2048  # the held-out slice the Java tests evaluate with the engine


# ------------------------------------------------------------------------------------------------
# Sizes


class Config:
    """Model sizes. Legend as in the specs: L layers, C = n_embd = dim_att, N head size, H = C/N heads,
    F dim_ffn, R compressed key width (GoldFinch), L_F Finch-C2 blocks then G = L - L_F GOLD blocks."""

    def __init__(self, arch, n_layer, n_embd, head_size=64):
        self.arch = arch
        self.L, self.C, self.N = n_layer, n_embd, head_size
        self.H = n_embd // head_size
        self.F = int((n_embd * 3.5) // 32 * 32)  # finch-math §1
        self.V = VOCAB
        self.d_mix, self.d_decay = 32, 64  # token-shift and decay LoRA ranks
        self.d_v2, self.d_q, self.d_kv = 64, 32, 32  # Finch-C2 value2, GOLD query and kv-mix ranks
        self.R = n_embd // 16  # goldfinch-math §3.1
        self.d_vl = max(n_embd // 16, 64)  # DVL
        self.LF = int(n_layer * 2 / 3) if arch == "goldfinch" else n_layer  # r = 3 (goldfinch-math §1)
        assert self.H * self.N == self.C

    def as_json(self):
        return {"arch": self.arch, "layers": self.L, "dim": self.C, "head_size": self.N, "heads": self.H,
                "ffn": self.F, "vocab": self.V, "finch_layers": self.LF, "gold_layers": self.L - self.LF,
                "compressed": self.R if self.arch == "goldfinch" else None}


# ------------------------------------------------------------------------------------------------
# Elementary operations (x is [B, T, C])


def token_shift(x):
    """x_{t-1} with zeros before the first token (every window starts from the zero state)."""
    return F.pad(x, (0, 0, 1, -1))


def layer_norm(x, ln):
    return F.layer_norm(x, (x.shape[-1],), ln.weight, ln.bias, LN_EPS)


def group_norm(y, heads, ln):
    """Finch ln_x: per-head normalisation (biased variance, eps 64e-5), then the per-channel affine."""
    B, T, C = y.shape
    g = y.view(B, T, heads, C // heads)
    mu = g.mean(-1, keepdim=True)
    var = ((g - mu) ** 2).mean(-1, keepdim=True)
    return ((g - mu) / torch.sqrt(var + GN_EPS)).view(B, T, C) * ln.weight + ln.bias


def rms(x):
    """x / (||x||_2 / sqrt(n) + 1e-8), no weight (goldfinch-math §3.1)."""
    return x / (torch.sqrt((x * x).mean(-1, keepdim=True)) + RMS_EPS)


# Largest decay (in nats, -Σ logw) across one chunk for which the factorised intra-chunk product stays far
# from overflow; beyond it the pairwise form is used (both are exact, see wkv()).
FACTOR_LIMIT = {torch.float32: 60.0, torch.float64: 600.0}
stats = {"wkv_calls": 0, "wkv_pairwise": 0}


def wkv(r, k, v, logw, u, N, chunk=16):
    """The WKV recurrence of a window from the zero state, in chunked parallel form.

    RNN mode (finch-math §2.3, per head, S[i = key][j = value]):
        y_t = r_t · (diag(u) k_tᵀ v_t + S_{t-1}),   S_t = diag(w_t) S_{t-1} + k_tᵀ v_t,   w_t = exp(logw_t)
    so y_t = r_t·diag(u)k_tᵀv_t + Σ_{s<t} (r_t ⊙ Π_{j=s+1}^{t-1} w_j ⊙ k_s) · v_s. u = None means u = 0
    (Finch-C2). With Λ_t = Σ_{j<=t} logw_j, counted from the start of the chunk, the product is
    exp(Λ_{t-1} - Λ_s), which is at most 1.
      within a chunk:  A[t, s] = Σ_n r_t[n] k_s[n] exp(Λ_{t-1}[n] - Λ_s[n]) for s < t, computed as the matrix
                       product of r_t ⊙ exp(Λ_{t-1} - Λ_m) and k_s ⊙ exp(Λ_m - Λ_s) (m the middle of the
                       chunk), whose factors stay below exp(the decay across the chunk); when that decay
                       exceeds FACTOR_LIMIT the exponent is formed pairwise instead ([Q, Q, N] per chunk).
      across chunks:   the state entering a chunk adds (r_t ⊙ exp(Λ_{t-1})) S and leaves as
                       diag(exp(Λ_last)) S + Σ_s (k_s ⊙ exp(Λ_last - Λ_s))ᵀ v_s: all exponents <= 0.
    r, k, v, logw: [B, T, C] -> y [B, T, C].
    """
    B, T, C = r.shape
    H = C // N
    pad = (-T) % chunk
    if pad:  # trailing zeros change nothing before them (causal)
        r, k, v, logw = (F.pad(a, (0, 0, 0, pad)) for a in (r, k, v, logw))
    nc = (T + pad) // chunk

    def heads(a):  # [B, T, C] -> [B, H, nc, Q, N]
        return a.view(B, nc, chunk, H, N).permute(0, 3, 1, 2, 4)

    r, k, v, logw = heads(r), heads(k), heads(v), heads(logw)
    lc = logw.cumsum(3)  # Λ_t (inclusive)
    lp = lc - logw  # Λ_{t-1}
    below = torch.ones(chunk, chunk, dtype=torch.bool).tril(-1)  # s < t
    stats["wkv_calls"] += 1
    if float(-lc[:, :, :, -1, :].min()) <= FACTOR_LIMIT[r.dtype]:
        mid = lc[:, :, :, chunk // 2 - 1:chunk // 2, :]
        att = (r * torch.exp(lp - mid)) @ (k * torch.exp(mid - lc)).transpose(-1, -2)  # [B, H, nc, Q, Q]
        att = att.masked_fill(~below, 0.0)
    else:
        stats["wkv_pairwise"] += 1
        diff = lp.unsqueeze(4) - lc.unsqueeze(3)  # [B, H, nc, Q(t), Q(s), N]
        diff = diff.masked_fill(~below[:, :, None], float("-inf"))
        att = (r.unsqueeze(4) * k.unsqueeze(3) * torch.exp(diff)).sum(-1)
    y = att @ v
    if u is not None:  # the bonus term of the current token
        y = y + (r * u.view(1, H, 1, 1, N) * k).sum(-1, keepdim=True) * v
    rd = r * torch.exp(lp)
    kd = k * torch.exp(lc[:, :, :, -1:, :] - lc)
    through = torch.exp(lc[:, :, :, -1, :])  # [B, H, nc, N]
    S = r.new_zeros(B, H, N, N)
    carried = []
    # unbind, not indexing: the backward of an index allocates a full-size gradient per chunk
    for rc, kc, vc, wc in zip(rd.unbind(2), kd.unbind(2), v.unbind(2), through.unbind(2)):
        carried.append(rc @ S)
        S = wc.unsqueeze(-1) * S + kc.transpose(-1, -2) @ vc
    y = y + torch.stack(carried, 2)
    return y.permute(0, 2, 3, 1, 4).reshape(B, nc * chunk, C)[:, :T]


# ------------------------------------------------------------------------------------------------
# Modules: attribute names are the checkpoint names, so state_dict() is the official layout


def vec(C, value=0.0):
    return nn.Parameter(torch.full((1, 1, C), float(value)))


def linear(n_in, n_out):
    return nn.Linear(n_in, n_out, bias=False)


class LayerNormParams(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.bias = nn.Parameter(torch.zeros(n))


class FinchTimeMix(nn.Module):
    """Finch (RWKV-6) time mix, finch-math §2.2–2.4: ddlerp LoRA order w,k,v,r,g; bonus u; GroupNorm; gate."""

    def __init__(self, cfg):
        super().__init__()
        C, D = cfg.C, cfg.d_mix
        self.cfg = cfg
        for name in ("x", "w", "k", "v", "r", "g"):
            setattr(self, "time_maa_" + name, vec(C))
        self.time_maa_w1 = nn.Parameter(torch.zeros(C, 5 * D))
        self.time_maa_w2 = nn.Parameter(torch.zeros(5, D, C))
        self.time_decay = vec(C)
        self.time_decay_w1 = nn.Parameter(torch.zeros(C, cfg.d_decay))
        self.time_decay_w2 = nn.Parameter(torch.zeros(cfg.d_decay, C))
        self.time_faaaa = nn.Parameter(torch.zeros(cfg.H, cfg.N))
        self.receptance = linear(C, C)
        self.key = linear(C, C)
        self.value = linear(C, C)
        self.output = linear(C, C)
        self.gate = linear(C, C)
        self.ln_x = LayerNormParams(C)

    def forward(self, x):
        B, T, C = x.shape
        D = self.cfg.d_mix
        d = token_shift(x) - x  # sx = prev − cur
        h = torch.tanh((x + d * self.time_maa_x) @ self.time_maa_w1).view(B, T, 5, D)
        m = torch.einsum("btfd,fdc->fbtc", h, self.time_maa_w2)  # w, k, v, r, g
        xw, xk, xv, xr, xg = (x + d * (mix + m[f]) for f, mix in enumerate(
            (self.time_maa_w, self.time_maa_k, self.time_maa_v, self.time_maa_r, self.time_maa_g)))
        r, k, v = self.receptance(xr), self.key(xk), self.value(xv)
        g = F.silu(self.gate(xg))
        logw = -torch.exp(self.time_decay + torch.tanh(xw @ self.time_decay_w1) @ self.time_decay_w2)
        y = wkv(r, k, v, logw, self.time_faaaa, self.cfg.N)
        return self.output(group_norm(y, self.cfg.H, self.ln_x) * g)


class FinchC2TimeMix(nn.Module):
    """Finch-C2, goldfinch-math §2.2: LoRA order r,k,v,w,v2; no gate; u = 0; k ⊙ (1 − w); a second value
    u' = W_V x_v2 + LoRA added to the readout; full-width LayerNorm."""

    def __init__(self, cfg):
        super().__init__()
        C, D = cfg.C, cfg.d_mix
        self.cfg = cfg
        for name in ("x", "r", "k", "v", "w", "v2"):
            setattr(self, "time_maa_" + name, vec(C))
        self.time_maa_w1 = nn.Parameter(torch.zeros(C, 5 * D))
        self.time_maa_w2 = nn.Parameter(torch.zeros(5, D, C))
        self.time_decay = vec(C)
        self.time_decay_w1 = nn.Parameter(torch.zeros(C, cfg.d_decay))
        self.time_decay_w2 = nn.Parameter(torch.zeros(cfg.d_decay, C))
        self.time_value2_w1 = nn.Parameter(torch.zeros(C, cfg.d_v2))
        self.time_value2_w2 = nn.Parameter(torch.zeros(cfg.d_v2, C))
        self.time_faaaa = nn.Parameter(torch.zeros(cfg.H, cfg.N))  # stored, unused (u = 0)
        self.receptance = linear(C, C)
        self.key = linear(C, C)
        self.value = linear(C, C)
        self.output = linear(C, C)
        self.ln_x = LayerNormParams(C)

    def forward(self, x):
        B, T, C = x.shape
        D = self.cfg.d_mix
        d = token_shift(x) - x
        h = torch.tanh((x + d * self.time_maa_x) @ self.time_maa_w1).view(B, T, 5, D)
        m = torch.einsum("btfd,fdc->fbtc", h, self.time_maa_w2)  # r, k, v, w, v2
        xr, xk, xv, xw, xv2 = (x + d * (mix + m[f]) for f, mix in enumerate(
            (self.time_maa_r, self.time_maa_k, self.time_maa_v, self.time_maa_w, self.time_maa_v2)))
        r, k, v = self.receptance(xr), self.key(xk), self.value(xv)
        v2 = self.value(xv2) + torch.tanh(xv2 @ self.time_value2_w1) @ self.time_value2_w2
        logw = -torch.exp(self.time_decay + torch.tanh(xw @ self.time_decay_w1) @ self.time_decay_w2)
        k = k * (1.0 - torch.exp(logw))
        y = wkv(r, k, v, logw, None, self.cfg.N) + v2
        return self.output(layer_norm(y, self.ln_x))


class GoldTimeMix(nn.Module):
    """GOLD attention, goldfinch-math §4: keys/values rebuilt from the cache (kD, RMS(e)) with their own
    token shifts, query with a token-shift LoRA, causal softmax attention including the current token,
    scale 1/sqrt(N), no positional encoding, full-width LayerNorm, output projection."""

    def __init__(self, cfg):
        super().__init__()
        C = cfg.C
        self.cfg = cfg
        for name in ("x", "q", "v_cache", "k", "v"):
            setattr(self, "time_maa_" + name, vec(C))
        self.time_maa_q_w1 = nn.Parameter(torch.zeros(C, cfg.d_q))
        self.time_maa_q_w2 = nn.Parameter(torch.zeros(cfg.d_q, C))
        self.time_maa_kv_w1 = nn.Parameter(torch.zeros(C, 2 * cfg.d_kv))
        self.time_maa_kv_w2 = nn.Parameter(torch.zeros(2, cfg.d_kv, C))
        self.time_key_w1 = nn.Parameter(torch.zeros(C, cfg.d_vl))
        self.time_key_w2 = nn.Parameter(torch.zeros(cfg.d_vl, C))
        self.time_value_w1 = nn.Parameter(torch.zeros(C, cfg.d_vl))
        self.time_value_w2 = nn.Parameter(torch.zeros(cfg.d_vl, C))
        self.query = linear(C, C)
        self.output = linear(C, C)
        for ln in ("ln_q", "ln_k", "ln_v", "ln_x"):
            setattr(self, ln, LayerNormParams(C))

    def keys_values(self, kd, eh):
        """§4.1: this layer's k, v at every position from kD and ê = RMS(e) (zeros before position 0)."""
        D = self.cfg.d_kv
        kd_prev, eh_prev = token_shift(kd), token_shift(eh)
        g = torch.tanh((eh + (eh_prev - eh) * self.time_maa_v_cache) @ self.time_maa_kv_w1)
        mk = g[..., :D] @ self.time_maa_kv_w2[0]
        mv = g[..., D:] @ self.time_maa_kv_w2[1]
        k1 = kd + (kd_prev - kd) * (self.time_maa_k + mk)
        v1 = eh + (eh_prev - eh) * (self.time_maa_v + mv)
        k2 = k1 + torch.tanh(k1 @ self.time_key_w1) @ self.time_key_w2
        v2 = v1 + torch.tanh(v1 @ self.time_value_w1) @ self.time_value_w2
        return layer_norm(k2, self.ln_k), layer_norm(v2, self.ln_v)

    def forward(self, x, kd, eh):
        B, T, C = x.shape
        H, N = self.cfg.H, self.cfg.N
        d = token_shift(x) - x
        mq = torch.tanh((x + d * self.time_maa_x) @ self.time_maa_q_w1) @ self.time_maa_q_w2
        q = layer_norm(self.query(x + d * (self.time_maa_q + mq)), self.ln_q)
        k, v = self.keys_values(kd, eh)
        q, k, v = (a.view(B, T, H, N).transpose(1, 2) for a in (q, k, v))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(N)
        future = torch.ones(T, T, dtype=torch.bool).triu(1)
        o = torch.softmax(scores.masked_fill(future, float("-inf")), -1) @ v
        return self.output(layer_norm(o.transpose(1, 2).reshape(B, T, C), self.ln_x))


class ChannelMix(nn.Module):
    """Finch channel mix (finch-math §2.5; every block of both models)."""

    def __init__(self, cfg):
        super().__init__()
        C = cfg.C
        self.time_maa_k = vec(C)
        self.time_maa_r = vec(C)
        self.key = linear(C, cfg.F)
        self.receptance = linear(C, C)
        self.value = linear(cfg.F, C)

    def forward(self, x):
        d = token_shift(x) - x
        kk = torch.relu(self.key(x + d * self.time_maa_k)) ** 2
        return torch.sigmoid(self.receptance(x + d * self.time_maa_r)) * self.value(kk)


class Block(nn.Module):
    def __init__(self, cfg, i, kind):
        super().__init__()
        self.ln1 = LayerNormParams(cfg.C)
        self.ln2 = LayerNormParams(cfg.C)
        if i == 0:
            self.ln0 = LayerNormParams(cfg.C)
        self.kind = kind
        self.att = {"finch": FinchTimeMix, "finch_c2": FinchC2TimeMix, "gold": GoldTimeMix}[kind](cfg)
        self.ffn = ChannelMix(cfg)

    def forward(self, h, *gold_inputs):
        x = layer_norm(h, self.ln1)
        h = h + self.att(x, *gold_inputs)
        return h + self.ffn(layer_norm(h, self.ln2))


class Model(nn.Module):
    """Finch (all blocks Finch) or GoldFinch (L_F Finch-C2 blocks, the compression, G GOLD blocks)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.V, cfg.C)
        if cfg.arch == "finch":
            kinds = ["finch"] * cfg.L
        else:
            kinds = ["finch_c2"] * cfg.LF + ["gold"] * (cfg.L - cfg.LF)
        self.blocks = nn.ModuleList(Block(cfg, i, kind) for i, kind in enumerate(kinds))
        self.ln_out = LayerNormParams(cfg.C)
        self.head = linear(cfg.C, cfg.V)
        if cfg.arch == "goldfinch":
            self.w_kv_cache_a = linear(cfg.C, cfg.R)  # [R, C]
            self.w_kv_cache_b = linear(cfg.C + cfg.R, cfg.C)  # [A, C + R]

    def forward(self, tokens):
        """tokens [B, T] -> logits [B, T, V] (row t predicts token t + 1)."""
        e = layer_norm(self.emb(tokens), self.blocks[0].ln0)
        h = e
        for i, block in enumerate(self.blocks):
            if block.kind == "gold":
                h = block(h, kd, eh)  # noqa: F821 (set at the boundary below)
            else:
                h = block(h)
            if i == self.cfg.LF - 1 and self.cfg.arch == "goldfinch":
                c = self.w_kv_cache_a(h)  # §3.1: c = W_KD hF
                kd = rms(self.w_kv_cache_b(torch.cat([e, c], -1)))  # kD = RMS(W_KU [e; c])
                eh = rms(e)
        return self.head(layer_norm(h, self.ln_out))


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------------------------------
# Initialisation (our choices; the scales follow the RWKV practice: small embeddings under ln0, zero
# output projections so every block starts as the identity, token-shift mixes and decays as ramps
# across channels and layers, LoRA up-projections at zero)


def initialise(model, gen):
    cfg = model.cfg
    C, L = cfg.C, cfg.L
    ramp = torch.arange(C, dtype=torch.float32) / C  # 0 .. 1 across channels

    def normal_(t, std):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=gen) * std)

    def uniform_(t, lo, hi):
        with torch.no_grad():
            t.copy_(torch.rand(t.shape, generator=gen) * (hi - lo) + lo)

    uniform_(model.emb.weight, -1e-4, 1e-4)
    normal_(model.head.weight, 0.5 / math.sqrt(C))
    for i, block in enumerate(model.blocks):
        depth = i / max(1, L - 1)  # 0 at the first block, 1 at the last
        early = 1.0 - i / L
        mix = 1.0 - ramp ** early  # shift towards the previous token more in early channels/layers
        att, ffn = block.att, block.ffn
        with torch.no_grad():
            for name, p in att.named_parameters(recurse=False):
                if name.startswith("time_maa_") and p.dim() == 3 and p.shape[:2] == (1, 1):
                    p.copy_(mix.view(1, 1, C))
            att.time_maa_v.copy_((mix + 0.3 * depth).clamp(0, 1).view(1, 1, C))
            ffn.time_maa_k.copy_(mix.view(1, 1, C))
            ffn.time_maa_r.copy_(mix.view(1, 1, C))
        for name, p in att.named_parameters(recurse=False):
            if name.endswith("_w1"):
                uniform_(p, -0.01, 0.01)
            elif name.endswith("_w2"):
                with torch.no_grad():
                    p.zero_()
        if block.kind in ("finch", "finch_c2"):
            with torch.no_grad():
                decay = -6.0 + 5.0 * ramp ** (0.7 + 1.3 * depth)  # log(-log w): slow .. fast decays
                att.time_decay.copy_(decay.view(1, 1, C))
                zigzag = ((torch.arange(C) % 3) - 1).float() * 0.1
                att.time_faaaa.copy_((ramp * (1.0 - depth) + zigzag).view(cfg.H, cfg.N))
            for lin in (att.receptance, att.key, att.value):
                normal_(lin.weight, 1.0 / math.sqrt(C))
            if block.kind == "finch":
                normal_(att.gate.weight, 0.1 / math.sqrt(C))
        else:
            normal_(att.query.weight, 1.0 / math.sqrt(C))
        with torch.no_grad():
            att.output.weight.zero_()
        normal_(ffn.key.weight, 1.0 / math.sqrt(C))
        with torch.no_grad():
            ffn.receptance.weight.zero_()
            ffn.value.weight.zero_()
    if cfg.arch == "goldfinch":
        normal_(model.w_kv_cache_a.weight, 1.0 / math.sqrt(C))
        normal_(model.w_kv_cache_b.weight, 1.0 / math.sqrt(C + cfg.R))


# ------------------------------------------------------------------------------------------------
# Data and evaluation


def load_data():
    with open(DATA, "rb") as f:
        data = f.read()
    cut = int(len(data) * TRAIN_FRACTION)
    return data, cut


def windows(n_tokens, context):
    """Evaluation windows over a text of n tokens: (start, end) feeding tokens [start, end), scoring
    tokens start+1 .. end-1; consecutive windows overlap by one token so each token but the first is
    scored exactly once."""
    out = []
    start = 0
    while start < n_tokens - 1:
        end = min(start + context + 1, n_tokens)
        out.append((start, end))
        start += context
    return out


@torch.no_grad()
def evaluate(model, data, context, batch=16, limit_windows=None):
    """(mean loss in nats per predicted token, number of predicted tokens) over a byte string."""
    tokens = torch.tensor(list(data), dtype=torch.long)
    spans = windows(len(tokens), context)
    if limit_windows is not None:
        spans = spans[:limit_windows]
    total, count = 0.0, 0
    model.eval()
    for at in range(0, len(spans), batch):
        group = spans[at:at + batch]
        width = max(e - s for s, e in group) - 1
        x = torch.zeros(len(group), width, dtype=torch.long)
        y = torch.full((len(group), width), -100, dtype=torch.long)
        for row, (s, e) in enumerate(group):
            x[row, :e - s - 1] = tokens[s:e - 1]
            y[row, :e - s - 1] = tokens[s + 1:e]
        logits = model(x).to(torch.float64)
        total += float(F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1), ignore_index=-100,
                                       reduction="sum"))
        count += int((y != -100).sum())
    model.train()
    return total / count, count


# ------------------------------------------------------------------------------------------------
# safetensors (written and read byte by byte: torch 1.13 has no safetensors)


def save_safetensors(state, path, metadata):
    """BF16 (round to nearest even, as torch converts) under the given names, in the given order."""
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        raw = t.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def load_safetensors(path):
    """({name: float32 tensor}, metadata) from a BF16/F32 safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        s, t = e["data_offsets"]
        raw = blob[base + s:base + t]
        if e["dtype"] == "BF16":
            bits = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif e["dtype"] == "F32":
            arr = np.frombuffer(raw, "<f4").copy()
        else:
            raise ValueError(f"{path}: {name} has dtype {e['dtype']}")
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy())
    return out, meta


def model_from_file(path, dtype=torch.float64):
    state, meta = load_safetensors(path)
    cfg = Config(meta["finchstream.arch"], int(meta["finchstream.layers"]), int(meta["finchstream.dim"]),
                 int(meta["finchstream.head_size"]))
    model = Model(cfg)
    model.load_state_dict(state, strict=True)
    return model.to(dtype), meta


# ------------------------------------------------------------------------------------------------
# Training


def blas_library():
    """The BLAS shared library this process loaded (recorded: it decides the speed, and the low bits)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return sorted(libs)
    except OSError:
        return []


def lr_at(step, steps, peak, warmup, floor):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return floor + (peak - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(args.seed)
    data, cut = load_data()
    train_part, held_out = data[:cut], data[cut:]
    train_tokens = torch.tensor(list(train_part), dtype=torch.uint8)
    cfg = Config(args.arch, args.layers, args.dim, args.head_size)
    model = Model(cfg)
    initialise(model, gen)
    params = parameter_count(model)
    name = f"{args.arch}-shakespeare-L{cfg.L}-C{cfg.C}"
    print(f"{name}: {params:,} parameters, {args.steps} steps x {args.batch} x {args.context} tokens, "
          f"{args.threads} threads, BLAS {blas_library()}", flush=True)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() == 2 and not n.startswith("emb.") and "_w" not in n.split(".")[-1] else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.99), eps=1e-8)
    curve = []
    wall0, cpu0 = time.time(), time.process_time()
    running, running_n = 0.0, 0
    n_windows = len(train_tokens) - args.context - 1
    for step in range(args.steps):
        lr = lr_at(step, args.steps, args.lr, args.warmup, args.lr * 0.1)
        for group in opt.param_groups:
            group["lr"] = lr
        starts = torch.randint(0, n_windows, (args.batch,), generator=gen)
        chunk = torch.stack([train_tokens[s:s + args.context + 1] for s in starts.tolist()]).long()
        logits = model(chunk[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running += float(loss)
        running_n += 1
        last = step == args.steps - 1
        if (step + 1) % args.eval_every == 0 or last:
            held, _ = evaluate(model, held_out, args.context, limit_windows=args.eval_windows)
            point = {"step": step + 1, "tokens": (step + 1) * args.batch * args.context,
                     "train_loss": round(running / running_n, 5), "held_out_loss": round(held, 5),
                     "lr": lr, "wall_s": round(time.time() - wall0, 1),
                     "cpu_s": round(time.process_time() - cpu0, 1)}
            curve.append(point)
            running, running_n = 0.0, 0
            print(json.dumps(point), flush=True)
    wall, cpu = time.time() - wall0, time.process_time() - cpu0

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name + ".safetensors")
    meta = {"format": "pt", "finchstream.arch": cfg.arch, "finchstream.layers": cfg.L,
            "finchstream.dim": cfg.C, "finchstream.head_size": cfg.N,
            "finchstream.description": f"a small demo model ({'Finch' if cfg.arch == 'finch' else 'GoldFinch'}, "
                                       f"{params / 1e6:.1f}M parameters, byte-level) trained on Shakespeare's "
                                       "plays: it answers in their style; it is not an assistant",
            "finchstream.data": "tinyshakespeare.txt, first 90% (the last 10% held out)",
            "finchstream.generator": "tools/train_demo_models.py", "finchstream.seed": args.seed,
            "finchstream.steps": args.steps}
    save_safetensors(model.state_dict(), path, meta)

    # everything below uses the weights as shipped (BF16), evaluated in float64
    shipped, _ = model_from_file(path)
    torch.set_num_threads(args.threads)
    held_loss, held_tokens = evaluate(shipped, held_out, args.context)
    slice_bytes = held_out[:EXACTNESS_BYTES]
    slice_loss, slice_tokens = evaluate(shipped, slice_bytes, args.context)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    record = {
        "model": os.path.basename(path), "sha256": digest, "config": cfg.as_json(), "parameters": params,
        "data": {"file": "tinyshakespeare.txt", "bytes": len(data), "train_bytes": cut,
                 "held_out_bytes": len(data) - cut, "split": "first 90% train, last 10% held out"},
        "training": {"seed": args.seed, "steps": args.steps, "batch": args.batch, "context": args.context,
                     "tokens": args.steps * args.batch * args.context, "lr": args.lr, "warmup": args.warmup,
                     "lr_schedule": "linear warmup, cosine to lr/10", "optimizer": "AdamW(0.9, 0.99)",
                     "weight_decay": args.weight_decay, "grad_clip": 1.0, "threads": args.threads,
                     "blas": blas_library(), "torch": torch.__version__, "wall_s": round(wall, 1),
                     "cpu_s": round(cpu, 1), "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024},
        "held_out": {"context": args.context, "tokens": held_tokens, "loss_nats_per_token": held_loss,
                     "bits_per_byte": held_loss / math.log(2),
                     "evaluation": "BF16 weights as shipped, float64, consecutive windows from a zero state"},
        "exactness": {"text": "tinyshakespeare.txt", "offset": cut, "bytes": len(slice_bytes),
                      "sha256": hashlib.sha256(slice_bytes).hexdigest(), "context": args.context,
                      "tokens": slice_tokens, "loss_nats_per_token": slice_loss},
        "curve": curve,
        "command": " ".join(["tools/train_demo_models.py"] + sys.argv[1:]),
    }
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path):,} bytes): held-out loss {held_loss:.4f} nats/token "
          f"({held_loss / math.log(2):.4f} bits/byte) over {held_tokens} tokens; exactness slice "
          f"{slice_loss:.6f}; wall {wall:.0f} s, CPU {cpu:.0f} s", flush=True)


# ------------------------------------------------------------------------------------------------
# verify: the parallel form equals the RNN references


def randomise(model, gen):
    """Every parameter random at a realistic scale (initialise() leaves many at zero)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.split(".")[-1]
            if leaf.startswith("time_maa_") and p.dim() == 3 and p.shape[:2] == (1, 1):
                p.copy_(torch.rand(p.shape, generator=gen))
            elif leaf == "time_decay":
                p.copy_(torch.rand(p.shape, generator=gen) * 6.5 - 5.0)
            elif name.endswith("ln_x.weight") or ".ln" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif leaf == "time_faaaa":
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif leaf.endswith(("_w1", "_w2")):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name == "emb.weight":
                p.copy_(torch.randn(p.shape, generator=gen))
            elif name == "head.weight":
                p.copy_(torch.randn(p.shape, generator=gen) * 3.0 / math.sqrt(p.shape[-1]))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1]))


def verify(_args):
    sys.path.insert(0, HERE)
    import finch_ref
    import goldfinch_ref

    torch.set_num_threads(2)
    gen = torch.Generator().manual_seed(7)
    ok = True
    for arch, layers in (("finch", 2), ("goldfinch", 3)):
        cfg = Config(arch, layers, 64, 16)
        model = Model(cfg).double()
        randomise(model, gen)
        tokens = torch.randint(0, VOCAB, (1, 45), generator=gen)  # not a multiple of the chunk
        ours = model(tokens)[0].detach().numpy()
        sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
        if arch == "finch":
            ref = finch_ref.FinchRef(sd).run(tokens[0].tolist())
        else:
            ref, _ = goldfinch_ref.GoldFinchRef(sd).forward_recurrent(tokens[0].numpy())
        err = float(np.max(np.abs(ours - ref)))
        scale = float(np.max(np.abs(ref)))
        good = err <= 1e-9 * max(1.0, scale)
        ok &= good
        print(f"{arch}: parallel (chunked) form vs {'finch_ref' if arch == 'finch' else 'goldfinch_ref'} RNN "
              f"mode, 45 tokens: max |logit diff| = {err:.3e} (logits up to {scale:.1f}) {'OK' if good else 'FAIL'}")
    # a training window and an evaluation window see the same function: chunk sizes do not matter
    cfg = Config("finch", 1, 64, 16)
    model = Model(cfg).double()
    randomise(model, gen)
    tokens = torch.randint(0, VOCAB, (2, 50), generator=gen)
    a = model(tokens)
    import functools
    global wkv
    plain = wkv
    wkv = functools.partial(plain, chunk=5)
    try:
        b = model(tokens)
    finally:
        wkv = plain
    err = float((a - b).abs().max())
    ok &= err < 1e-10
    print(f"chunk 16 vs chunk 5: max diff {err:.3e} {'OK' if err < 1e-10 else 'FAIL'}")
    print("verify:", "OK" if ok else "FAILED")
    return 0 if ok else 1


# ------------------------------------------------------------------------------------------------
# eval and sample


def eval_command(args):
    torch.set_num_threads(args.threads)
    model, meta = model_from_file(args.model)
    if args.text_file:
        with open(args.text_file, "rb") as f:
            text = f.read()
    else:
        data, cut = load_data()
        text = data[cut:]
        if args.held_out_bytes:
            text = text[:args.held_out_bytes]
    loss, tokens = evaluate(model, text, args.context)
    print(json.dumps({"tokens": tokens, "bytes": tokens, "loss_nats_per_token": loss,
                      "perplexity": math.exp(loss), "bits_per_byte": loss / math.log(2)}))
    return 0


@torch.no_grad()
def sample_command(args):
    torch.set_num_threads(args.threads)
    model, _ = model_from_file(args.model, torch.float32)
    model.eval()
    gen = torch.Generator().manual_seed(args.seed)
    tokens = list(args.prompt.encode("utf-8"))
    for _ in range(args.length):
        logits = model(torch.tensor([tokens[-args.context:]]))[0, -1] / max(args.temperature, 1e-6)
        probs = torch.softmax(logits.double(), -1)
        tokens.append(int(torch.multinomial(probs, 1, generator=gen)))
    sys.stdout.write(bytes(tokens).decode("utf-8", errors="replace") + "\n")
    return 0


def plot_command(args):
    """The training curves of the given JSON records as one PNG (needs python3-matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    colors = {"finch": "tab:blue", "goldfinch": "tab:orange"}
    for path in args.records:
        with open(path) as f:
            rec = json.load(f)
        arch = rec["config"]["arch"]
        label = f"{'Finch' if arch == 'finch' else 'GoldFinch'} ({rec['parameters'] / 1e6:.2f}M params)"
        tokens = [p["tokens"] / 1e6 for p in rec["curve"]]
        ax.plot(tokens, [p["train_loss"] for p in rec["curve"]], "--", color=colors[arch], alpha=0.6,
                label=label + ", train (mean of the last steps)")
        ax.plot(tokens, [p["held_out_loss"] for p in rec["curve"]], "-", color=colors[arch],
                label=label + ", held-out (first windows)")
        final = rec["held_out"]["loss_nats_per_token"]
        ax.axhline(final, color=colors[arch], linewidth=0.7, linestyle=":")
        ax.annotate(f"final held-out {final:.4f} (all {rec['held_out']['tokens']:,} tokens, BF16)",
                    (tokens[-1], final), textcoords="offset points", xytext=(-5, 5 if arch == "finch" else -12),
                    ha="right", fontsize=8, color=colors[arch])
    ax.set_xlabel("training tokens (millions)")
    ax.set_ylabel("loss (nats per byte)")
    ax.set_ylim(args.ymin, args.ymax)
    ax.grid(alpha=0.3)
    ax.set_title("Byte-level Finch vs GoldFinch on tinyshakespeare (L6, C256, same data and budget)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train one model and write it with its JSON")
    t.add_argument("--arch", choices=("finch", "goldfinch"), required=True)
    t.add_argument("--layers", type=int, default=6)
    t.add_argument("--dim", type=int, default=256)
    t.add_argument("--head-size", type=int, default=64)
    t.add_argument("--steps", type=int, default=3000)
    t.add_argument("--batch", type=int, default=8)
    t.add_argument("--context", type=int, default=512)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--warmup", type=int, default=100)
    t.add_argument("--weight-decay", type=float, default=0.1)
    t.add_argument("--seed", type=int, default=1234)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--eval-every", type=int, default=100)
    t.add_argument("--eval-windows", type=int, default=32, help="held-out windows per curve point")
    t.add_argument("--out", default=os.path.join(REPO, "models"))
    sub.add_parser("verify", help="parallel form == RNN references (float64)")
    e = sub.add_parser("eval", help="float64 loss of a safetensors model")
    e.add_argument("model")
    e.add_argument("--text-file")
    e.add_argument("--held-out-bytes", type=int, help="only the first N held-out bytes")
    e.add_argument("--context", type=int, default=512)
    e.add_argument("--threads", type=int, default=2)
    s = sub.add_parser("sample", help="sample a continuation")
    s.add_argument("model")
    s.add_argument("--prompt", required=True)
    s.add_argument("--length", type=int, default=300)
    s.add_argument("--temperature", type=float, default=1.0)
    s.add_argument("--context", type=int, default=512)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--threads", type=int, default=2)
    p = sub.add_parser("plot", help="training curves of JSON records as a PNG (python3-matplotlib)")
    p.add_argument("records", nargs="+")
    p.add_argument("--out", default=os.path.join(REPO, "docs", "img", "demo-models-training.png"))
    p.add_argument("--ymin", type=float, default=1.0)
    p.add_argument("--ymax", type=float, default=3.5)
    args = ap.parse_args(argv)
    return {"train": train, "verify": verify, "eval": eval_command, "sample": sample_command,
            "plot": plot_command}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
