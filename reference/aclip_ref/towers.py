"""The two towers for the `vit_forward` and `text_forward` goldens, written from PyTorch functional ops with
weights under PyTorch `state_dict` names (goldens/README.md "Weight names"), so a timm ViT / OpenAI CLIP model could load
them. Shapes: B batch, S image side, p patch, G = S/p, N = G*G, T = N+1 (or K+1 when tokens are dropped), D width,
H heads, hs = D/H, E embed; text: ctx context, W width, vocab tokens.
"""
import math

import torch
import torch.nn.functional as F

from . import components as C


# ------------------------------------------------------------------------------------------------ vision §1
def vision_weight_shapes(image_size, patch, width, depth, heads, embed, mlp_ratio=4):
    """name -> shape, in timm state_dict order."""
    G = image_size // patch
    D = width
    shapes = {
        "cls_token": (1, 1, D),
        "pos_embed": (1, G * G + 1, D),
        "patch_embed.proj.weight": (D, 3, patch, patch),
        "patch_embed.proj.bias": (D,),
    }
    for i in range(depth):
        b = "blocks.%d." % i
        shapes.update({
            b + "norm1.weight": (D,), b + "norm1.bias": (D,),
            b + "attn.qkv.weight": (3 * D, D), b + "attn.qkv.bias": (3 * D,),
            b + "attn.proj.weight": (D, D), b + "attn.proj.bias": (D,),
            b + "norm2.weight": (D,), b + "norm2.bias": (D,),
            b + "mlp.fc1.weight": (mlp_ratio * D, D), b + "mlp.fc1.bias": (mlp_ratio * D,),
            b + "mlp.fc2.weight": (D, mlp_ratio * D), b + "mlp.fc2.bias": (D,),
        })
    shapes.update({"norm.weight": (D,), "norm.bias": (D,), "image_projection": (D, embed)})
    return shapes


def vit_forward(w, images, patch, heads, keep_index=None):
    """w: name -> tensor (vision_weight_shapes), images [B,3,S,S], keep_index [B,K] ascending patch indices or None.
    Returns (features [B,E], cls [B,D] after the final LayerNorm, qs, ks: per block [B,H,T,hs] for §3)."""
    B = images.shape[0]
    D = w["cls_token"].shape[-1]
    hs = D // heads
    x = F.conv2d(images, w["patch_embed.proj.weight"], w["patch_embed.proj.bias"], stride=patch)  # [B,D,G,G]
    x = x.flatten(2).transpose(1, 2)  # [B,N,D], patch i = row-major position on the G x G grid
    pos = w["pos_embed"]  # [1,T,D]
    x = x + pos[:, 1:]  # §1.2: positions are added before any token is dropped
    cls = (w["cls_token"] + pos[:, :1]).expand(B, -1, -1)  # [B,1,D]
    if keep_index is not None:  # §1.3: kept patch tokens, in the (ascending) order of keep_index
        x = torch.gather(x, 1, keep_index.long()[:, :, None].expand(-1, -1, D))  # [B,K,D]
    x = torch.cat([cls, x], dim=1)  # [B,T,D]
    T = x.shape[1]
    qs, ks = [], []
    depth = sum(1 for n in w if n.endswith(".attn.qkv.weight"))
    for i in range(depth):
        b = "blocks.%d." % i
        h = F.layer_norm(x, (D,), w[b + "norm1.weight"], w[b + "norm1.bias"], eps=1e-6)
        qkv = F.linear(h, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])  # [B,T,3D]
        q, k, v = qkv.reshape(B, T, 3, heads, hs).permute(2, 0, 3, 1, 4)  # each [B,H,T,hs]
        qs.append(q)
        ks.append(k)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(hs), dim=-1)  # [B,H,T,T]
        o = (att @ v).transpose(1, 2).reshape(B, T, D)
        x = x + F.linear(o, w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        h = F.layer_norm(x, (D,), w[b + "norm2.weight"], w[b + "norm2.bias"], eps=1e-6)
        h = F.gelu(F.linear(h, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"]))  # exact erf GELU
        x = x + F.linear(h, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
    x = F.layer_norm(x, (D,), w["norm.weight"], w["norm.bias"], eps=1e-6)
    cls_out = x[:, 0]  # [B,D]
    return cls_out @ w["image_projection"], cls_out, qs, ks


def vit_scores(qs, ks, layers="all"):
    """§3 score [B,N] from the per-block queries and keys of an unmasked forward."""
    return C.attention_scores(torch.stack(qs), torch.stack(ks), layers)


# ------------------------------------------------------------------------------------------------ text §2
def text_weight_shapes(vocab, context, width, depth, heads, embed):
    """name -> shape, in OpenAI CLIP state_dict order (the text tower's part)."""
    W = width
    shapes = {"token_embedding.weight": (vocab, W), "positional_embedding": (context, W)}
    for i in range(depth):
        b = "transformer.resblocks.%d." % i
        shapes.update({
            b + "ln_1.weight": (W,), b + "ln_1.bias": (W,),
            b + "attn.in_proj_weight": (3 * W, W), b + "attn.in_proj_bias": (3 * W,),
            b + "attn.out_proj.weight": (W, W), b + "attn.out_proj.bias": (W,),
            b + "ln_2.weight": (W,), b + "ln_2.bias": (W,),
            b + "mlp.c_fc.weight": (4 * W, W), b + "mlp.c_fc.bias": (4 * W,),
            b + "mlp.c_proj.weight": (W, 4 * W), b + "mlp.c_proj.bias": (W,),
        })
    shapes.update({"ln_final.weight": (W,), "ln_final.bias": (W,), "text_projection": (W, embed)})
    return shapes


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def causal_mask(ctx, dtype):
    """Additive mask: -inf strictly above the diagonal (a token sees itself and earlier tokens)."""
    return torch.full((ctx, ctx), float("-inf"), dtype=dtype).triu(1)


def text_forward(w, tokens, heads):
    """w: name -> tensor (text_weight_shapes), tokens [B,ctx] int -> features [B,E]; pooled at each row's largest
    token id (EOT, the first occurrence), §2. Attention is PyTorch's own multi_head_attention_forward."""
    B, ctx = tokens.shape
    W = w["token_embedding.weight"].shape[1]
    x = w["token_embedding.weight"][tokens.long()] + w["positional_embedding"][:ctx]  # [B,ctx,W]
    mask = causal_mask(ctx, x.dtype)
    depth = sum(1 for n in w if n.endswith(".attn.in_proj_weight"))
    for i in range(depth):
        b = "transformer.resblocks.%d." % i
        h = F.layer_norm(x, (W,), w[b + "ln_1.weight"], w[b + "ln_1.bias"], eps=1e-5)
        h = h.transpose(0, 1)  # nn.MultiheadAttention's [ctx,B,W] layout
        a, _ = F.multi_head_attention_forward(
            h, h, h, W, heads, w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"], None, None, False, 0.0,
            w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"], training=False, need_weights=False,
            attn_mask=mask)
        x = x + a.transpose(0, 1)
        h = F.layer_norm(x, (W,), w[b + "ln_2.weight"], w[b + "ln_2.bias"], eps=1e-5)
        h = quick_gelu(F.linear(h, w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"]))
        x = x + F.linear(h, w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"])
    x = F.layer_norm(x, (W,), w["ln_final.weight"], w["ln_final.bias"], eps=1e-5)
    eot = tokens.long().argmax(dim=-1)  # first position of the largest id
    return x[torch.arange(B), eot] @ w["text_projection"]
