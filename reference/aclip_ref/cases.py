"""Every golden case of the suite: inputs drawn from a generator seeded by the case path, outputs computed by
components.py. Names of components, tensors and params follow the table in goldens/README.md exactly."""
import math

import numpy as np
import torch

from . import components as C
from . import step as step_mod
from . import towers
from .suite import Case, rand, randint, randn, seeded, to_torch

ELEMENTWISE = {"atol": 1e-6, "rtol": 1e-5}


def resize_tolerance(max_abs, *sizes):
    """A float32 resize computes the source coordinate (d + 0.5) * in/out - 0.5 in float32: about one ulp of the
    largest coordinate (2^-23 * size) error in the weights, times a neighbour difference up to 2 * max|x|."""
    return {"atol": 1e-6 + 2.4e-7 * max(sizes) * float(max_abs), "rtol": 1e-5}


def _tol(names, atol, rtol):
    return {n: {"atol": atol, "rtol": rtol} for n in names}


# -------------------------------------------------------------------------------------------- attention_scores §3
def attention_scores_cases():
    out = []
    for name, L, B, H, T, hs, scale, layers in [
        ("all_l2_b2_h3_t10", 2, 2, 3, 10, 4, 1.5, "all"),
        ("last_l3_b1_h2_t17", 3, 1, 2, 17, 8, 1.0, "last"),
        ("all_l1_b3_h1_t2_hs1", 1, 3, 1, 2, 1, 2.0, "all"),
        ("all_l2_b1_h4_t50_peaky", 2, 1, 4, 50, 5, 3.0, "all"),
        ("last_l1_b1_h1_t197", 1, 1, 1, 197, 4, 1.0, "last"),
        ("all_l1_b1_h1_t197", 1, 1, 1, 197, 4, 1.0, "all"),
    ]:
        path = "attention_scores/%s.safetensors" % name
        g = seeded(path)
        inputs = {"q": randn(g, L, B, H, T, hs, scale=scale), "k": randn(g, L, B, H, T, hs, scale=scale)}
        out.append(Case(path, "attention_scores", {"layers": layers}, inputs,
                        lambda t, d, layers=layers: {"scores": C.attention_scores(t["q"], t["k"], layers)},
                        tolerance=_tol(["scores"], 1e-6, 1e-4)))
    return out


# -------------------------------------------------------------------------------------------- resize_bilinear §5.1
def resize_bilinear_cases():
    out = []
    for name, B, Cc, hin, win, oh, ow in [
        ("up_b2_c3_4x5_to_9x13", 2, 3, 4, 5, 9, 13),
        ("down_b1_c2_14x14_to_7x7", 1, 2, 14, 14, 7, 7),
        ("down_b1_c1_13x11_to_5x3", 1, 1, 13, 11, 5, 3),
        ("same_b1_c2_6x7", 1, 2, 6, 7, 6, 7),
        ("one_pixel_in_b1_c1_1x1_to_4x3", 1, 1, 1, 1, 4, 3),
        ("one_pixel_out_b2_c1_5x6_to_1x1", 2, 1, 5, 6, 1, 1),
        ("up_h_down_w_b1_c2_7x12_to_15x5", 1, 2, 7, 12, 15, 5),
        ("up_b1_c1_14x14_to_37x41", 1, 1, 14, 14, 37, 41),
        ("down_b1_c1_23x29_to_14x14", 1, 1, 23, 29, 14, 14),
    ]:
        path = "resize_bilinear/%s.safetensors" % name
        g = seeded(path)
        x = randn(g, B, Cc, hin, win)
        out.append(Case(path, "resize_bilinear", {"out_h": oh, "out_w": ow}, {"x": x},
                        lambda t, d, oh=oh, ow=ow: {"y": C.resize_bilinear(t["x"], oh, ow)},
                        tolerance={"y": resize_tolerance(np.abs(x).max(), hin, win, oh, ow)}))
    return out


# -------------------------------------------------------------------------------------------- view_scores §5.1
def _box_inside(g, hs, ws, min_side):
    h = int(torch.randint(min_side, hs + 1, (1,), generator=g))
    w = int(torch.randint(min_side, ws + 1, (1,), generator=g))
    top = int(torch.randint(0, hs - h + 1, (1,), generator=g))
    left = int(torch.randint(0, ws - w + 1, (1,), generator=g))
    return [top, left, h, w]


def view_scores_cases():
    out = []

    def add(name, ge, grid, ema, view, seed_scale=1.0):
        path = "view_scores/%s.safetensors" % name
        g = seeded(path)
        B = len(ema)
        inputs = {
            "score_map": rand(g, B, ge, ge, lo=0.0, hi=seed_scale),
            "ema_box": np.array(ema, dtype=np.int32),
            "view_box": np.array(view, dtype=np.int32),
        }
        out.append(Case(path, "view_scores", {"grid": grid}, inputs,
                        lambda t, d, grid=grid: {
                            "view_scores": C.view_scores(t["score_map"], t["ema_box"], t["view_box"], grid)},
                        tolerance={"view_scores": resize_tolerance(
                            inputs["score_map"].max(), ge, grid, *[s for b in ema + view for s in b[2:]])}))

    # views inside the EMA box (the normal A-CLIP case: E encloses every view)
    add("inside_ge14_g14_b2", 14, 14, [[3, 5, 50, 61], [0, 0, 64, 48]], [[10, 9, 37, 40], [20, 0, 30, 48]])
    # views partly outside E (the official bug's situation): the uncovered part reads 0
    add("partly_outside_ge14_g14_b3", 14, 14,
        [[10, 12, 40, 36], [0, 0, 30, 30], [5, 5, 20, 20]],
        [[4, 20, 30, 40], [15, 18, 33, 25], [0, 0, 45, 45]])
    # a view wholly outside E gives an all-zero map; a view equal to E is a plain 14 -> h_e -> 14 round trip
    add("outside_and_equal_ge14_g14_b2", 14, 14, [[0, 0, 20, 20], [7, 3, 41, 29]],
        [[25, 30, 15, 17], [7, 3, 41, 29]])
    # A-CLIP-eff: EMA view at half resolution, Ge = 7, views on the G = 14 grid
    add("eff_ge7_g14_b2", 7, 14, [[2, 1, 57, 63], [0, 4, 33, 40]], [[9, 6, 41, 44], [3, 10, 28, 31]])
    add("eff_ge7_g14_partly_outside_b1", 7, 14, [[6, 6, 30, 30]], [[0, 12, 34, 33]])
    # small and odd: EMA boxes smaller than the score grid (resize downsamples first), G = 4
    add("small_boxes_ge5_g4_b2", 5, 4, [[1, 2, 3, 4], [0, 0, 9, 2]], [[1, 3, 2, 5], [2, 0, 7, 1]])
    # one-pixel view
    add("one_pixel_view_ge14_g14_b1", 14, 14, [[0, 0, 33, 33]], [[16, 16, 1, 1]])

    # random boxes: views drawn inside a source image, E enclosing them (as the trainer does)
    path = "view_scores/random_ge14_g14_b4.safetensors"
    g = seeded(path)
    ema, view = [], []
    for _ in range(4):
        hs, ws = int(torch.randint(40, 97, (1,), generator=g)), int(torch.randint(40, 97, (1,), generator=g))
        v = _box_inside(g, hs, ws, 20)
        top_e = int(torch.randint(0, v[0] + 1, (1,), generator=g))
        left_e = int(torch.randint(0, v[1] + 1, (1,), generator=g))
        h_e = int(torch.randint(v[0] + v[2] - top_e, hs - top_e + 1, (1,), generator=g))
        w_e = int(torch.randint(v[1] + v[3] - left_e, ws - left_e + 1, (1,), generator=g))
        ema.append([top_e, left_e, h_e, w_e])
        view.append(v)
    add("random_ge14_g14_b4", 14, 14, ema, view)
    return out


# -------------------------------------------------------------------------------------------- pool_cells §5.2
def pool_cells_cases():
    out = []
    for name, B, G, r in [
        ("cell1_b2_g14", 2, 14, 1),
        ("cell2_b2_g14", 2, 14, 2),
        ("cell7_b1_g14", 1, 14, 7),
        ("cell14_b1_g14", 1, 14, 14),
        ("cell3_b3_g6", 3, 6, 3),
        ("cell1_b1_g1", 1, 1, 1),
    ]:
        path = "pool_cells/%s.safetensors" % name
        g = seeded(path)
        out.append(Case(path, "pool_cells", {"cell": r}, {"scores": rand(g, B, G, G)},
                        lambda t, d, r=r: {"cells": C.pool_cells(t["scores"], r)},
                        tolerance={"cells": ELEMENTWISE}))
    return out


# -------------------------------------------------------------------------------------------- select_tokens §5.3-5.5
def _tie_at(values, k, descending):
    """Makes ranks k-2 .. k+1 of `values` (1-D, sorted by a stable sort) equal, so a tie of four cells straddles
    the keep boundary at rank k: two are kept, two dropped, and only 'ties go to the lower index' (§5.4) tells
    which. Returns the new values."""
    v = values.copy()
    order = np.argsort(-v if descending else v, kind="stable")
    lo, hi = max(0, k - 2), min(len(v), k + 2)
    v[order[lo:hi]] = v[order[lo]]
    return v


def _assert_tied(values, k, descending, what):
    s = np.sort(values)[::-1] if descending else np.sort(values)
    if not (0 < k < len(s) and s[k - 1] == s[k]):
        raise AssertionError("%s: no tie across the keep boundary at rank %d" % (what, k))


def select_tokens_cases():
    out = []

    def add(name, B, gside, r, K, strategy, ties=False, score_levels=0, noise_levels=0, const_score_row=None,
            const_noise_row=None):
        path = "select_tokens/%s.safetensors" % name
        g = seeded(path)
        n = gside * gside
        assert abs(0.25 * n - round(0.25 * n)) != 0.5  # round(0.25 n) is then the same in every language
        mixed = int(round(0.25 * n))
        scores = rand(g, B, gside, gside)
        noise = rand(g, B, gside, gside)
        # quantising to a few levels makes many ties
        if score_levels:
            scores = (np.floor(scores * score_levels) / score_levels).astype(np.float32)
        if noise_levels:
            noise = (np.floor(noise * noise_levels) / noise_levels).astype(np.float32)
        if const_score_row is not None:
            scores[const_score_row] = 0.375
        if const_noise_row is not None:
            noise[const_noise_row] = 0.5
        for b in range(B if ties else 0):
            s, z = scores[b].reshape(-1), noise[b].reshape(-1)
            if strategy == "low":
                s[:] = _tie_at(s, K, True)
                _assert_tied(s, K, True, path)
            elif strategy == "high":
                s[:] = _tie_at(s, K, False)
                _assert_tied(s, K, False, path)
            elif strategy == "random":
                z[:] = _tie_at(z, K, False)
                _assert_tied(z, K, False, path)
            else:
                s[:] = _tie_at(s, mixed, True)
                _assert_tied(s, mixed, True, path)
                top = np.argsort(-s, kind="stable")[:mixed]
                rest = np.setdiff1d(np.arange(n), top)
                z[rest] = _tie_at(z[rest], K - mixed, False)
                _assert_tied(z[rest], K - mixed, False, path)
        params = {"strategy": strategy, "keep_cells": K, "mixed_top_cells": mixed, "cell": r}

        def compute(t, d):
            idx, mask = C.select_tokens(t["cell_scores"], t["noise"], strategy, K, mixed, r)
            return {"keep_index": idx, "keep_mask": mask}

        out.append(Case(path, "select_tokens", params, {"cell_scores": scores, "noise": noise}, compute))

    # official defaults: 7 x 7 cells of 2 x 2 patches, 25 of 49 cells kept, mixed keeps the 12 best
    add("low_g7_r2_k25_ties_b2", 2, 7, 2, 25, "low", ties=True)
    add("high_g7_r2_k25_ties_b2", 2, 7, 2, 25, "high", ties=True)
    add("mixed_g7_r2_k25_ties_b2", 2, 7, 2, 25, "mixed", ties=True)
    add("random_g7_r2_k25_ties_b2", 2, 7, 2, 25, "random", ties=True)
    add("low_g7_r2_k25_b1", 1, 7, 2, 25, "low")
    add("mixed_g7_r2_k25_b3", 3, 7, 2, 25, "mixed")
    add("mixed_g7_r2_k25_quantised_b2", 2, 7, 2, 25, "mixed", score_levels=4, noise_levels=3)
    # cell = patch (r = 1)
    add("low_g5_r1_k13_ties_b1", 1, 5, 1, 13, "low", ties=True)
    add("high_g5_r1_k13_b2_const_row", 2, 5, 1, 13, "high", const_score_row=1)
    add("mixed_g4_r1_k9_b3_all_ties", 3, 4, 1, 9, "mixed", const_score_row=0, const_noise_row=2)
    add("random_g5_r1_k13_ties_b2", 2, 5, 1, 13, "random", ties=True)
    add("random_g4_r2_k7_b1_const_noise", 1, 4, 2, 7, "random", const_noise_row=0)
    # edges: keep one cell, keep every cell, mixed filled by its top cells alone
    add("random_g3_r3_k1_b2", 2, 3, 3, 1, "random")
    add("low_g3_r2_keep_all_b2", 2, 3, 2, 9, "low")
    add("mixed_g7_r1_k12_top_only_b1", 1, 7, 1, 12, "mixed", score_levels=3)
    return out


# -------------------------------------------------------------------------------------------- enclosing_box §4.3
def enclosing_box_cases():
    out = []

    def add(name, mode, boxes, hw, u):
        path = "enclosing_box/%s.safetensors" % name
        inputs = {"view_boxes": np.array(boxes, dtype=np.int32), "image_hw": np.array(hw, dtype=np.int32),
                  "u": np.array(u, dtype=np.float32)}
        out.append(Case(path, "enclosing_box", {"mode": mode}, inputs,
                        lambda t, d, mode=mode: {
                            "ema_box": C.enclosing_box(t["view_boxes"], t["image_hw"], t["u"], mode)}))

    def random_batch(name, B, V, extreme_rows=True):
        g = seeded("enclosing_box/%s.safetensors" % name)
        boxes, hw = [], []
        for _ in range(B):
            hs, ws = int(torch.randint(16, 120, (1,), generator=g)), int(torch.randint(16, 120, (1,), generator=g))
            hw.append([hs, ws])
            boxes.append([_box_inside(g, hs, ws, 4) for _ in range(V)])
        u = rand(g, B, 4)
        if extreme_rows and B >= 3:
            u[0] = 0.0  # lowest draw everywhere
            u[1] = np.float32(1.0 - 2.0 ** -24)  # largest float32 below 1: highest draw (the cap)
        return boxes, hw, u

    for name, mode, B, V in [
        ("random_v2_b5", "random", 5, 2),
        ("random_v1_b3", "random", 3, 1),
        ("random_v3_b4", "random", 4, 3),
        ("minimal_v2_b3", "minimal", 3, 2),
        ("minimal_v3_b1", "minimal", 1, 3),
    ]:
        boxes, hw, u = random_batch(name, B, V)
        add(name, mode, boxes, hw, u)
    # views covering the whole image: every range collapses to one value, E = the image
    add("random_full_image_v2_b2", "random", [[[0, 0, 30, 40], [0, 0, 30, 40]], [[0, 0, 17, 5], [3, 1, 14, 4]]],
        [[30, 40], [17, 5]], [[0.5, 0.9, 0.1, 0.99999994], [0.3, 0.7, 0.2, 0.6]])
    return out


# -------------------------------------------------------------------------------------------- ema_update §7
def ema_update_cases():
    out = []
    for name, m, P in [("m0996_p37", 0.996, 37), ("m1_p5", 1.0, 5), ("m0_p8", 0.0, 8), ("m0999_p1", 0.999, 1),
                       ("m09_p33", 0.9, 33), ("m09999_p16", 0.9999, 16)]:
        path = "ema_update/%s.safetensors" % name
        g = seeded(path)
        inputs = {"teacher": randn(g, P), "student": randn(g, P)}
        out.append(Case(path, "ema_update", {"momentum": m}, inputs,
                        lambda t, d, m=m: {"teacher": C.ema_update(t["teacher"], t["student"], m)},
                        tolerance={"teacher": {"atol": 1e-7, "rtol": 1e-6}},
                        generator="reference/ PyTorch %s, float32 ops (bit-exact: m, 1-m rounded to float32, "
                                  "products rounded, then added)" % torch.__version__))
    return out


# -------------------------------------------------------------------------------------------- schedules §7, §8
def schedule_cases():
    out = []
    sched_tol = {"atol": 1e-12, "rtol": 1e-12}
    for name, m0, steps in [("m0996_steps10", 0.996, 10), ("m0996_steps1", 0.996, 1), ("m099_steps37", 0.99, 37),
                            ("m0_steps4", 0.0, 4)]:
        path = "momentum_schedule/%s.safetensors" % name
        out.append(Case(path, "momentum_schedule", {"m0": m0, "steps": steps}, {},
                        lambda t, d, m0=m0, steps=steps: {"momentum": C.momentum_schedule(m0, steps)},
                        tolerance={"momentum": sched_tol}, f64_outputs=["momentum"],
                        generator="reference/ PyTorch %s, float64" % torch.__version__, f32_check=False))
    for name, lr, lr_start, lr_end, warm, total in [
        ("warmup0_total10", 5e-4, 1e-6, 1e-5, 0, 10),
        ("warmup1_total7", 5e-4, 1e-6, 1e-5, 1, 7),
        ("warmup2_total9", 3e-3, 0.0, 0.0, 2, 9),
        ("warmup5_total20", 5e-4, 1e-6, 1e-5, 5, 20),
        ("warmup_all_total4", 1e-3, 2e-5, 1e-6, 4, 4),
        ("warmup0_total1", 1e-3, 0.0, 1e-5, 0, 1),
    ]:
        path = "lr_schedule/%s.safetensors" % name
        params = {"lr": lr, "lr_start": lr_start, "lr_end": lr_end, "warmup_steps": warm, "total_steps": total}
        out.append(Case(path, "lr_schedule", params, {},
                        lambda t, d, p=params: {"lr": C.lr_schedule(**p)},
                        tolerance={"lr": {"atol": 1e-18, "rtol": 1e-12}}, f64_outputs=["lr"],
                        generator="reference/ numpy %s linspace + cos, float64" % np.__version__, f32_check=False))
    return out


# -------------------------------------------------------------------------------------------- adamw_step §8
def adamw_cases():
    out = []
    for name, P, lr, b1, b2, eps, wd, step, zero_moments in [
        ("step1_zero_moments_p17", 17, 1e-3, 0.9, 0.98, 1e-8, 0.1, 1, True),
        ("step10_p33", 33, 5e-4, 0.9, 0.98, 1e-8, 0.05, 10, False),
        ("step3_no_decay_p8", 8, 1e-3, 0.9, 0.98, 1e-8, 0.0, 3, False),
        ("step1000_p5", 5, 2e-4, 0.9, 0.999, 1e-6, 0.2, 1000, False),
        ("step2_p1", 1, 1e-2, 0.8, 0.95, 1e-8, 0.5, 2, False),
    ]:
        path = "adamw_step/%s.safetensors" % name
        g = seeded(path)
        inputs = {"param": randn(g, P), "grad": randn(g, P, scale=0.1)}
        if zero_moments:
            inputs["exp_avg"] = np.zeros(P, np.float32)
            inputs["exp_avg_sq"] = np.zeros(P, np.float32)
        else:
            inputs["exp_avg"] = randn(g, P, scale=0.05)
            inputs["exp_avg_sq"] = rand(g, P, lo=1e-4, hi=1e-2)
        params = {"lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd, "step": step}

        def compute(t, d, p=params):
            param, m, v = C.adamw_step(t["param"], t["grad"], t["exp_avg"], t["exp_avg_sq"], **p)
            return {"param": param, "exp_avg": m, "exp_avg_sq": v}

        out.append(Case(path, "adamw_step", params, inputs, compute,
                        tolerance={"param": ELEMENTWISE, "exp_avg": {"atol": 1e-8, "rtol": 1e-5},
                                   "exp_avg_sq": {"atol": 1e-10, "rtol": 1e-5}},
                        generator="reference/ PyTorch %s torch.optim.AdamW, float64 then rounded to float32"
                                  % torch.__version__))
    return out


# -------------------------------------------------------------------------------------------- losses §6
def _grads(loss, tensors):
    return torch.autograd.grad(loss, tensors, allow_unused=True)


def clip_loss_cases():
    out = []
    for name, V, B, E, t in [
        ("v1_b4_e8_init_scale", 1, 4, 8, math.log(1 / 0.07)),
        ("v2_b3_e8", 2, 3, 8, 2.0),
        ("v3_b2_e5_scale_ln100", 3, 2, 5, math.log(100.0)),
        ("v2_b1_e6", 2, 1, 6, math.log(1 / 0.07)),
        ("v2_b5_e7_scale0", 2, 5, 7, 0.0),
        ("v2_b6_e16_scale_ln100", 2, 6, 16, math.log(100.0)),
    ]:
        path = "clip_loss/%s.safetensors" % name
        g = seeded(path)
        inputs = {"image_embed": randn(g, V * B, E, scale=2.0), "text_embed": randn(g, B, E, scale=0.5),
                  "logit_scale": np.array(t, dtype=np.float32)}

        def compute(x, d):
            img = x["image_embed"].clone().requires_grad_(True)
            txt = x["text_embed"].clone().requires_grad_(True)
            ls = x["logit_scale"].clone().requires_grad_(True)
            loss, per_view = C.clip_loss(img, txt, ls)
            gi, gt, gs = _grads(loss, [img, txt, ls])
            return {"loss": loss, "loss_per_view": per_view, "grad_image_embed": gi, "grad_text_embed": gt,
                    "grad_logit_scale": gs}

        out.append(Case(path, "clip_loss", {}, inputs, compute,
                        tolerance=_tol(["loss", "loss_per_view", "grad_image_embed", "grad_text_embed",
                                        "grad_logit_scale"], 1e-5, 1e-4)))
    return out


def simclr_loss_cases():
    out = []
    for name, B, D, tau, same in [
        ("b4_d8_t01", 4, 8, 0.1, False),
        ("b1_d5_t01", 1, 5, 0.1, False),
        ("b3_d6_t02", 3, 6, 0.2, False),
        ("b7_d16_t01", 7, 16, 0.1, False),
        ("same_view_b4_d8_t01", 4, 8, 0.1, True),
        ("same_view_b1_d4_t01", 1, 4, 0.1, True),
    ]:
        path = "simclr_loss/%s.safetensors" % name
        g = seeded(path)
        inputs = {"a": randn(g, B, D), "b": randn(g, B, D, scale=3.0)}

        def compute(x, d, tau=tau, same=same):
            a = x["a"].clone().requires_grad_(True)
            b = x["b"].clone().requires_grad_(True)
            loss = C.simclr_loss(a, b, tau, same_view=same)
            ga, gb = _grads(loss, [a, b])
            return {"loss": loss, "grad_a": ga, "grad_b": torch.zeros_like(b) if gb is None else gb}

        out.append(Case(path, "simclr_loss", {"temperature": tau, "same_view": same}, inputs, compute,
                        tolerance=_tol(["loss", "grad_a", "grad_b"], 1e-5, 1e-4)))
    return out


def simsiam_loss_cases():
    out = []
    for name, B, D in [("b4_d8", 4, 8), ("b1_d3", 1, 3), ("b5_d7", 5, 7)]:
        path = "simsiam_loss/%s.safetensors" % name
        g = seeded(path)
        inputs = {"p1": randn(g, B, D), "p2": randn(g, B, D, scale=0.3), "z1": randn(g, B, D),
                  "z2": randn(g, B, D, scale=4.0)}

        def compute(x, d):
            p1 = x["p1"].clone().requires_grad_(True)
            p2 = x["p2"].clone().requires_grad_(True)
            loss = C.simsiam_loss(p1, p2, x["z1"], x["z2"])
            g1, g2 = _grads(loss, [p1, p2])
            return {"loss": loss, "grad_p1": g1, "grad_p2": g2}

        out.append(Case(path, "simsiam_loss", {}, inputs, compute,
                        tolerance=_tol(["loss", "grad_p1", "grad_p2"], 1e-6, 1e-5)))
    return out


def byol_loss_cases():
    out = []
    for name, V, B, D in [("v1_b3_d8", 1, 3, 8), ("v2_b4_d6", 2, 4, 6), ("v3_b2_d5", 3, 2, 5), ("v2_b1_d4", 2, 1, 4)]:
        path = "byol_loss/%s.safetensors" % name
        g = seeded(path)
        inputs = {"pred": randn(g, V * B, D), "target": randn(g, B, D, scale=2.0)}

        def compute(x, d):
            pred = x["pred"].clone().requires_grad_(True)
            loss = C.byol_loss(pred, x["target"])
            (gp,) = _grads(loss, [pred])
            return {"loss": loss, "grad_pred": gp}

        out.append(Case(path, "byol_loss", {}, inputs, compute, tolerance=_tol(["loss", "grad_pred"], 1e-6, 1e-5)))
    return out


# -------------------------------------------------------------------------------------------- towers §1-§3
def init_weights(g, shapes):
    """Random weights with non-trivial activations: LayerNorm gains 1 +- 0.2, biases ~0.1, matrices scaled by
    1/sqrt(fan_in), embeddings ~0.5 (so attention is neither uniform nor one-hot)."""
    w = {}
    for name, shape in shapes.items():
        leaf = name.split(".")[-2] if "." in name else name
        is_norm = leaf.startswith("norm") or leaf.startswith("ln_")
        if is_norm and name.endswith(".weight"):
            w[name] = (1.0 + randn(g, *shape, scale=0.2)).astype(np.float32)
        elif name.endswith("bias"):
            w[name] = randn(g, *shape, scale=0.1)
        elif name in ("cls_token", "pos_embed", "token_embedding.weight", "positional_embedding"):
            w[name] = randn(g, *shape, scale=0.5)
        elif name in ("image_projection", "text_projection"):
            w[name] = randn(g, *shape, scale=1.0 / math.sqrt(shape[0]))
        else:  # [out, in, ...]: fan_in is everything but the first dimension
            w[name] = randn(g, *shape, scale=1.0 / math.sqrt(int(np.prod(shape[1:]))))
    return w


def _tower_compute(forward, weight_names):
    """compute(t, dtype) running `forward(weights, t) -> (features, extra outputs)` with autograd and returning
    features, the extras, and grad.w.<name> of sum(features * probe) for every weight."""
    def compute(t, d):
        w = {n: t["w." + n].clone().requires_grad_(True) for n in weight_names}
        feats, extra = forward(w, t)
        grads = torch.autograd.grad((feats * t["probe"]).sum(), [w[n] for n in weight_names], allow_unused=True)
        out = {"features": feats}
        out.update(extra)
        for n, gr in zip(weight_names, grads):
            out["grad.w." + n] = torch.zeros_like(w[n]) if gr is None else gr
        return out
    return compute


def tower_tolerance(outputs):
    """Features and weight gradients are sums over many tokens and channels: a float32 implementation's error
    scales with the tensor's magnitude, not each element's, so atol is 1e-5 times the largest |value| (at least
    1e-5), rtol 1e-4. Scores use atol 1e-6, rtol 1e-4 as in attention_scores."""
    tol = {}
    for name, arr in outputs.items():
        if name == "scores":
            tol[name] = {"atol": 1e-6, "rtol": 1e-4}
        elif arr.dtype.kind == "f":
            scale = max(1.0, float(np.abs(arr).max()) if arr.size else 1.0)
            tol[name] = {"atol": float("%.2g" % (1e-5 * math.ceil(scale * 100) / 100)), "rtol": 1e-4}
    return tol


def vit_forward_cases():
    out = []

    def add(name, B, S, p, D, depth, H, E, keep=None, layers="all"):
        path = "vit_forward/%s.safetensors" % name
        g = seeded(path)
        shapes = towers.vision_weight_shapes(S, p, D, depth, H, E)
        weights = init_weights(g, shapes)
        N = (S // p) ** 2
        inputs = {"images": randn(g, B, 3, S, S)}
        if keep is not None:
            if isinstance(keep, int):  # a random ascending subset of K patches per image
                keep = [sorted(torch.randperm(N, generator=g)[:keep].tolist()) for _ in range(B)]
            inputs["keep_index"] = np.array(keep, dtype=np.int32)
        inputs["probe"] = randn(g, B, E)
        for n, arr in weights.items():
            inputs["w." + n] = arr
        params = {"image_size": S, "patch": p, "width": D, "depth": depth, "heads": H, "embed": E}
        if keep is None:
            params["layers"] = layers

        def forward(w, t):
            feats, _, qs, ks = towers.vit_forward(w, t["images"], p, H, t.get("keep_index"))
            return feats, ({} if keep is not None else {"scores": towers.vit_scores(qs, ks, layers)})

        out.append(Case(path, "vit_forward", params, inputs, _tower_compute(forward, list(shapes)),
                        tolerance=tower_tolerance))

    add("unmasked_s16_p4_d16_h2_depth2_b2", 2, 16, 4, 16, 2, 2, 8)
    add("masked_k7_s16_p4_d16_h2_depth2_b2", 2, 16, 4, 16, 2, 2, 8, keep=7)
    # kept tokens of 2 x 2 cells on the 4 x 4 grid (cells 0 and 3), as select_tokens would give them
    add("masked_cells_s16_p4_d12_h3_depth1_b1", 1, 16, 4, 12, 1, 3, 6, keep=[[0, 1, 4, 5, 10, 11, 14, 15]])
    add("unmasked_last_s24_p8_d8_h2_depth3_b1", 1, 24, 8, 8, 3, 2, 4, layers="last")
    add("masked_k1_s16_p8_d8_h1_depth1_b3", 3, 16, 8, 8, 1, 1, 5, keep=1)
    # wide enough for a SIMD port's full register tiles: qkv has 3D = 192 outputs, 64 rows per head group
    add("unmasked_s32_p4_d64_h4_depth2_b2", 2, 32, 4, 64, 2, 4, 32)
    add("masked_k31_s32_p4_d64_h4_depth1_b2", 2, 32, 4, 64, 1, 4, 24, keep=31)
    return out


def text_forward_cases():
    out = []

    def add(name, B, vocab, ctx, W, depth, H, E, lengths):
        path = "text_forward/%s.safetensors" % name
        g = seeded(path)
        shapes = towers.text_weight_shapes(vocab, ctx, W, depth, H, E)
        weights = init_weights(g, shapes)
        sot, eot = vocab - 2, vocab - 1  # EOT is the largest id (goldens/README.md)
        tokens = np.zeros((B, ctx), np.int32)  # pad 0 after EOT
        for b, n in enumerate(lengths):  # n = tokens including SOT and EOT
            tokens[b, 0] = sot
            tokens[b, 1:n - 1] = randint(g, 1, vocab - 2, n - 2)
            tokens[b, n - 1] = eot
        inputs = {"tokens": tokens, "probe": randn(g, B, E)}
        for n, arr in weights.items():
            inputs["w." + n] = arr
        params = {"vocab": vocab, "context": ctx, "width": W, "depth": depth, "heads": H, "embed": E}

        def forward(w, t):
            return towers.text_forward(w, t["tokens"], H), {}

        out.append(Case(path, "text_forward", params, inputs, _tower_compute(forward, list(shapes)),
                        tolerance=tower_tolerance))

    add("ctx8_w16_h2_depth2_b3", 3, 50, 8, 16, 2, 2, 8, lengths=[8, 3, 5])
    add("ctx16_w16_h4_depth1_b2", 2, 50, 16, 16, 1, 4, 12, lengths=[2, 16])
    add("ctx9_w8_h1_depth2_b1", 1, 30, 9, 8, 2, 1, 6, lengths=[6])
    add("ctx33_w64_h4_depth2_b3", 3, 70, 33, 64, 2, 4, 32, lengths=[33, 2, 17])
    return out


# -------------------------------------------------------------------------------------------- aclip_step §1-§8
STEP_MARGIN = 1e-3  # least gap at a keep boundary, relative to the largest cell score (see _keep_margin)


def _init_heads(g, shapes):
    """Head weights: Linear matrices ~1/sqrt(fan_in), biases ~0.1, BatchNorm gains 1 +- 0.2 and shifts ~0.1,
    running means ~0.1 and running variances in [0.5, 1.5] (as after some training)."""
    w = {}
    for name, shape in shapes.items():
        bn = ".bn" in name or name.split(".")[-2] == "1"
        if name.endswith(".running_mean"):
            w[name] = randn(g, *shape, scale=0.1)
        elif name.endswith(".running_var"):
            w[name] = rand(g, *shape, lo=0.5, hi=1.5)
        elif bn and name.endswith(".weight"):
            w[name] = (1.0 + randn(g, *shape, scale=0.2)).astype(np.float32)
        elif name.endswith(".bias"):
            w[name] = randn(g, *shape, scale=0.1)
        else:
            w[name] = randn(g, *shape, scale=1.0 / math.sqrt(shape[1]))
    return w


def _keep_margin(cells, strategy, K, mixed):
    """Smallest gap, over images, between the last kept and the first dropped cell score at the boundary that the
    strategy cuts by score (rank K for low/high, rank mixed_top_cells for mixed), divided by the largest cell
    score; inf for random. A float32 implementation's cell scores differ from these by ~1e-6 relative, so a gap
    of STEP_MARGIN leaves keep_index exact."""
    worst = math.inf
    for c in cells:
        for row in c.reshape(c.shape[0], -1):
            vals = np.sort(row.numpy())
            n = vals.size
            if strategy == "low":
                cut = n - K  # ascending: kept are vals[n-K:], first dropped vals[n-K-1]
            elif strategy == "high":
                cut = K
            elif strategy == "mixed":
                cut = n - mixed
            else:
                continue
            if 0 < cut < n:
                worst = min(worst, (vals[cut] - vals[cut - 1]) / np.abs(vals).max())
    return worst


def aclip_step_cases():
    out = []
    lr = 1e-3

    def add(name, variant, V, Se, ssl, byol, strategy, layers, freeze, clamp=False, bn_per_view=False):
        path = "aclip_step/%s.safetensors" % name
        B, S, p, r = 4, 32, 4, 2
        G = S // p
        g_side = G // r
        n = g_side * g_side
        K = n if variant == "clip" else n // 2 + 1  # floor(n * 0.5) + 1 (§5.3)
        params = {
            "vision": {"image_size": S, "patch": p, "width": 16, "depth": 2, "heads": 2, "embed": 16},
            "text": {"vocab": 40, "context": 8, "width": 16, "depth": 1, "heads": 2, "embed": 16},
            "heads": {"simclr_hidden": 32, "simclr_out": 16, "byol_hidden": 32, "byol_out": 16},
            "variant": variant, "ema_image_size": Se, "views": V, "cell": r, "keep_cells": K,
            "strategy": strategy, "mixed_top_cells": int(round(0.25 * n)), "score_layers": layers, "ssl": ssl,
            "byol": byol, "temperature": 0.1, "w_ssl": 1.0, "w_byol": 2.0, "momentum": 0.996, "lr": lr,
            "weight_decay": 0.5, "beta1": 0.9, "beta2": 0.98, "eps": 1e-8, "step": 3, "freeze_patch_embed": freeze,
            "bn_per_view": bn_per_view,
        }
        shapes = step_mod.model_weight_shapes(params)
        for attempt in range(20):
            # reseed (path#attempt) until every keep boundary has a clear margin (§5.4 ties would be exact ties)
            g = seeded(path if attempt == 0 else "%s#%d" % (path, attempt))
            vision = {k: v for k, v in shapes.items() if k in step_mod.vision_names(params)}
            text = {k: v for k, v in shapes.items() if k in step_mod.text_names(params)}
            heads = {k: v for k, v in shapes.items() if k not in vision and k not in text and k != "logit_scale"}
            w = {}
            w.update(init_weights(g, vision))
            w.update(init_weights(g, text))
            w["logit_scale"] = np.array(math.log(100.0) - 1e-4 if clamp else math.log(1 / 0.07), dtype=np.float32)
            w.update(_init_heads(g, heads))
            inputs = {"w." + k: w[k] for k in shapes}
            for k in step_mod.ema_names(params):  # the EMA copy lags the online weights a little
                if step_mod.is_buffer(k):
                    inputs["ema." + k] = (randn(g, *shapes[k], scale=0.1) if k.endswith("mean")
                                          else rand(g, *shapes[k], lo=0.5, hi=1.5))
                else:
                    rms = float(np.sqrt(np.mean(w[k].astype(np.float64) ** 2)))
                    inputs["ema." + k] = (w[k] + randn(g, *shapes[k], scale=0.05 * rms)).astype(np.float32)
            # images differ in brightness and contrast per channel (as real ones do), so the CLS tokens that the
            # heads' BatchNorm standardises over the batch are not near-copies of each other
            shift, gain = randn(g, B, 3, 1, 1), rand(g, B, 3, 1, 1, lo=0.5, hi=2.0)
            inputs["views"] = (randn(g, V, B, 3, S, S) * gain + shift).astype(np.float32)
            if variant in step_mod.EMA_VARIANTS:
                inputs["ema_view"] = (randn(g, B, 3, Se, Se) * gain + shift).astype(np.float32)
                hw, boxes = [], []
                for _ in range(B):
                    hs = int(torch.randint(40, 81, (1,), generator=g))
                    ws = int(torch.randint(40, 81, (1,), generator=g))
                    hw.append([hs, ws])
                    boxes.append([_box_inside(g, hs, ws, 16) for _ in range(V)])
                view_boxes = np.array(boxes, dtype=np.int32)
                ema_box = C.enclosing_box(torch.from_numpy(view_boxes), torch.tensor(hw),
                                          torch.from_numpy(rand(g, B, 4)), "random").numpy()
                inputs["view_boxes"] = view_boxes
                inputs["ema_box"] = ema_box
            tp = params["text"]
            tokens = np.zeros((B, tp["context"]), np.int32)
            for b, length in enumerate([tp["context"], 3, 5, 7][:B]):  # SOT, words, EOT = vocab-1, then 0 padding
                tokens[b, 0] = tp["vocab"] - 2
                tokens[b, 1:length - 1] = randint(g, 1, tp["vocab"] - 2, length - 2)
                tokens[b, length - 1] = tp["vocab"] - 1
            inputs["tokens"] = tokens
            if variant != "clip":
                inputs["noise"] = rand(g, V, B, g_side, g_side)
            # moments as after two earlier steps: |exp_avg| ~ 0.2 rms(grad), sqrt(exp_avg_sq) in [0.14, 0.22]
            # rms(grad) of the tensor, so the AdamW update is well conditioned (no element with exp_avg_sq ~ 0)
            trainable = [k for k in shapes if step_mod.is_trainable(k, params)]
            probe = dict(inputs)
            for k in trainable:
                probe["exp_avg." + k] = np.zeros(shapes[k], np.float32)
                probe["exp_avg_sq." + k] = np.zeros(shapes[k], np.float32)
            trace = {}
            step_mod.aclip_step(to_torch(probe, torch.float64), params, torch.float64, trace)
            margin = _keep_margin(trace["cells"], strategy, K, params["mixed_top_cells"])
            if margin < STEP_MARGIN:
                continue
            rms = {k: float(trace["grads"][k].pow(2).mean().sqrt()) for k in trainable}
            # a Linear bias right before a BatchNorm has a zero gradient in exact arithmetic (the batch mean
            # removes any shift), so its float32 gradient is rounding noise: its moments get a scale from the
            # rest of the model, which keeps its update determined by the given state
            gmax = {k: float(trace["grads"][k].abs().max()) for k in trainable}
            floor = 1e-2 * max(rms.values())
            rms = {k: max(v, floor) for k, v in rms.items()}
            gmax = {k: max(v, floor) for k, v in gmax.items()}  # and the tolerance of their moments
            for k in ("image_mlp.layer1.bias", "image_mlp.layer2.bias"):  # pure rounding noise: a wider floor
                if k in gmax:
                    gmax[k] = max(gmax[k], 5 * floor)
            for k in trainable:
                inputs["exp_avg." + k] = randn(g, *(shapes[k] or (1,)), scale=0.2 * rms[k]).reshape(shapes[k])
            for k in trainable:
                inputs["exp_avg_sq." + k] = rand(g, *(shapes[k] or (1,)), lo=0.02 * rms[k] ** 2,
                                                 hi=0.05 * rms[k] ** 2).reshape(shapes[k])
            if clamp:  # a history of negative gradients pushes logit_scale past ln 100: the clamp must act
                inputs["exp_avg.logit_scale"] = np.array(-2.0 * rms["logit_scale"], dtype=np.float32)
                trace = {}
                step_mod.aclip_step(to_torch(inputs, torch.float64), params, torch.float64, trace)
                if not float(trace["logit_scale_pre_clamp"]) > math.log(100.0) + 1e-4:
                    raise AssertionError("%s: the clamp does not act" % path)
            break
        else:
            raise AssertionError("%s: no seed with a keep margin of %g" % (path, STEP_MARGIN))

        def compute(t, d, params=params):
            res = step_mod.aclip_step(t, params, d)
            return {k: res[k] for k in step_mod.output_order(params)}

        out.append(Case(path, "aclip_step", params, inputs, compute,
                        tolerance=lambda o, lr=lr, gmax=gmax: step_tolerance(o, lr, gmax),
                        generator="reference/ PyTorch %s, float64 autograd and torch.optim.AdamW then rounded to "
                                  "float32; EMA update in float32 (bit-exact)" % torch.__version__))

    add("aclip_v2_low", "aclip", 2, 32, "simclr", True, "low", "all", True)
    add("aclip_v3_low", "aclip", 3, 32, "simclr", True, "low", "all", False)
    add("aclip_v2_bn_per_view", "aclip", 2, 32, "simclr", True, "high", "all", False, bn_per_view=True)
    add("aclip_eff_v2", "aclip-eff", 2, 16, "simclr", True, "low", "all", False)
    add("aclip_attn_v2_last", "aclip-attn", 2, 32, "none", False, "mixed", "last", False)
    add("clip_random_v2", "clip-random", 2, 32, "none", False, "random", "all", False)
    add("clip_v1", "clip", 1, 32, "none", False, "none", "all", True, clamp=True)
    return out


STEP_GRAD_TOL = 2e-4  # gradient error a float32 implementation may make, relative to the tensor's largest |grad|


def step_tolerance(outputs, lr, gmax):
    """Per output of an aclip_step case (reference/README.md "aclip_step layout" says why); gmax: parameter name ->
    largest |gradient| of that tensor in this case (float64).
    - losses: atol 1e-5, rtol 1e-5;
    - weights after the step: atol 1e-6 + 2e-3 lr, rtol 2e-6;
    - EMA weights: as ema_update (the golden is bit-exact);
    - exp_avg = b1 m + (1 - b1) g: atol (1 - b1) * dg, dg = STEP_GRAD_TOL * gmax; exp_avg_sq: atol
      2 (1 - b2) gmax * dg (the derivative of (1 - b2) g^2); rtol 1e-5 for both;
    - BatchNorm running buffers: atol 1e-5 * max|tensor|, rtol 1e-4."""
    b1, b2 = 0.9, 0.98
    tol = {}
    for name, arr in outputs.items():
        if arr.dtype.kind != "f":
            continue
        if name in ("loss", "clip_loss", "ssl_loss", "byol_loss"):
            tol[name] = {"atol": 1e-5, "rtol": 1e-5}
        elif name.startswith("ema."):
            tol[name] = {"atol": 1e-7, "rtol": 1e-6}
        elif name.startswith("w.") and not step_mod.is_buffer(name):
            tol[name] = {"atol": float("%.3g" % (1e-6 + 2e-3 * lr)), "rtol": 2e-6}
        elif name.startswith("exp_avg."):
            dg = STEP_GRAD_TOL * gmax[name[len("exp_avg."):]]
            tol[name] = {"atol": float("%.2g" % max((1 - b1) * dg, 1e-30)), "rtol": 1e-5}
        elif name.startswith("exp_avg_sq."):
            k = name[len("exp_avg_sq."):]
            tol[name] = {"atol": float("%.2g" % max(2 * (1 - b2) * gmax[k] * STEP_GRAD_TOL * gmax[k], 1e-30)),
                         "rtol": 1e-5}
        else:
            scale = float(np.abs(arr).max()) if arr.size else 0.0
            tol[name] = {"atol": float("%.2g" % max(1e-5 * scale, 1e-30)), "rtol": 1e-4}
    return tol


def all_cases():
    cases = []
    for make in (attention_scores_cases, resize_bilinear_cases, view_scores_cases, pool_cells_cases,
                 select_tokens_cases, enclosing_box_cases, ema_update_cases, schedule_cases, adamw_cases,
                 clip_loss_cases, simclr_loss_cases, simsiam_loss_cases, byol_loss_cases, vit_forward_cases,
                 text_forward_cases, aclip_step_cases):
        cases.extend(make())
    paths = [c.path for c in cases]
    if len(set(paths)) != len(paths):
        raise AssertionError("duplicate case paths")
    return cases
