#!/usr/bin/python3
"""The μLM: a decoder-only transformer that reads top to bottom (after karpathy/llama2.c).

Map of this file:
  ModelConfig      sizes, loaded from training/configs/*.json (configuration is data)
  RMSNorm          pre-norm, no bias
  rope_cos_sin()   rotary embedding tables from position ids; rotate_half (half-split, as in HF Llama)
  Attention        grouped-query attention with a key/value cache
  FeedForward      SwiGLU
  Block            x + attn(norm(x)), then x + ffn(norm(x))
  Transformer      embeddings -> blocks -> norm -> logits with the tied embedding matrix
  main()           prints the exact parameter count of every config

Tensor shapes, named once:
  B batch, T new tokens, P past tokens, S = P + T, D d_model, H n_heads, KV n_kv_heads,
  hd head_dim = D / H, R = H / KV query heads per kv head, F ffn_dim, V vocab_size
  input_ids [B, T] int64, position_ids [B, T] int64, attention_mask [B, S] (1 = attend, 0 = padding)
  past / present key and value [B, KV, P or S, hd] (keys stored after RoPE)
  logits [B, T, V]
"""
import argparse
import glob
import json
import math
import os
from dataclasses import asdict, dataclass

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a busy 2-core box: 10x slower
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")


@dataclass
class ModelConfig:
    name: str = "tiny"
    vocab_size: int = 512
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    n_kv_heads: int = 2
    ffn_dim: int = 192
    context_length: int = 128
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.d_model // self.n_heads

    def validate(self):
        assert self.d_model % self.n_heads == 0, "d_model must divide into n_heads"
        assert self.n_heads % self.n_kv_heads == 0, "n_heads must be a multiple of n_kv_heads"
        assert self.head_dim % 2 == 0, "RoPE needs an even head_dim"
        return self

    def to_dict(self):
        d = asdict(self)
        d["head_dim"] = self.head_dim
        return d

    @classmethod
    def from_dict(cls, d):
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known).validate()

    @classmethod
    def load(cls, path_or_name):
        path = path_or_name
        if not os.path.exists(path):
            path = os.path.join(CONFIG_DIR, f"{path_or_name}.json")
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(position_ids, head_dim, theta):
    """cos, sin [B, 1, T, hd]: frequency i rotates dims i and i + hd/2 (the half-split convention)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=position_ids.device) / head_dim))
    angles = position_ids.to(torch.float32)[:, :, None] * inv_freq[None, None, :]   # [B, T, hd/2]
    angles = torch.cat([angles, angles], dim=-1)                                       # [B, T, hd]
    return angles.cos()[:, None], angles.sin()[:, None]


def rotate_half(x, half):
    # `half` a Python int (head_dim // 2), not x.shape[-1] // 2: the ONNX export then slices at constants
    # instead of computing the split from the tensor's shape on every run (5 nodes fewer per call)
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x, cos, sin, half):
    return x * cos + rotate_half(x, half) * sin


def attention_mask_4d(attention_mask, T, S, device):
    """Bool [B or 1, 1, T, S]: query t (at position P + t) sees key s when s <= P + t and s is not padding."""
    q_pos = torch.arange(T, device=device) + (S - T)
    k_pos = torch.arange(S, device=device)
    mask = (k_pos[None, :] <= q_pos[:, None])[None, None]
    if attention_mask is not None:
        mask = mask & (attention_mask[:, None, None, :] > 0)
    return mask


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_heads, self.n_kv_heads, self.head_dim = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
        self.wq = nn.Linear(cfg.d_model, cfg.n_heads * cfg.head_dim, bias=False)
        self.wk = nn.Linear(cfg.d_model, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wv = nn.Linear(cfg.d_model, cfg.n_kv_heads * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_heads * cfg.head_dim, cfg.d_model, bias=False)

    def forward(self, x, cos, sin, mask, past=None):
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)     # [B, H, T, hd]
        k = self.wk(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [B, KV, T, hd]
        v = self.wv(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [B, KV, T, hd]
        q, k = apply_rope(q, cos, sin, self.head_dim // 2), apply_rope(k, cos, sin, self.head_dim // 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)                                      # [B, KV, S, hd]
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        # grouped-query attention: query heads h = g*R .. g*R + R-1 share kv head g, so the R heads of a
        # group are stacked along the time axis (row r*T + t) and use one matmul against that group's keys;
        # `mask` comes stacked the same way ([B or 1, 1, R*T, S], Transformer.forward), so no 5-D view
        q = q.reshape(B, self.n_kv_heads, -1, self.head_dim)                         # [B, KV, R*T, hd]
        scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim)                   # [B, KV, R*T, S]
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        probs = F.softmax(scores.float(), dim=-1).to(v.dtype)
        out = probs @ v                                                              # [B, KV, R*T, hd]
        out = out.reshape(B, self.n_heads, T, self.head_dim).transpose(1, 2)         # [B, T, H, hd]
        return self.wo(out.reshape(B, T, -1)), present


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w1 = nn.Linear(cfg.d_model, cfg.ffn_dim, bias=False)  # gate
        self.w3 = nn.Linear(cfg.d_model, cfg.ffn_dim, bias=False)  # up
        self.w2 = nn.Linear(cfg.ffn_dim, cfg.d_model, bias=False)  # down

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attention_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.attention = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.feed_forward = FeedForward(cfg)

    def forward(self, x, cos, sin, mask, past=None):
        h, present = self.attention(self.attention_norm(x), cos, sin, mask, past)
        x = x + h
        return x + self.feed_forward(self.ffn_norm(x)), present


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg.validate()
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled by depth
            if name.endswith(("wo.weight", "w2.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)

    def forward(self, input_ids, position_ids=None, attention_mask=None, past_key_values=None):
        """Returns logits [B, T, V] and the present key/values (one (k, v) per layer, [B, KV, S, hd])."""
        B, T = input_ids.shape
        P = past_key_values[0][0].shape[2] if past_key_values is not None else 0
        S = P + T
        if position_ids is None:
            position_ids = (torch.arange(T, device=input_ids.device) + P)[None].expand(B, T)
        cos, sin = rope_cos_sin(position_ids, self.cfg.head_dim, self.cfg.rope_theta)
        # one mask row per stacked query row of grouped-query attention (Attention.forward): r*T + t -> t
        mask = attention_mask_4d(attention_mask, T, S, input_ids.device).repeat(
            1, 1, self.cfg.n_heads // self.cfg.n_kv_heads, 1)
        x = self.tok_embeddings(input_ids)
        presents = []
        for i, layer in enumerate(self.layers):
            x, present = layer(x, cos, sin, mask, past_key_values[i] if past_key_values is not None else None)
            presents.append(present)
        x = self.norm(x)
        logits = x @ self.tok_embeddings.weight.t()                                 # tied output matrix
        return logits, presents

    def loss(self, input_ids, targets, loss_mask=None):
        """Mean next-token cross-entropy over positions where loss_mask is 1 (all when None)."""
        logits, _ = self(input_ids)
        if loss_mask is not None:
            targets = targets.masked_fill(loss_mask == 0, -1)
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-1)

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())  # tied weights are one Parameter, counted once

    @torch.no_grad()
    def generate_greedy(self, ids, n_new, stop_ids=(), use_cache=True):
        """Greedy continuation of a 1-D id list; with use_cache=False it recomputes the whole prefix."""
        self.eval()
        out = []
        x = torch.tensor([ids], dtype=torch.long)
        past = None
        for _ in range(n_new):
            if use_cache:
                logits, past = self(x, past_key_values=past)
            else:
                logits, _ = self(torch.tensor([ids + out], dtype=torch.long))
            nxt = int(logits[0, -1].argmax())
            out.append(nxt)
            if nxt in stop_ids:
                break
            x = torch.tensor([[nxt]], dtype=torch.long)
        return out


def count_parameters(cfg):
    """Exact count without building the model: embeddings (tied) + layers + final norm."""
    D, hd = cfg.d_model, cfg.head_dim
    attn = D * cfg.n_heads * hd * 2 + D * cfg.n_kv_heads * hd * 2
    ffn = 3 * D * cfg.ffn_dim
    per_layer = attn + ffn + 2 * D
    return {"embedding": cfg.vocab_size * D, "per_layer": per_layer, "layers": per_layer * cfg.n_layers,
            "final_norm": D, "total": cfg.vocab_size * D + per_layer * cfg.n_layers + D}


def main():
    p = argparse.ArgumentParser(description="Print the exact parameter count of each config.")
    p.add_argument("configs", nargs="*", help="config names or paths (default: all in training/configs)")
    args = p.parse_args()
    paths = args.configs or sorted(glob.glob(os.path.join(CONFIG_DIR, "*.json")))
    print(f"{'config':<8} {'vocab':>6} {'d':>4} {'L':>3} {'H':>3} {'KV':>3} {'hd':>4} {'ffn':>5} {'ctx':>5}"
          f" {'embedding':>10} {'layers':>11} {'total':>11}")
    for cfg in sorted((ModelConfig.load(p) for p in paths), key=lambda c: count_parameters(c)["total"]):
        n = count_parameters(cfg)
        built = Transformer(cfg).num_parameters()
        assert built == n["total"], (built, n)
        print(f"{cfg.name:<8} {cfg.vocab_size:>6} {cfg.d_model:>4} {cfg.n_layers:>3} {cfg.n_heads:>3} "
              f"{cfg.n_kv_heads:>3} {cfg.head_dim:>4} {cfg.ffn_dim:>5} {cfg.context_length:>5} "
              f"{n['embedding']:>10,} {n['layers']:>11,} {n['total']:>11,}")


if __name__ == "__main__":
    main()
