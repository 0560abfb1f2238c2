#!/usr/bin/python3
"""Self-checks of the oracle against hand-computed values and independent formulations.

    /usr/bin/python3 reference/test_reference.py

Prints one line per check and `N passed, M failed`; exits 1 on any failure."""
import math
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from aclip_ref import components as C  # noqa: E402
from aclip_ref import safetensors_io, step, suite, towers  # noqa: E402
from aclip_ref.cases import aclip_step_cases, init_weights  # noqa: E402

D = torch.float64
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def t64(x):
    return torch.tensor(x, dtype=D)


def close(a, b, tol=1e-12):
    a = torch.as_tensor(a, dtype=D)
    b = torch.as_tensor(b, dtype=D)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert torch.allclose(a, b, atol=tol, rtol=0), "%s\n!=\n%s" % (a, b)


# ------------------------------------------------------------------------------------------------ safetensors
@test
def safetensors_layout_by_hand():
    data = safetensors_io.encode({"in.x": np.array([1.5, -2.0], np.float32), "out.i": np.array([[7]], np.int32)},
                                 {"format": "aclip4j-golden"})
    n = int(np.frombuffer(data[:8], "<u8")[0])
    assert n % 8 == 0 and data[8 + n - 1:8 + n] in (b" ", b"}")
    header = data[8:8 + n].decode().rstrip(" ")
    assert header.startswith('{"__metadata__":{"format":"aclip4j-golden"}'), header
    assert '"in.x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}' in header, header
    assert '"out.i":{"dtype":"I32","shape":[1,1],"data_offsets":[8,12]}' in header, header
    assert data[8 + n:] == bytes.fromhex("0000c03f" "000000c0" "07000000")


@test
def safetensors_round_trip_all_dtypes():
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1e-300, -0.0]),
               "c": np.array([-5, 2**31 - 1], np.int32), "d": np.array([0, 255, 1], np.uint8),
               "s": np.array(3.25, np.float32), "e": np.zeros((0, 4), np.float32)}
    got, meta = safetensors_io.decode(safetensors_io.encode(tensors, {"k": "v"}))
    assert meta == {"k": "v"} and list(got) == list(tensors)
    for k in tensors:
        assert got[k].dtype == tensors[k].dtype and got[k].shape == tensors[k].shape, k
        assert got[k].tobytes() == tensors[k].tobytes(), k


# ------------------------------------------------------------------------------------------------ §5.1 resize
@test
def resize_upsample_1x2_to_1x4_by_hand():
    # src = max(0, (d + 0.5) * 2/4 - 0.5) = 0, 0.25, 0.75, 1.25 (-> i0 = i1 = 1)
    y = C.resize_bilinear(t64([[[[0.0, 1.0]]]]), 1, 4)
    close(y, [[[[0.0, 0.25, 0.75, 1.0]]]])


@test
def resize_downsample_2x2_to_1x1_is_mean():
    y = C.resize_bilinear(t64([[[[1.0, 2.0], [3.0, 10.0]]]]), 1, 1)
    close(y, [[[[4.0]]]])


@test
def resize_downsample_by_2_is_block_mean():
    x = torch.rand(2, 3, 14, 14, dtype=D, generator=torch.Generator().manual_seed(1))
    close(C.resize_bilinear(x, 7, 7), x.reshape(2, 3, 7, 2, 7, 2).mean(dim=(3, 5)))


@test
def resize_matches_the_spec_loops():
    g = torch.Generator().manual_seed(2)
    for hin, win, oh, ow in [(4, 5, 9, 13), (13, 11, 5, 3), (1, 1, 4, 3), (5, 6, 1, 1), (7, 12, 15, 5), (3, 3, 3, 3)]:
        x = torch.randn(2, 1, hin, win, dtype=D, generator=g)
        close(C.resize_bilinear(x, oh, ow), C.resize_bilinear_loops(x, oh, ow))


# ------------------------------------------------------------------------------------------------ §3 scores
@test
def attention_scores_by_hand():
    # one layer, one head, T = 3, hs = 1: logits of the CLS query = q0 * k = [0, ln 2, ln 5] -> P = [1, 2, 5] / 8
    q = t64([1.0, 7.0, -3.0]).reshape(1, 1, 1, 3, 1)
    k = t64([0.0, math.log(2), math.log(5)]).reshape(1, 1, 1, 3, 1)
    close(C.attention_scores(q, k, "all"), [[2 / 8, 5 / 8]])  # CLS-to-CLS dropped, not renormalised


@test
def attention_scores_mean_over_layers_and_heads_and_last():
    g = torch.Generator().manual_seed(3)
    q = torch.randn(3, 2, 4, 6, 8, dtype=D, generator=g)
    k = torch.randn(3, 2, 4, 6, 8, dtype=D, generator=g)
    p = torch.zeros(3, 2, 4, 6, dtype=D)
    for l in range(3):
        for b in range(2):
            for h in range(4):
                logits = torch.stack([q[l, b, h, 0].dot(k[l, b, h, j]) for j in range(6)]) / math.sqrt(8)
                w = torch.exp(logits - logits.max())
                p[l, b, h] = w / w.sum()
    close(C.attention_scores(q, k, "all"), p[:, :, :, 1:].mean(dim=(0, 2)))
    close(C.attention_scores(q, k, "last"), p[2, :, :, 1:].mean(dim=1))


# ------------------------------------------------------------------------------------------------ §5.1 view scores
@test
def view_scores_equal_boxes_and_zero_fill():
    m = torch.rand(1, 4, 4, dtype=D, generator=torch.Generator().manual_seed(4))
    box = torch.tensor([[3, 5, 8, 8]])
    # a view equal to the 8 x 8 EMA box: resize 4 -> 8, crop nothing, resize 8 -> 4
    up = C.resize_bilinear(m[None], 8, 8)
    close(C.view_scores(m, box, box, 4), C.resize_bilinear(up, 4, 4)[0])
    # a view wholly outside: zeros
    close(C.view_scores(m, box, torch.tensor([[20, 20, 4, 4]]), 4), torch.zeros(1, 4, 4))
    # a view shifted by half the box down and right, read at G = 8 (so the second resize is the identity):
    # its top-left quarter is R's bottom-right quarter, the rest lies outside E and is zero
    v = C.view_scores(m, box, torch.tensor([[7, 9, 8, 8]]), 8)
    close(v[0, :4, :4], up[0, 0, 4:, 4:])
    close(v[0, 4:, :], torch.zeros(4, 8))
    close(v[0, :, 4:], torch.zeros(8, 4))


# ------------------------------------------------------------------------------------------------ §5.2-5.5
@test
def pool_cells_by_hand():
    x = t64([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]])
    close(C.pool_cells(x, 2), [[[3.5, 5.5], [11.5, 13.5]]])
    close(C.pool_cells(x, 4), [[[8.5]]])
    close(C.pool_cells(x, 1), x)


@test
def select_low_high_random_ties_go_to_lower_index():
    s = t64([1.0, 1.0, 1.0, 0.0])
    z = t64([0.3, 0.1, 0.1, 0.3])
    assert sorted(C.select_cells(s, z, "low", 2, 0).tolist()) == [0, 1]
    assert sorted(C.select_cells(t64([0.5, 0.0, 0.0, 0.5]), z, "high", 1, 0).tolist()) == [1]
    assert sorted(C.select_cells(s, z, "random", 3, 0).tolist()) == [0, 1, 2]
    assert sorted(C.select_cells(s, z, "random", 2, 0).tolist()) == [1, 2]


@test
def select_mixed_by_hand_and_expand():
    s = t64([[[0.9, 0.1], [0.9, 0.2]]])
    z = t64([[[0.5, 0.2], [0.2, 0.1]]])
    # top 1 by score: cells 0 and 2 tie -> 0; fill 2 more by smallest noise among {1, 2, 3}: 3 (0.1), then 1 and 2
    # tie at 0.2 -> 1. Kept cells {0, 1, 3}; with r = 2 on a 4 x 4 grid:
    idx, mask = C.select_tokens(s, z, "mixed", 3, 1, 2)
    assert idx.tolist() == [[0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 14, 15]], idx
    assert idx.dtype == torch.int32 and mask.dtype == torch.uint8
    assert mask.tolist() == [[1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]]


@test
def select_rejects_bad_params():
    for args in [("low", 0, 0), ("low", 5, 0), ("mixed", 2, 3), ("median", 1, 0)]:
        try:
            C.select_cells(t64([1.0, 2, 3, 4]), t64([1.0, 2, 3, 4]), *args)
        except ValueError:
            continue
        raise AssertionError("accepted %r" % (args,))


# ------------------------------------------------------------------------------------------------ §4.3 box
@test
def enclosing_box_by_hand():
    boxes = torch.tensor([[[10, 20, 30, 40], [5, 25, 10, 10]]] * 3)
    hw = torch.tensor([[100, 120]] * 3)
    u = torch.tensor([[0.0] * 4, [1.0 - 2 ** -24] * 4, [0.5] * 4], dtype=torch.float32)
    # U = (5, 20, bottom 40, right 60)
    got = C.enclosing_box(boxes, hw, u, "random").tolist()
    assert got[0] == [0, 0, 40, 60], got
    assert got[1] == [5, 20, 95, 100], got  # the cap: every draw at its top end
    assert got[2] == [3, 10, 37 + 30, 50 + 30], got  # 0 + floor(.5 * 6), 0 + floor(.5 * 21), 37 + floor(.5 * 61)...
    assert C.enclosing_box(boxes, hw, u, "minimal").tolist()[0] == [5, 20, 35, 40]
    # float32 and float64 products agree at the top end thanks to the cap
    assert C.enclosing_box(boxes, hw, u.to(D), "random").tolist() == got


# ------------------------------------------------------------------------------------------------ §7 EMA
@test
def ema_update_exact_cases():
    g = torch.Generator().manual_seed(5)
    t = torch.randn(33, generator=g)
    s = torch.randn(33, generator=g)
    assert torch.equal(C.ema_update(t, s, 1.0), t)
    assert torch.equal(C.ema_update(t, s, 0.0), s)
    assert torch.equal(C.ema_update(t, s, 0.5), t * 0.5 + s * 0.5)
    # numpy float32 with the same rounding steps gives the same bits
    m = 0.996
    want = np.float32(m) * t.numpy() + np.float32(1 - m) * s.numpy()
    assert C.ema_update(t, s, m).numpy().tobytes() == want.astype(np.float32).tobytes()
    close(C.ema_update(t, s, m).to(D), m * t.to(D) + (1 - m) * s.to(D), 1e-6)


@test
def momentum_schedule_by_hand():
    close(C.momentum_schedule(0.996, 2), [0.996, 1 - 0.004 / 2])
    close(C.momentum_schedule(0.99, 1), [0.99])


@test
def lr_schedule_by_hand():
    close(C.lr_schedule(1e-3, 0.0, 1e-5, 3, 5), [0.0, 5e-4, 1e-3, 1e-3, 1e-5 + (1e-3 - 1e-5) / 2], 1e-18)
    close(C.lr_schedule(1e-3, 2e-4, 0.0, 1, 2), [2e-4, 1e-3], 1e-18)  # one warm-up step is lr_start alone
    close(C.lr_schedule(1e-3, 2e-4, 0.0, 0, 1), [1e-3], 1e-18)


# ------------------------------------------------------------------------------------------------ §8 AdamW
@test
def adamw_torch_matches_formula():
    g = torch.Generator().manual_seed(6)
    for step in (1, 2, 10, 1000):
        p, gr = torch.randn(9, dtype=D, generator=g), torch.randn(9, dtype=D, generator=g)
        m, v = torch.randn(9, dtype=D, generator=g) * 0.1, torch.rand(9, dtype=D, generator=g) * 0.01
        a = C.adamw_step(p, gr, m, v, 1e-3, 0.9, 0.98, 1e-8, 0.1, step)
        b = C.adamw_formula(p, gr, m, v, 1e-3, 0.9, 0.98, 1e-8, 0.1, step)
        for x, y in zip(a, b):
            close(x, y, 1e-15)


@test
def adamw_first_step_is_signed_lr():
    p = t64([1.0, -2.0, 3.0])
    gr = t64([0.5, -0.25, 2.0])
    z = torch.zeros(3, dtype=D)
    new_p, m, v = C.adamw_step(p, gr, z, z, 0.01, 0.9, 0.98, 0.0, 0.0, 1)
    close(new_p, p - 0.01 * torch.sign(gr))
    close(m, 0.1 * gr)
    close(v, 0.02 * gr * gr)


# ------------------------------------------------------------------------------------------------ §6 losses
@test
def clip_loss_by_hand():
    e = torch.eye(2, dtype=D)
    loss, per_view = C.clip_loss(torch.cat([e * 3, e]), e * 0.5, t64(0.0))  # logits = I
    want = math.log(1 + math.exp(-1))
    close(per_view, [want, want])
    close(loss, want)
    # exp(ln 100) = 100: logits 100 I, loss ~ log(1 + e^-100)
    loss, _ = C.clip_loss(e, e, t64(math.log(100)))
    close(loss, math.log1p(math.exp(-100)))


@test
def simclr_by_hand():
    a = torch.eye(2, dtype=D)
    # b = a, tau = 1: row 0 of [ab | aa] = [1, 0, 1 - 1e9, 0] -> CE = log(1 + 2/e)
    close(C.simclr_loss(a, a * 2, 1.0), math.log(1 + 2 / math.e))
    close(C.simclr_loss(t64([[1.0, 2.0]]), t64([[-3.0, 0.5]]), 0.1), 0.0)  # B = 1: the only logit is the target
    # the official bug ignores b
    close(C.simclr_loss(a, -a, 0.1, same_view=True), C.simclr_loss(a, a, 0.1))


@test
def simsiam_and_byol_by_hand():
    p = t64([[1.0, 0.0], [0.0, 2.0]])
    close(C.simsiam_loss(p, p, p * 3, p), -1.0)
    close(C.simsiam_loss(p, p, -p, -p), 1.0)
    close(C.byol_loss(torch.cat([p, -p]), p * 5), (0 + 4) / 2)


@test
def loss_gradients_pass_gradcheck():
    g = torch.Generator().manual_seed(7)
    a = torch.randn(3, 5, dtype=D, generator=g, requires_grad=True)
    b = torch.randn(3, 5, dtype=D, generator=g, requires_grad=True)
    img = torch.randn(6, 5, dtype=D, generator=g, requires_grad=True)
    t = torch.tensor(1.3, dtype=D, requires_grad=True)
    z = torch.randn(3, 5, dtype=D, generator=g)
    assert torch.autograd.gradcheck(lambda i, x, s: C.clip_loss(i, x, s)[0], (img, a, t))
    assert torch.autograd.gradcheck(lambda x, y: C.simclr_loss(x, y, 0.1), (a, b))
    assert torch.autograd.gradcheck(lambda x, y: C.simsiam_loss(x, y, z, z * 2), (a, b))
    assert torch.autograd.gradcheck(lambda x: C.byol_loss(x, z), (img,))


# ------------------------------------------------------------------------------------------------ towers §1-§3
def _weights(shapes, seed):
    w = init_weights(torch.Generator().manual_seed(seed), shapes)
    return {n: torch.from_numpy(a).to(D) for n, a in w.items()}


class NaiveViT(torch.nn.Module):
    """timm's ViT rebuilt from torch.nn modules (Conv2d, LayerNorm, MultiheadAttention, Linear, GELU), loading the
    golden weight names; its attention weights give the §3 score independently of components.attention_scores."""

    def __init__(self, w, patch, heads):
        super().__init__()
        width = w["cls_token"].shape[-1]
        self.patch, self.w = patch, w
        self.conv = torch.nn.Conv2d(3, width, patch, stride=patch).to(D)
        self.conv.weight.data, self.conv.bias.data = w["patch_embed.proj.weight"], w["patch_embed.proj.bias"]
        self.blocks = []
        depth = sum(1 for n in w if n.endswith("qkv.weight"))
        for i in range(depth):
            b = "blocks.%d." % i
            n1 = torch.nn.LayerNorm(width, eps=1e-6).to(D)
            n2 = torch.nn.LayerNorm(width, eps=1e-6).to(D)
            att = torch.nn.MultiheadAttention(width, heads, batch_first=True).to(D)
            fc1 = torch.nn.Linear(width, 4 * width).to(D)
            fc2 = torch.nn.Linear(4 * width, width).to(D)
            n1.weight.data, n1.bias.data = w[b + "norm1.weight"], w[b + "norm1.bias"]
            n2.weight.data, n2.bias.data = w[b + "norm2.weight"], w[b + "norm2.bias"]
            att.in_proj_weight.data, att.in_proj_bias.data = w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"]
            att.out_proj.weight.data, att.out_proj.bias.data = w[b + "attn.proj.weight"], w[b + "attn.proj.bias"]
            fc1.weight.data, fc1.bias.data = w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"]
            fc2.weight.data, fc2.bias.data = w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"]
            self.blocks.append((n1, att, n2, fc1, fc2))
        self.norm = torch.nn.LayerNorm(width, eps=1e-6).to(D)
        self.norm.weight.data, self.norm.bias.data = w["norm.weight"], w["norm.bias"]

    def forward(self, images, keep=None):
        w = self.w
        tokens = self.conv(images).flatten(2).transpose(1, 2) + w["pos_embed"][:, 1:]
        if keep is not None:
            tokens = torch.stack([tokens[b, keep[b].long()] for b in range(images.shape[0])])
        x = torch.cat([(w["cls_token"] + w["pos_embed"][:, :1]).expand(images.shape[0], -1, -1), tokens], 1)
        probs = []
        for n1, att, n2, fc1, fc2 in self.blocks:
            h = n1(x)
            a, p = att(h, h, h, need_weights=True, average_attn_weights=True)  # p [B,T,T], mean over heads
            probs.append(p[:, 0, 1:])
            x = x + a
            x = x + fc2(torch.nn.GELU()(fc1(n2(x))))
        return self.norm(x)[:, 0] @ w["image_projection"], torch.stack(probs)



@test
def vit_matches_nn_modules_and_scores_match_attention_weights():
    shapes = towers.vision_weight_shapes(16, 4, 12, 2, 3, 5)
    w = _weights(shapes, 8)
    images = torch.randn(2, 3, 16, 16, dtype=D, generator=torch.Generator().manual_seed(9))
    feats, cls, qs, ks = towers.vit_forward(w, images, 4, 3)
    naive = NaiveViT(w, 4, 3)
    with torch.no_grad():
        want, probs = naive(images)
    close(feats, want, 1e-12)
    close(towers.vit_scores(qs, ks, "all"), probs.mean(0), 1e-12)
    close(towers.vit_scores(qs, ks, "last"), probs[-1], 1e-12)
    keep = torch.tensor([[0, 3, 5, 6, 15], [1, 2, 4, 8, 9]], dtype=torch.int32)
    with torch.no_grad():
        want_masked, _ = naive(images, keep)
    close(towers.vit_forward(w, images, 4, 3, keep)[0], want_masked, 1e-12)
    # keeping every token is the unmasked forward
    close(towers.vit_forward(w, images, 4, 3, torch.arange(16).repeat(2, 1))[0], feats, 1e-12)


@test
def text_matches_transformer_encoder_layer():
    vocab, ctx, W, depth, H, E = 20, 7, 8, 2, 2, 3
    w = _weights(towers.text_weight_shapes(vocab, ctx, W, depth, H, E), 10)
    tokens = torch.tensor([[18, 3, 4, 19, 0, 0, 0], [18, 5, 6, 7, 8, 9, 19]])
    layers = []
    for i in range(depth):
        b = "transformer.resblocks.%d." % i
        layer = torch.nn.TransformerEncoderLayer(W, H, 4 * W, dropout=0.0, activation=lambda v: v * torch.sigmoid(1.702 * v),
                                                 layer_norm_eps=1e-5, batch_first=True, norm_first=True).to(D)
        sa = layer.self_attn
        sa.in_proj_weight.data, sa.in_proj_bias.data = w[b + "attn.in_proj_weight"], w[b + "attn.in_proj_bias"]
        sa.out_proj.weight.data, sa.out_proj.bias.data = w[b + "attn.out_proj.weight"], w[b + "attn.out_proj.bias"]
        layer.norm1.weight.data, layer.norm1.bias.data = w[b + "ln_1.weight"], w[b + "ln_1.bias"]
        layer.norm2.weight.data, layer.norm2.bias.data = w[b + "ln_2.weight"], w[b + "ln_2.bias"]
        layer.linear1.weight.data, layer.linear1.bias.data = w[b + "mlp.c_fc.weight"], w[b + "mlp.c_fc.bias"]
        layer.linear2.weight.data, layer.linear2.bias.data = w[b + "mlp.c_proj.weight"], w[b + "mlp.c_proj.bias"]
        layers.append(layer.train())  # train mode (dropout 0) keeps PyTorch off its fused inference path
    with torch.no_grad():
        x = w["token_embedding.weight"][tokens] + w["positional_embedding"]
        mask = torch.triu(torch.ones(ctx, ctx, dtype=torch.bool), 1)  # True = may not attend
        for layer in layers:
            x = layer(x, src_mask=mask)
        x = torch.nn.functional.layer_norm(x, (W,), w["ln_final.weight"], w["ln_final.bias"], eps=1e-5)
        want = x[torch.arange(2), torch.tensor([3, 6])] @ w["text_projection"]
    got = towers.text_forward(w, tokens, H)
    close(got, want, 1e-12)
    # causal: what follows EOT cannot change the feature
    changed = tokens.clone()
    changed[0, 4:] = torch.tensor([7, 1, 2])
    close(towers.text_forward(w, changed, H), got, 1e-12)



@test
def tower_gradients_pass_gradcheck():
    vs = towers.vision_weight_shapes(8, 4, 4, 1, 2, 3)
    w = _weights(vs, 11)
    images = torch.randn(1, 3, 8, 8, dtype=D, generator=torch.Generator().manual_seed(12))
    keep = torch.tensor([[1, 3]])
    names = ["pos_embed", "blocks.0.attn.qkv.weight", "blocks.0.norm1.weight", "patch_embed.proj.bias"]

    def vit(*ts):
        ww = dict(w)
        ww.update(zip(names, ts))
        return towers.vit_forward(ww, images, 4, 2, keep)[0]
    assert torch.autograd.gradcheck(vit, tuple(w[n].clone().requires_grad_(True) for n in names))

    ts_ = towers.text_weight_shapes(10, 4, 4, 1, 2, 3)
    wt = _weights(ts_, 13)
    tokens = torch.tensor([[8, 2, 9, 0]])
    tnames = ["token_embedding.weight", "transformer.resblocks.0.attn.in_proj_weight", "ln_final.bias"]

    def text(*ts):
        ww = dict(wt)
        ww.update(zip(tnames, ts))
        return towers.text_forward(ww, tokens, 2)
    assert torch.autograd.gradcheck(text, tuple(wt[n].clone().requires_grad_(True) for n in tnames))


# ------------------------------------------------------------------------------------------------ aclip_step §1-§8
_STEP_CASES = []


def _step_case(name):
    """(inputs as float64 tensors, params) of the aclip_step case `name`."""
    if not _STEP_CASES:
        _STEP_CASES.extend(aclip_step_cases())
    case = next(c for c in _STEP_CASES if c.path.endswith("/%s.safetensors" % name))
    return suite.to_torch(case.inputs, D), dict(case.params)


@test
def step_with_lr0_and_m1_changes_no_weight():
    t, params = _step_case("aclip_v2_low")
    params.update(lr=0.0, momentum=1.0)
    out = step.aclip_step(t, params, D)
    for n in step.model_weight_shapes(params):
        if not step.is_buffer(n):
            assert torch.equal(out["w." + n], t["w." + n]), n
    for n in step.ema_names(params):
        assert torch.equal(out["ema." + n].to(D), t["ema." + n]), n
    # the heads' BatchNorm buffers still move: batch statistics are not an optimiser update
    assert not torch.equal(out["w.image_mlp.bn1.running_mean"], t["w.image_mlp.bn1.running_mean"])


@test
def step_loss_is_the_weighted_sum_of_its_terms():
    for name in ("aclip_v2_low", "aclip_eff_v2", "clip_v1"):
        t, params = _step_case(name)
        out = step.aclip_step(t, params, D)
        close(out["loss"], out["clip_loss"] + params["w_ssl"] * out["ssl_loss"] + params["w_byol"] * out["byol_loss"])
        assert (float(out["ssl_loss"]) > 0) == (params["ssl"] == "simclr"), name
        assert (float(out["byol_loss"]) > 0) == params["byol"], name


@test
def step_adamw_decays_matrices_only_and_clamps_logit_scale():
    assert step.decays("blocks.0.attn.qkv.weight", (48, 16)) and step.decays("cls_token", (1, 1, 16))
    assert step.decays("positional_embedding", (8, 16)) and step.decays("im_proj_byol.0.weight", (32, 16))
    assert not step.decays("blocks.0.norm1.weight", (16,)) and not step.decays("image_mlp.bn1.weight", (32,))
    assert not step.decays("logit_scale", ()) and not step.decays("image_mlp.layer1.bias", (32,))
    for name in ("aclip_eff_v2", "clip_v1"):
        t, params = _step_case(name)
        trace = {}
        out = step.aclip_step(t, params, D, trace)
        shapes = step.model_weight_shapes(params)
        for n, g in trace["grads"].items():
            wd = params["weight_decay"] if len(shapes[n]) >= 2 else 0.0
            want = C.adamw_formula(t["w." + n], g, t["exp_avg." + n], t["exp_avg_sq." + n], params["lr"],
                                   params["beta1"], params["beta2"], params["eps"], wd, params["step"])
            got = trace["logit_scale_pre_clamp"] if n == "logit_scale" else out["w." + n]
            close(got, want[0], 1e-14)
            close(out["exp_avg." + n], want[1], 1e-14)
            close(out["exp_avg_sq." + n], want[2], 1e-14)
        if params["freeze_patch_embed"]:
            assert "patch_embed.proj.weight" not in trace["grads"]
            assert torch.equal(out["w.patch_embed.proj.weight"], t["w.patch_embed.proj.weight"])
    # clip_v1 starts just below ln 100 with a push upwards: the clamp acts
    assert float(trace["logit_scale_pre_clamp"]) > math.log(100)
    close(out["w.logit_scale"], math.log(100))


@test
def step_gradients_match_finite_differences():
    t, params = _step_case("aclip_v2_low")
    params["momentum"] = 1.0  # EMA = its input exactly, so the online weights reach the loss through autograd only
    trace = {}
    step.aclip_step(t, params, D, trace)
    h = 1e-6
    for n, idx in [("logit_scale", ()), ("blocks.1.attn.qkv.weight", (17, 3)), ("pos_embed", (0, 9, 2)),
                   ("image_mlp.layer1.weight", (5, 7)), ("image_mlp.bn2.weight", (3,)),
                   ("im_pred_byol.0.weight", (2, 11)), ("im_proj_byol.1.bias", (4,)),
                   ("transformer.resblocks.0.attn.in_proj_weight", (30, 1)), ("token_embedding.weight", (38, 5))]:
        losses = []
        for sgn in (1, -1):
            tt = dict(t)
            tt["w." + n] = t["w." + n].clone()
            tt["w." + n][idx] += sgn * h
            losses.append(float(step.aclip_step(tt, params, D)["loss"]))
        fd = (losses[0] - losses[1]) / (2 * h)
        ad = float(trace["grads"][n][idx])
        assert abs(fd - ad) <= 1e-6 * max(1.0, abs(ad)), (n, idx, fd, ad)


@test
def step_heads_match_nn_batchnorm_modules():
    g = torch.Generator().manual_seed(21)
    shapes = dict(step.simclr_head_shapes(6, 10, 4))
    shapes.update(step.byol_mlp_shapes("im_proj_byol", 6, 10, 4))
    w = {n: torch.randn(*s, generator=g, dtype=D) * 0.5 + (1 if n.endswith("var") else 0) for n, s in shapes.items()}
    w = {n: x.abs() if n.endswith("var") else x for n, x in w.items()}
    mlp = torch.nn.Sequential()
    mlp.add_module("layer1", torch.nn.Linear(6, 10))
    mlp.add_module("bn1", torch.nn.BatchNorm1d(10))
    mlp.add_module("relu1", torch.nn.ReLU())
    mlp.add_module("layer2", torch.nn.Linear(10, 10))
    mlp.add_module("bn2", torch.nn.BatchNorm1d(10))
    mlp.add_module("relu2", torch.nn.ReLU())
    mlp.add_module("layer3", torch.nn.Linear(10, 4))
    byol = torch.nn.Sequential(torch.nn.Linear(6, 10, bias=False), torch.nn.BatchNorm1d(10), torch.nn.ReLU(),
                               torch.nn.Linear(10, 4, bias=False))
    mlp = mlp.double().train()
    byol = byol.double().train()
    for module, prefix in ((mlp, "image_mlp."), (byol, "im_proj_byol.")):  # our names are the modules' names
        res = module.load_state_dict({k[len(prefix):]: v for k, v in w.items() if k.startswith(prefix)},
                                     strict=False)
        assert not res.unexpected_keys and all(k.endswith("num_batches_tracked") for k in res.missing_keys), res
    bufs = {n: x.clone() for n, x in w.items() if step.is_buffer(n)}
    for call in range(2):  # two calls (two views): the running buffers move twice
        x = torch.randn(5, 6, generator=g, dtype=D)
        close(step.image_mlp(w, bufs, x), mlp(x))
        close(step.byol_mlp(w, bufs, "im_proj_byol", x), byol(x))
    for k, v in mlp.state_dict().items():
        if k.endswith(("running_mean", "running_var")):
            close(bufs["image_mlp." + k], v)
    for k, v in byol.state_dict().items():
        if k.endswith(("running_mean", "running_var")):
            close(bufs["im_proj_byol." + k], v)


@test
def resample_pos_embed_halves_by_block_means_and_keeps_cls():
    pos = torch.randn(1, 1 + 64, 3, generator=torch.Generator().manual_seed(22), dtype=D)
    assert step.resample_pos_embed(pos, 8) is pos
    half = step.resample_pos_embed(pos, 4)
    close(half[:, 0], pos[:, 0])
    grid = pos[0, 1:].reshape(4, 2, 4, 2, 3).mean(dim=(1, 3)).reshape(16, 3)  # bilinear 8 -> 4 = 2x2 means
    close(half[0, 1:], grid)


@test
def checkpoint_of_a_step_golden_loads_by_the_official_names():
    import tempfile
    import load_checkpoint
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "goldens", "aclip_step",
                        "aclip_v2_low.safetensors")
    tensors, meta = safetensors_io.read(path)
    params = __import__("json").loads(meta["params"])
    ckpt = {}
    for k, v in tensors.items():  # the weights after the step, as the trainer would save them
        for src, dst in (("out.w.", ""), ("out.ema.", "ema."), ("out.exp_avg.", "optim.exp_avg."),
                         ("out.exp_avg_sq.", "optim.exp_avg_sq.")):
            if k.startswith(src):
                ckpt[dst + k[len(src):]] = v
    with tempfile.TemporaryDirectory() as tmp:
        f = os.path.join(tmp, "checkpoint-3.safetensors")
        safetensors_io.write(f, ckpt, {"format": "aclip4j-checkpoint", "step": "3"})
        shapes = load_checkpoint.run(f, params["vision"]["heads"], params["text"]["heads"], batch=3,
                                     out=lambda s: None)
        assert shapes["image_features"] == (3, 16) and shapes["text_features"] == (3, 16), shapes
        assert shapes["image_cls"] == (3, 16) and shapes["scores"] == (3, 64), shapes
        assert shapes["ema_image_features"] == (3, 16) and shapes["simclr_head"] == (3, 16), shapes
        assert shapes["im_proj_byol"] == (3, 16) and shapes["im_pred_byol"] == (3, 16), shapes
        # a missing weight or a wrong shape is refused
        bad = dict(ckpt)
        del bad["blocks.1.mlp.fc2.bias"]
        bad["optim.exp_avg.norm.weight"] = np.zeros(3, np.float32)
        safetensors_io.write(f, bad, {"format": "aclip4j-checkpoint", "step": "3"})
        try:
            load_checkpoint.run(f, 2, 2, out=lambda s: None)
        except load_checkpoint.CheckpointError as e:
            assert "missing blocks.1.mlp.fc2.bias" in str(e) and "optim.exp_avg.norm.weight" in str(e), e
        else:
            raise AssertionError("a broken checkpoint was accepted")


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
            passed += 1
            print("PASS %s" % fn.__name__)
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s\n%s" % (fn.__name__, traceback.format_exc()))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
