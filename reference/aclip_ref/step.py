"""One A-CLIP training step of a tiny model (the `aclip_step` golden), SPEC §1-§8 in the order of §7: EMA update,
EMA forward and score map, token selection per view, online forwards, losses, autograd backward, AdamW, clamp.

Weights are dicts name -> tensor under PyTorch state_dict names (goldens/README.md "Weight names", plus `logit_scale`
and the SSL heads below). Shapes: B batch, V views, S view side, p patch, G = S/p, N = G*G, Se / Ge the EMA view
side / grid, r patches per cell side, g = G/r, n = g*g cells, K kept cells, D vision width, E embed, Hs/Os SimCLR
hidden/out, Hb/Ob BYOL hidden/out. The layout of a case is documented in reference/README.md ("aclip_step layout").
"""
import math

import torch
import torch.nn.functional as F

from . import components as C
from . import towers

VARIANTS = ("aclip", "aclip-eff", "aclip-attn", "clip-random", "clip")
EMA_VARIANTS = ("aclip", "aclip-eff", "aclip-attn")  # the variants with an EMA tower and a score map (§10)
BN_EPS = 1e-5  # torch.nn.BatchNorm1d defaults
BN_MOMENTUM = 0.1
BUFFER_SUFFIXES = (".running_mean", ".running_var")


# ------------------------------------------------------------------------------------------------ heads §6
def simclr_head_shapes(D, hidden, out):
    """image_mlp: layer3(relu(bn2(layer2(relu(bn1(layer1(x))))))), Linear layers with bias."""
    shapes = {"image_mlp.layer1.weight": (hidden, D), "image_mlp.layer1.bias": (hidden,)}
    shapes.update(_bn_shapes("image_mlp.bn1", hidden))
    shapes.update({"image_mlp.layer2.weight": (hidden, hidden), "image_mlp.layer2.bias": (hidden,)})
    shapes.update(_bn_shapes("image_mlp.bn2", hidden))
    shapes.update({"image_mlp.layer3.weight": (out, hidden), "image_mlp.layer3.bias": (out,)})
    return shapes


def byol_mlp_shapes(prefix, din, hidden, out):
    """nn.Sequential(Linear(din, hidden, bias=False), BatchNorm1d(hidden), ReLU, Linear(hidden, out, bias=False))."""
    shapes = {prefix + ".0.weight": (hidden, din)}
    shapes.update(_bn_shapes(prefix + ".1", hidden))
    shapes[prefix + ".3.weight"] = (out, hidden)
    return shapes


def _bn_shapes(prefix, width):
    return {prefix + s: (width,) for s in (".weight", ".bias", ".running_mean", ".running_var")}


def is_buffer(name):
    """BatchNorm running statistics: state, not parameters (no gradient, no AdamW, no EMA update)."""
    return name.endswith(BUFFER_SUFFIXES)


def model_weight_shapes(params):
    """Every online weight of the case, in file order: vision, text, logit_scale, then the heads the case uses
    (image_mlp when ssl is simclr; im_proj_byol and im_pred_byol when byol)."""
    v, t, h = params["vision"], params["text"], params["heads"]
    shapes = dict(towers.vision_weight_shapes(v["image_size"], v["patch"], v["width"], v["depth"], v["heads"],
                                              v["embed"]))
    shapes.update(towers.text_weight_shapes(t["vocab"], t["context"], t["width"], t["depth"], t["heads"],
                                            t["embed"]))
    shapes["logit_scale"] = ()
    if params["ssl"] == "simclr":
        shapes.update(simclr_head_shapes(v["width"], h["simclr_hidden"], h["simclr_out"]))
    if params["byol"]:
        shapes.update(byol_mlp_shapes("im_proj_byol", v["width"], h["byol_hidden"], h["byol_out"]))
        shapes.update(byol_mlp_shapes("im_pred_byol", h["byol_out"], h["byol_hidden"], h["byol_out"]))
    return shapes


def vision_names(params):
    v = params["vision"]
    return list(towers.vision_weight_shapes(v["image_size"], v["patch"], v["width"], v["depth"], v["heads"],
                                            v["embed"]))


def text_names(params):
    t = params["text"]
    return list(towers.text_weight_shapes(t["vocab"], t["context"], t["width"], t["depth"], t["heads"], t["embed"]))


def ema_names(params):
    """Names (without the `ema.` prefix) of the EMA copies: every vision weight, and the BYOL projector with its
    BatchNorm buffers when byol is on. Empty for the variants without EMA (clip, clip-random)."""
    if params["variant"] not in EMA_VARIANTS:
        return []
    names = vision_names(params)
    if params["byol"]:
        h = params["heads"]
        names += list(byol_mlp_shapes("im_proj_byol", params["vision"]["width"], h["byol_hidden"], h["byol_out"]))
    return names


def is_trainable(name, params):
    """Receives a gradient and an AdamW update: every parameter except a frozen patch embedding (§1.1)."""
    if is_buffer(name):
        return False
    return not (params["freeze_patch_embed"] and name.startswith("patch_embed."))


def decays(name, shape):
    """§8: weight decay only for tensors of rank >= 2 that are not biases (LayerNorm / BatchNorm gains, biases and
    logit_scale are rank < 2)."""
    return len(shape) >= 2 and not name.endswith(".bias")


def batch_norm_train(x, w, bufs, prefix):
    """x [B,C]: BatchNorm1d in training mode (§6 heads): normalised with this call's batch mean and biased variance,
    eps 1e-5; the running buffers in `bufs` are updated in place with momentum 0.1 and the unbiased variance."""
    return F.batch_norm(x, bufs[prefix + ".running_mean"], bufs[prefix + ".running_var"], w[prefix + ".weight"],
                        w[prefix + ".bias"], training=True, momentum=BN_MOMENTUM, eps=BN_EPS)


def image_mlp(w, bufs, x):
    """SimCLR head: x [B,D] -> [B,Os]."""
    h = F.linear(x, w["image_mlp.layer1.weight"], w["image_mlp.layer1.bias"])
    h = F.relu(batch_norm_train(h, w, bufs, "image_mlp.bn1"))
    h = F.linear(h, w["image_mlp.layer2.weight"], w["image_mlp.layer2.bias"])
    h = F.relu(batch_norm_train(h, w, bufs, "image_mlp.bn2"))
    return F.linear(h, w["image_mlp.layer3.weight"], w["image_mlp.layer3.bias"])


def byol_mlp(w, bufs, prefix, x):
    """BYOL projector / predictor: x [B,din] -> [B,Ob] = L3(relu(bn1(L0(x)))), no biases in the linears."""
    h = F.linear(x, w[prefix + ".0.weight"])
    h = F.relu(batch_norm_train(h, w, bufs, prefix + ".1"))
    return F.linear(h, w[prefix + ".3.weight"])


# ------------------------------------------------------------------------------------------------ §1.7
def resample_pos_embed(pos, ge):
    """pos [1,1+G*G,D] -> [1,1+ge*ge,D]: the patch part resized bilinearly (align_corners=false) from G x G to
    ge x ge as an image with D channels; the CLS position is unchanged (§1.7)."""
    D = pos.shape[-1]
    G = math.isqrt(pos.shape[1] - 1)
    if G * G != pos.shape[1] - 1:
        raise ValueError("pos_embed has %d patch positions, not a square grid" % (pos.shape[1] - 1))
    if G == ge:
        return pos
    grid = pos[:, 1:].reshape(1, G, G, D).permute(0, 3, 1, 2)  # [1,D,G,G]
    grid = C.resize_bilinear(grid, ge, ge).permute(0, 2, 3, 1).reshape(1, ge * ge, D)
    return torch.cat([pos[:, :1], grid], dim=1)


# ------------------------------------------------------------------------------------------------ the step
def aclip_step(t, params, dtype, trace=None):
    """t: input name (without `in.`) -> tensor (floats already in `dtype`), params: the case params.
    Returns output name (without `out.`) -> tensor. When `trace` is a dict it also receives intermediate values
    (cell scores per view, gradients, logit_scale before the clamp) for the case construction and self-tests."""
    P = params
    variant = P["variant"]
    if variant not in VARIANTS:
        raise ValueError("variant must be one of %s, got %r" % (VARIANTS, variant))
    vp, tp = P["vision"], P["text"]
    p, S = vp["patch"], vp["image_size"]
    G = S // p
    V = P["views"]
    r = P["cell"]
    use_ema = variant in EMA_VARIANTS
    shapes = model_weight_shapes(P)
    out = {}

    # 1. §7 EMA update from the pre-step online weights, in float32 exactly as the ema_update golden; the rest of
    #    the step carries on in `dtype` from the float32 result. BatchNorm buffers are copied, not averaged.
    ema = {}
    for n in ema_names(P):
        e32 = t["ema." + n].to(torch.float32)
        ema[n] = e32 if is_buffer(n) else C.ema_update(e32, t["w." + n].to(torch.float32), P["momentum"])
        out["ema." + n] = ema[n]
    ew = {n: e.to(dtype) for n, e in ema.items()}

    # online parameters (leaves for autograd) and the heads' running buffers (updated in place by BatchNorm)
    w, bufs = {}, {}
    for n in shapes:
        x = t["w." + n].clone()
        if is_buffer(n):
            bufs[n] = x
        else:
            w[n] = x.requires_grad_(is_trainable(n, P))

    # 2. EMA vision forward on the full EMA view, no gradient (§3, §1.7)
    B = t["tokens"].shape[0]
    if use_ema:
        Ge = P["ema_image_size"] // p
        with torch.no_grad():
            ev = {n: ew[n] for n in vision_names(P)}
            ev["pos_embed"] = resample_pos_embed(ev["pos_embed"], Ge)
            _, ema_cls, qs, ks = towers.vit_forward(ev, t["ema_view"], p, vp["heads"])
            score_map = towers.vit_scores(qs, ks, P["score_layers"]).reshape(B, Ge, Ge)

    # 3. §5 kept tokens per view
    keep = []
    cells_trace = []
    for v in range(V):
        if variant == "clip":
            keep.append(None)
            continue
        if use_ema:
            vs = C.view_scores(score_map, t["ema_box"], t["view_boxes"][:, v], G)  # §5.1 [B,G,G]
            cells = C.pool_cells(vs, r)  # §5.2 [B,g,g]
        else:  # clip-random: the noise alone decides
            cells = torch.zeros(B, G // r, G // r, dtype=dtype)
        idx, _ = C.select_tokens(cells, t["noise"][v], P["strategy"], P["keep_cells"], P["mixed_top_cells"], r)
        keep.append(idx)  # §5.3-5.5 [B,K*r*r] ascending
        cells_trace.append(cells)
    if variant != "clip":
        out["keep_index"] = torch.stack(keep)  # [V,B,K*r*r]

    # 4. online vision forward of each view with its kept tokens (§1), 5. text forward (§2)
    wv = {n: w[n] for n in vision_names(P)}
    feats, cls = [], []
    for v in range(V):
        f, c, _, _ = towers.vit_forward(wv, t["views"][v], p, vp["heads"], keep[v])
        feats.append(f)  # [B,E]
        cls.append(c)  # [B,D]
    text = towers.text_forward({n: w[n] for n in text_names(P)}, t["tokens"], tp["heads"])  # [B,E]

    # 6. §6 CLIP loss over the view-major [V*B,E] image embeddings
    clip_loss, _ = C.clip_loss(torch.cat(feats), text, w["logit_scale"])
    zero = torch.zeros((), dtype=dtype)

    # 7. §6 SimCLR: the SSL head sees every view at once (one training-mode BatchNorm call on the V*B rows,
    #    view-major, as the official code runs it; `bn_per_view` calls it once per view instead), then the mean of
    #    the two-view loss over every pair of views a < b
    per_view = P.get("bn_per_view", False)

    def heads_over_views(f, xs):
        if per_view:
            return [f(x) for x in xs]
        return list(torch.split(f(torch.cat(xs)), B))

    ssl_loss = zero
    if P["ssl"] == "simclr":
        z = heads_over_views(lambda x: image_mlp(w, bufs, x), cls)
        pairs = [(a, b) for a in range(V) for b in range(a + 1, V)]
        ssl_loss = sum(C.simclr_loss(z[a], z[b], P["temperature"]) for a, b in pairs) / len(pairs)
    elif P["ssl"] != "none":
        raise ValueError("ssl must be simclr or none, got %r" % (P["ssl"],))

    # 8. §6 BYOL: online predictor(projector(CLS_v)) against the EMA projector of the EMA CLS; projector and
    #    predictor see every view at once like the SSL head
    byol_loss = zero
    if P["byol"]:
        proj = heads_over_views(lambda x: byol_mlp(w, bufs, "im_proj_byol", x), cls)
        preds = heads_over_views(lambda x: byol_mlp(w, bufs, "im_pred_byol", x), proj)
        with torch.no_grad():
            # batch statistics over the EMA batch's B rows; the EMA running buffers stay as they are
            ebufs = {n: ew[n].clone() for n in ew if is_buffer(n)}
            target = byol_mlp(ew, ebufs, "im_proj_byol", ema_cls)
        byol_loss = C.byol_loss(torch.cat(preds), target)

    # 9. total loss and its gradient for every trainable parameter
    loss = clip_loss + P["w_ssl"] * ssl_loss + P["w_byol"] * byol_loss
    names = [n for n in w if w[n].requires_grad]
    grads = torch.autograd.grad(loss, [w[n] for n in names], allow_unused=True)
    for n, gr in zip(names, grads):
        if gr is None:
            raise AssertionError("parameter %s does not reach the loss" % n)

    # 10. §8 AdamW (torch.optim.AdamW arithmetic, state primed at step - 1), decay only where decays() says
    new_w = {}
    moments = {}
    for n, gr in zip(names, grads):
        wd = P["weight_decay"] if decays(n, shapes[n]) else 0.0
        new_w[n], m, s = C.adamw_step(w[n].detach(), gr, t["exp_avg." + n], t["exp_avg_sq." + n], P["lr"],
                                      P["beta1"], P["beta2"], P["eps"], wd, P["step"])
        moments[n] = (m, s)
    # 11. §6 clamp of the logit scale after the optimiser step
    pre_clamp = new_w["logit_scale"].clone()
    new_w["logit_scale"] = new_w["logit_scale"].clamp(0.0, math.log(100.0))

    out["loss"] = loss.detach()
    out["clip_loss"] = clip_loss.detach()
    out["ssl_loss"] = ssl_loss.detach()
    out["byol_loss"] = byol_loss.detach()
    for n in shapes:
        if n in new_w:
            out["w." + n] = new_w[n]
        elif is_buffer(n):
            out["w." + n] = bufs[n]
        else:  # frozen: untouched
            out["w." + n] = w[n].detach()
    for n in names:
        out["exp_avg." + n] = moments[n][0]
    for n in names:
        out["exp_avg_sq." + n] = moments[n][1]
    if trace is not None:
        trace["cells"] = cells_trace
        trace["grads"] = dict(zip(names, [g.detach() for g in grads]))
        trace["logit_scale_pre_clamp"] = pre_clamp
        trace["score_map"] = score_map if use_ema else None
    return out


def output_order(params):
    """The output names of a case in file order (without `out.`)."""
    names = ["loss", "clip_loss", "ssl_loss", "byol_loss"]
    if params["variant"] != "clip":
        names.append("keep_index")
    shapes = model_weight_shapes(params)
    names += ["w." + n for n in shapes]
    names += ["ema." + n for n in ema_names(params)]
    trainable = [n for n in shapes if is_trainable(n, params)]
    names += ["exp_avg." + n for n in trainable] + ["exp_avg_sq." + n for n in trainable]
    return names
