#!/usr/bin/python3
"""Opens an aclip4j checkpoint in the PyTorch reference: proof that a trained aclip4j model loads by the official
names (goldens/README.md "Weight names").

    /usr/bin/python3 reference/load_checkpoint.py CHECKPOINT.safetensors [--vision-heads H] [--text-heads H]
                                                  [--batch B] [--seed S]

Checkpoint layout (aclip4j.train.Checkpoint): online weights under their state_dict names (timm ViT, OpenAI CLIP
text tower, `logit_scale`, the heads `image_mlp.*`, `im_proj_byol.*`, `im_pred_byol.*`), EMA weights under
`ema.<name>`, AdamW moments under `optim.exp_avg.<name>` / `optim.exp_avg_sq.<name>`, metadata `format`, `step`.

The tower configuration comes from the weight shapes (patch, width, depth, grid, vocabulary, context, embed); the
head counts do not change any shape, so they come from --vision-heads / --text-heads, else from a JSON metadata
entry that names them, else width / 64 (the ViT / CLIP convention, at least 1). Every tower weight must be present
with the shape the configuration implies, like load_state_dict(strict=True); then the online towers, the EMA
vision tower (EMA text blocks too when the checkpoint has them) and the heads run a float64 forward on random
input (seeded) and the feature shapes are printed. Then the online weights go into torch.nn modules under the
official names (aclip_ref/modules.py: timm's VisionTransformer, OpenAI CLIP's text tower, the heads) with
load_state_dict(strict=True), and their forward must match the functional towers. --export FILE writes that
state_dict as safetensors, which `aclip4j train --init FILE` starts from. Exit 1 on a missing, unexpected or
misshapen tensor.
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from aclip_ref import modules, safetensors_io, step, towers  # noqa: E402

EMA = "ema."
EXP_AVG = "optim.exp_avg."
EXP_AVG_SQ = "optim.exp_avg_sq."
HEAD_PREFIXES = ("image_mlp.", "im_proj_byol.", "im_pred_byol.")


class CheckpointError(ValueError):
    pass


def split(tensors):
    """-> (online, ema, exp_avg, exp_avg_sq, other) dicts of name -> tensor, prefixes removed."""
    online, ema, m, v, other = {}, {}, {}, {}, {}
    for name, arr in tensors.items():
        t = torch.from_numpy(arr)
        if name.startswith(EXP_AVG_SQ):
            v[name[len(EXP_AVG_SQ):]] = t
        elif name.startswith(EXP_AVG):
            m[name[len(EXP_AVG):]] = t
        elif name.startswith(EMA):
            ema[name[len(EMA):]] = t
        elif name.startswith("optim."):
            other[name] = t
        else:
            online[name] = t
    return online, ema, m, v, other


def _shape(w, name):
    if name not in w:
        raise CheckpointError("missing %s" % name)
    return tuple(w[name].shape)


def _depth(w, suffix):
    return sum(1 for n in w if n.endswith(suffix))


def _heads_from_metadata(metadata, tower):
    """A head count for `tower` ('vision' or 'text') from any JSON object in the metadata that has
    {tower: {"heads": n}} or "<tower>_heads" / "<tower>Heads"; None when there is none."""
    for value in metadata.values():
        try:
            obj = json.loads(value)
        except (TypeError, ValueError):
            continue
        stack = [obj]
        while stack:
            o = stack.pop()
            if not isinstance(o, dict):
                continue
            if isinstance(o.get(tower), dict) and isinstance(o[tower].get("heads"), int):
                return o[tower]["heads"]
            for key in (tower + "_heads", tower + "Heads"):
                if isinstance(o.get(key), int):
                    return o[key]
            stack.extend(v for v in o.values() if isinstance(v, dict))
    return None


def _heads(arg, metadata, tower, width):
    if arg:
        return arg, "--%s-heads" % tower
    found = _heads_from_metadata(metadata, tower)
    if found:
        return found, "metadata"
    return max(1, width // 64), "width / 64"


def vision_config(w, heads):
    D, c, p, p2 = _shape(w, "patch_embed.proj.weight")
    if c != 3 or p != p2:
        raise CheckpointError("patch_embed.proj.weight %s, expected [D,3,p,p]" % [D, c, p, p2])
    T = _shape(w, "pos_embed")[1]
    G = math.isqrt(T - 1)
    if G * G != T - 1:
        raise CheckpointError("pos_embed has %d positions, expected 1 + G*G" % T)
    E = _shape(w, "image_projection")[1]
    if D % heads:
        raise CheckpointError("vision width %d is not divisible by %d heads" % (D, heads))
    return {"image_size": G * p, "patch": p, "width": D, "depth": _depth(w, ".attn.qkv.weight"), "heads": heads,
            "embed": E}


def text_config(w, heads):
    vocab, W = _shape(w, "token_embedding.weight")
    ctx = _shape(w, "positional_embedding")[0]
    E = _shape(w, "text_projection")[1]
    if W % heads:
        raise CheckpointError("text width %d is not divisible by %d heads" % (W, heads))
    return {"vocab": vocab, "context": ctx, "width": W, "depth": _depth(w, ".attn.in_proj_weight"),
            "heads": heads, "embed": E}


def _check(w, shapes, what):
    """strict load: every name of `shapes` present with its shape."""
    problems = []
    for name, shape in shapes.items():
        if name not in w:
            problems.append("missing %s%s" % (what, name))
        elif tuple(w[name].shape) != tuple(shape):
            problems.append("%s%s has shape %s, expected %s" % (what, name, list(w[name].shape), list(shape)))
    return problems


def head_shapes(w, D):
    """The heads present in `w`, with the shapes their first / hidden / last layers imply."""
    shapes = {}
    if "image_mlp.layer1.weight" in w:
        hidden = w["image_mlp.layer1.weight"].shape[0]
        out = _shape(w, "image_mlp.layer3.weight")[0]
        shapes.update(step.simclr_head_shapes(D, hidden, out))
    if "im_proj_byol.0.weight" in w:
        hidden = w["im_proj_byol.0.weight"].shape[0]
        out = _shape(w, "im_proj_byol.3.weight")[0]
        shapes.update(step.byol_mlp_shapes("im_proj_byol", D, hidden, out))
        if "im_pred_byol.0.weight" in w:
            shapes.update(step.byol_mlp_shapes("im_pred_byol", out, w["im_pred_byol.0.weight"].shape[0], out))
    return shapes


def _bn_eval(x, w, prefix):
    return F.batch_norm(x, w[prefix + ".running_mean"], w[prefix + ".running_var"], w[prefix + ".weight"],
                        w[prefix + ".bias"], training=False, eps=step.BN_EPS)


def run(path, vision_heads=0, text_heads=0, batch=2, seed=0, out=print):
    """Loads and runs the checkpoint; returns name -> output shape. Raises CheckpointError on a bad layout."""
    tensors, metadata = safetensors_io.read(path)
    online, ema, m, v, other = split(tensors)
    w = {n: t.to(torch.float64) for n, t in online.items()}
    hv, hv_from = _heads(vision_heads, metadata, "vision", w["patch_embed.proj.weight"].shape[0]
                         if "patch_embed.proj.weight" in w else 64)
    ht, ht_from = _heads(text_heads, metadata, "text", w["token_embedding.weight"].shape[1]
                         if "token_embedding.weight" in w else 64)
    vc, tc = vision_config(w, hv), text_config(w, ht)
    vshapes = towers.vision_weight_shapes(**vc)
    tshapes = towers.text_weight_shapes(**tc)
    hshapes = head_shapes(w, vc["width"])
    known = set(vshapes) | set(tshapes) | set(hshapes) | {"logit_scale"}
    problems = _check(w, vshapes, "") + _check(w, tshapes, "") + _check(w, hshapes, "")
    problems += ["unexpected %s" % n for n in sorted(set(w) - known)]
    ew = {n: t.to(torch.float64) for n, t in ema.items()}
    problems += _check(ew, {n: s for n, s in vshapes.items()}, EMA) if ew else []
    problems += ["unexpected %s%s" % (EMA, n) for n in sorted(set(ew) - set(vshapes) - set(tshapes) - set(hshapes))]
    for group, prefix in ((m, EXP_AVG), (v, EXP_AVG_SQ)):
        for n, t in group.items():
            if n not in w:
                problems.append("%s%s has no online parameter %s" % (prefix, n, n))
            elif tuple(t.shape) != tuple(w[n].shape):
                problems.append("%s%s has shape %s, parameter %s" % (prefix, n, list(t.shape), list(w[n].shape)))
    if set(m) != set(v):
        problems.append("exp_avg and exp_avg_sq name different parameters: %s"
                        % sorted(set(m) ^ set(v)))
    if problems:
        raise CheckpointError("%s: %s" % (path, "; ".join(problems)))

    out("checkpoint %s: format %s, step %s" % (path, metadata.get("format"), metadata.get("step")))
    out("vision %s (heads from %s)" % (json.dumps(vc, sort_keys=True), hv_from))
    out("text   %s (heads from %s)" % (json.dumps(tc, sort_keys=True), ht_from))
    out("tensors: %d online, %d ema, %d + %d AdamW moments, other %s"
        % (len(w), len(ew), len(m), len(v), sorted(other) or "-"))
    if "logit_scale" in w:
        out("logit_scale %.6f (logit multiplier %.4f)" % (float(w["logit_scale"]), math.exp(float(w["logit_scale"]))))

    g = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 3, vc["image_size"], vc["image_size"], generator=g, dtype=torch.float64)
    tokens = torch.zeros(batch, tc["context"], dtype=torch.int64)
    for b in range(batch):  # SOT (vocab-2), words, EOT (vocab-1, the largest id), padding
        length = max(2, tc["context"] - b)
        tokens[b, 0] = tc["vocab"] - 2
        tokens[b, 1:length - 1] = torch.randint(1, max(2, tc["vocab"] - 2), (length - 2,), generator=g)
        tokens[b, length - 1] = tc["vocab"] - 1
    shapes = {}
    with torch.no_grad():
        feats, cls, qs, ks = towers.vit_forward({n: w[n] for n in vshapes}, images, vc["patch"], hv)
        shapes["image_features"] = tuple(feats.shape)
        shapes["image_cls"] = tuple(cls.shape)
        shapes["scores"] = tuple(towers.vit_scores(qs, ks).shape)
        shapes["text_features"] = tuple(towers.text_forward({n: w[n] for n in tshapes}, tokens, ht).shape)
        if ew:
            efeats, ecls, _, _ = towers.vit_forward({n: ew[n] for n in vshapes}, images, vc["patch"], hv)
            shapes["ema_image_features"] = tuple(efeats.shape)
            # §7: EMA text blocks and projection where present; token/position embeddings and ln_final shared
            et = {n: ew.get(n, w[n]) for n in tshapes}
            shapes["ema_text_features"] = tuple(towers.text_forward(et, tokens, ht).shape)
        if "image_mlp.layer1.weight" in w:  # heads in eval mode: BatchNorm with the running statistics
            h = F.relu(_bn_eval(F.linear(cls, w["image_mlp.layer1.weight"], w["image_mlp.layer1.bias"]), w,
                                "image_mlp.bn1"))
            h = F.relu(_bn_eval(F.linear(h, w["image_mlp.layer2.weight"], w["image_mlp.layer2.bias"]), w,
                                "image_mlp.bn2"))
            shapes["simclr_head"] = tuple(F.linear(h, w["image_mlp.layer3.weight"], w["image_mlp.layer3.bias"]).shape)
        for prefix, x in (("im_proj_byol", cls), ("im_pred_byol", None)):
            if prefix + ".0.weight" not in w:
                continue
            x = x if x is not None else proj
            y = F.linear(F.relu(_bn_eval(F.linear(x, w[prefix + ".0.weight"]), w, prefix + ".1")),
                         w[prefix + ".3.weight"])
            shapes[prefix] = tuple(y.shape)
            proj = y
    for name, shape in shapes.items():
        out("%-20s %s" % (name, list(shape)))

    # The same weights in torch.nn modules under the official names: load_state_dict(strict=True) must take every
    # online tensor and want nothing more, and the modules must compute what the functional towers do.
    model = strict_module(w, vc, tc)
    with torch.no_grad():
        mf, mc = model.encode_image(images)
        tf = model.encode_text(tokens)
        ref_t = towers.text_forward({n: w[n] for n in tshapes}, tokens, ht)
    diff = max(float((mf - feats).abs().max()), float((mc - cls).abs().max()), float((tf - ref_t).abs().max()))
    if not diff < 1e-9:
        raise CheckpointError("the nn.Module towers differ from the functional ones by %.3g" % diff)
    out("load_state_dict(strict=True): %d tensors into aclip_ref.modules.AClip; its forward matches the functional"
        " towers (max |diff| %.1e)" % (len(w), diff))
    shapes["module"] = model
    return shapes


def strict_module(w, vc, tc):
    """aclip_ref.modules.AClip with `w` loaded by load_state_dict(strict=True) (float64); CheckpointError if not."""
    heads = {}
    if "image_mlp.layer1.weight" in w:
        heads["simclr"] = (w["image_mlp.layer1.weight"].shape[0], w["image_mlp.layer3.weight"].shape[0])
    if "im_proj_byol.0.weight" in w:
        heads["byol"] = (w["im_proj_byol.0.weight"].shape[0], w["im_proj_byol.3.weight"].shape[0])
        if "im_pred_byol.0.weight" in w:
            heads["byol_pred"] = w["im_pred_byol.0.weight"].shape[0]
    model = modules.AClip(vc, tc, heads).double().eval()
    try:
        model.load_state_dict(modules.with_batch_counters(w), strict=True)
    except RuntimeError as e:
        raise CheckpointError("load_state_dict(strict=True) refused it: %s" % " ".join(str(e).split()))
    return model


def export(model, path):
    """Writes the module's state_dict (without BatchNorm's batch counters) as float32 safetensors, the input of
    `aclip4j train --init`."""
    state = modules.without_batch_counters(model.state_dict())
    tensors = {n: t.detach().to(torch.float32).numpy() for n, t in state.items()}
    safetensors_io.write(path, tensors, {"source": "reference/load_checkpoint.py --export"})
    return len(tensors)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--vision-heads", type=int, default=0)
    ap.add_argument("--text-heads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export", metavar="FILE", help="write the strictly loaded state_dict as safetensors (for"
                    " aclip4j train --init)")
    args = ap.parse_args(argv)
    try:
        shapes = run(args.checkpoint, args.vision_heads, args.text_heads, args.batch, args.seed)
        if args.export:
            print("exported %d tensors to %s" % (export(shapes["module"], args.export), args.export))
    except (CheckpointError, OSError, KeyError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
