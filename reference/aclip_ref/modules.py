"""The A-CLIP model as torch.nn modules whose state_dict names are exactly the ones aclip4j checkpoints use
(goldens/README.md "Weight names"): timm's VisionTransformer at the top level (`cls_token`, `pos_embed`,
`patch_embed.proj`, `blocks.i.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}`, `norm`), OpenAI CLIP's text tower
(`token_embedding`, `positional_embedding`, `transformer.resblocks.i.{ln_1,attn,ln_2,mlp.c_fc,mlp.c_proj}`,
`ln_final`, `text_projection`), `image_projection`, `logit_scale` and the heads of the official code (`image_mlp`
as SLIP builds it, `im_proj_byol` / `im_pred_byol` as nn.Sequential). So `load_state_dict(strict=True)` is the test
that a checkpoint has every weight and nothing else; the modules' forward is compared with aclip_ref.towers.

PyTorch's BatchNorm1d keeps a `num_batches_tracked` counter that aclip4j does not store (its momentum is fixed at
0.1, so the counter changes nothing): `with_batch_counters` adds zeros for it before loading, `without_batch_counters`
drops it when exporting.
"""
from collections import OrderedDict

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, D, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(D, 3 * D)
        self.proj = nn.Linear(D, D)

    def forward(self, x):
        B, T, D = x.shape
        hs = D // self.heads
        q, k, v = self.qkv(x).reshape(B, T, 3, self.heads, hs).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-2, -1) / hs ** 0.5, dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(B, T, D))


class Mlp(nn.Module):
    def __init__(self, D, hidden):
        super().__init__()
        self.fc1 = nn.Linear(D, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, D)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, D, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(D, eps=1e-6)
        self.attn = Attention(D, heads)
        self.norm2 = nn.LayerNorm(D, eps=1e-6)
        self.mlp = Mlp(D, mlp_ratio * D)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, patch, D):
        super().__init__()
        self.proj = nn.Conv2d(3, D, patch, stride=patch)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, W, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(W)
        self.attn = nn.MultiheadAttention(W, heads)
        self.ln_2 = nn.LayerNorm(W)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(W, 4 * W)), ("gelu", QuickGELU()),
                                              ("c_proj", nn.Linear(4 * W, W))]))

    def forward(self, x, mask):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, W, depth, heads):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(W, heads) for _ in range(depth)])


def simclr_mlp(D, hidden, out):
    """SLIP's _build_mlp: layer1, bn1, relu1, layer2, bn2, relu2, layer3."""
    return nn.Sequential(OrderedDict([
        ("layer1", nn.Linear(D, hidden)), ("bn1", nn.BatchNorm1d(hidden)), ("relu1", nn.ReLU(inplace=True)),
        ("layer2", nn.Linear(hidden, hidden)), ("bn2", nn.BatchNorm1d(hidden)), ("relu2", nn.ReLU(inplace=True)),
        ("layer3", nn.Linear(hidden, out))]))


def byol_mlp(din, hidden, out):
    return nn.Sequential(nn.Linear(din, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out, bias=False))


class AClip(nn.Module):
    """vision: dict(image_size, patch, width, depth, heads, embed); text: dict(vocab, context, width, depth, heads,
    embed); heads: dict with any of simclr=(hidden, out), byol=(hidden, out), byol_pred=hidden."""

    def __init__(self, vision, text, heads, mlp_ratio=4):
        super().__init__()
        D, p, G = vision["width"], vision["patch"], vision["image_size"] // vision["patch"]
        self.vision_heads = vision["heads"]
        self.cls_token = nn.Parameter(torch.zeros(1, 1, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, G * G + 1, D))
        self.patch_embed = PatchEmbed(p, D)
        self.blocks = nn.ModuleList([Block(D, vision["heads"], mlp_ratio) for _ in range(vision["depth"])])
        self.norm = nn.LayerNorm(D, eps=1e-6)
        self.image_projection = nn.Parameter(torch.zeros(D, vision["embed"]))
        W = text["width"]
        self.token_embedding = nn.Embedding(text["vocab"], W)
        self.positional_embedding = nn.Parameter(torch.zeros(text["context"], W))
        self.transformer = Transformer(W, text["depth"], text["heads"])
        self.ln_final = nn.LayerNorm(W)
        self.text_projection = nn.Parameter(torch.zeros(W, text["embed"]))
        self.logit_scale = nn.Parameter(torch.zeros(()))
        if "simclr" in heads:
            self.image_mlp = simclr_mlp(D, *heads["simclr"])
        if "byol" in heads:
            hidden, out = heads["byol"]
            self.im_proj_byol = byol_mlp(D, hidden, out)
            self.im_pred_byol = byol_mlp(out, heads.get("byol_pred", hidden), out)

    def encode_image(self, images):
        """images [B,3,S,S] -> (features [B,E], CLS [B,D] after the final LayerNorm); every token kept."""
        B = images.shape[0]
        x = self.patch_embed.proj(images).flatten(2).transpose(1, 2) + self.pos_embed[:, 1:]
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(B, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for b in self.blocks:
            x = b(x)
        c = self.norm(x)[:, 0]
        return c @ self.image_projection, c

    def encode_text(self, tokens):
        ctx = tokens.shape[1]
        x = self.token_embedding(tokens.long()) + self.positional_embedding[:ctx]
        mask = torch.full((ctx, ctx), float("-inf"), dtype=x.dtype).triu(1)
        x = x.transpose(0, 1)
        for b in self.transformer.resblocks:
            x = b(x, mask)
        x = self.ln_final(x.transpose(0, 1))
        return x[torch.arange(x.shape[0]), tokens.long().argmax(dim=-1)] @ self.text_projection


def with_batch_counters(state):
    """A copy of `state` with a zero `num_batches_tracked` beside every BatchNorm's running_mean."""
    out = dict(state)
    for n in list(state):
        if n.endswith(".running_mean"):
            out[n[:-len("running_mean")] + "num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
    return out


def without_batch_counters(state):
    return OrderedDict((n, t) for n, t in state.items() if not n.endswith(".num_batches_tracked"))
