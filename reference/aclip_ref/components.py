"""The A-CLIP components of docs/SPEC.md, written with PyTorch's own ops (F.interpolate, softmax, stable sort,
torch.optim.AdamW, autograd) so the oracle shares no code with aclip4j.

Every function computes in the dtype of its float inputs: the goldens call them in float64 on float32 inputs and
round the results to float32; the generator also calls them in float32 to check that the stated tolerances are
reachable by a float32 implementation. Shapes use SPEC §0 names: B batch, N patch tokens, T = N + 1, G grid side,
g cell-grid side, r patches per cell side, K kept cells, V views, E/D embedding widths.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------------- §3 scores
def attention_scores(q, k, layers="all"):
    """q, k [L,B,H,T,hs] -> scores [B,N]: the CLS query's softmax weight on each patch key, averaged over layers
    (all, or the last only) and heads (§3). The CLS-to-CLS weight is dropped without renormalising."""
    if layers not in ("all", "last"):
        raise ValueError("layers must be 'all' or 'last', got %r" % (layers,))
    hs = q.shape[-1]
    logits = q @ k.transpose(-1, -2) / math.sqrt(hs)  # [L,B,H,T,T]
    p = torch.softmax(logits, dim=-1)
    cls_row = p[..., 0, 1:]  # [L,B,H,N]: query CLS, keys 1..T-1
    if layers == "last":
        cls_row = cls_row[-1:]
    return cls_row.mean(dim=(0, 2))  # [B,N]


# ---------------------------------------------------------------------------------------------------- §5.1 resample
def resize_bilinear(x, out_h, out_w):
    """x [B,C,Hin,Win] -> [B,C,out_h,out_w]; bilinear, align_corners=False, no antialias (§5.1)."""
    return F.interpolate(x, size=(int(out_h), int(out_w)), mode="bilinear", align_corners=False)


def resize_bilinear_loops(x, out_h, out_w):
    """The §5.1 formula written out with Python loops, to cross-check F.interpolate in the self-tests."""
    B, C, hin, win = x.shape
    y = torch.zeros(B, C, out_h, out_w, dtype=x.dtype)

    def taps(d, n_in, n_out):
        src = max(0.0, (d + 0.5) * n_in / n_out - 0.5)
        i0 = int(math.floor(src))
        i1 = min(i0 + 1, n_in - 1)
        return i0, i1, src - i0

    for oy in range(out_h):
        y0, y1, ly = taps(oy, hin, out_h)
        for ox in range(out_w):
            x0, x1, lx = taps(ox, win, out_w)
            a, b = x[:, :, y0, x0], x[:, :, y0, x1]
            c, d = x[:, :, y1, x0], x[:, :, y1, x1]
            y[:, :, oy, ox] = (1 - ly) * ((1 - lx) * a + lx * b) + ly * ((1 - lx) * c + lx * d)
    return y


def view_scores(score_map, ema_box, view_box, grid):
    """score_map [B,Ge,Ge] (scores of the EMA view), ema_box / view_box [B,4] int (top, left, h, w) in source
    pixels -> [B,G,G] (§5.1): R = resize(M, h_e, w_e); C = R[top_v-top_e : +h_v, left_v-left_e : +w_v] with zeros
    where the view leaves the EMA box; Sv = resize(C, G, G)."""
    out = []
    for b in range(score_map.shape[0]):
        te, le, he, we = [int(v) for v in ema_box[b]]
        tv, lv, hv, wv = [int(v) for v in view_box[b]]
        r = resize_bilinear(score_map[b][None, None], he, we)[0, 0]  # [h_e,w_e]
        c = torch.zeros(hv, wv, dtype=score_map.dtype)
        # rows i of C read row (tv - te + i) of R; keep the ones inside 0..h_e-1 (same for columns)
        r0, r1 = max(0, te - tv), min(hv, te + he - tv)
        c0, c1 = max(0, le - lv), min(wv, le + we - lv)
        if r0 < r1 and c0 < c1:
            c[r0:r1, c0:c1] = r[tv - te + r0:tv - te + r1, lv - le + c0:lv - le + c1]
        out.append(resize_bilinear(c[None, None], grid, grid)[0, 0])
    return torch.stack(out)


# ---------------------------------------------------------------------------------------------------- §5.2 cells
def pool_cells(scores, cell):
    """scores [B,G,G] -> [B,g,g], g = G / r: the mean of each r x r block (§5.2)."""
    B, G, G2 = scores.shape
    if G != G2 or G % cell != 0:
        raise ValueError("grid %dx%d is not divisible into cells of %d" % (G, G2, cell))
    g = G // cell
    return scores.reshape(B, g, cell, g, cell).mean(dim=(2, 4))


# ---------------------------------------------------------------------------------------------------- §5.3-5.5
def _highest(values, count):
    """Indices of the `count` largest values; ties go to the lower index (stable sort of the negation)."""
    order = torch.sort(-values, stable=True).indices
    return order[:count]


def _lowest(values, count):
    """Indices of the `count` smallest values; ties go to the lower index."""
    order = torch.sort(values, stable=True).indices
    return order[:count]


def select_cells(cell_scores, noise, strategy, keep_cells, mixed_top_cells):
    """cell_scores, noise [n] (flattened g x g) -> kept cell indices (unsorted), SPEC §5.4."""
    n = cell_scores.numel()
    K = int(keep_cells)
    if not 1 <= K <= n:
        raise ValueError("keep_cells %d outside 1..%d" % (K, n))
    if strategy == "low":  # keep the most attended cells (paper default)
        return _highest(cell_scores, K)
    if strategy == "high":
        return _lowest(cell_scores, K)
    if strategy == "random":
        return _lowest(noise, K)
    if strategy == "mixed":
        m = int(mixed_top_cells)
        if not 0 <= m <= K:
            raise ValueError("mixed_top_cells %d outside 0..%d" % (m, K))
        top = _highest(cell_scores, m)
        left = torch.ones(n, dtype=torch.bool)
        left[top] = False
        rest = torch.nonzero(left).flatten()  # ascending, so ties among equal noise go to the lower index
        fill = rest[_lowest(noise[rest], K - m)]
        return torch.cat([top, fill])
    raise ValueError("strategy must be low, high, mixed or random, got %r" % (strategy,))


def select_tokens(cell_scores, noise, strategy, keep_cells, mixed_top_cells, cell):
    """cell_scores, noise [B,g,g] -> keep_index int32 [B,K*r*r] ascending token indices on the G x G grid
    (G = g * r), keep_mask uint8 [B,N] (§5.3-5.5)."""
    B, g, _ = cell_scores.shape
    r = int(cell)
    G = g * r
    index = []
    for b in range(B):
        cells = select_cells(cell_scores[b].flatten(), noise[b].flatten(), strategy, keep_cells, mixed_top_cells)
        tokens = []
        for c in cells.tolist():
            ci, cj = divmod(c, g)
            for a in range(r):
                for d in range(r):
                    tokens.append((ci * r + a) * G + cj * r + d)
        index.append(sorted(tokens))
    keep_index = torch.tensor(index, dtype=torch.int32).reshape(B, -1)
    keep_mask = torch.zeros(B, G * G, dtype=torch.uint8)
    keep_mask.scatter_(1, keep_index.long(), 1)
    return keep_index, keep_mask


# ---------------------------------------------------------------------------------------------------- §4.3 box
def uniform_int(lo, hi, u):
    """An integer uniform in [lo, hi] from u in [0,1): lo + floor(u * (hi - lo + 1)), capped at hi (goldens/README.md).
    u is a torch scalar; the product is taken in u's dtype, so float32 and float64 callers can be compared."""
    if hi < lo:
        raise ValueError("empty range [%d, %d]" % (lo, hi))
    v = lo + int(torch.floor(u * (hi - lo + 1)).item())
    return min(v, hi)


def enclosing_box(view_boxes, image_hw, u, mode):
    """view_boxes [B,V,4] int, image_hw [B,2] int (Hs, Ws), u [B,4] float (draws for top, left, h, w)
    -> ema_box int32 [B,4] (§4.2-4.3)."""
    out = []
    for b in range(view_boxes.shape[0]):
        boxes = view_boxes[b].tolist()
        hs, ws = [int(v) for v in image_hw[b]]
        top_u = min(t for t, l, h, w in boxes)
        left_u = min(l for t, l, h, w in boxes)
        bottom_u = max(t + h for t, l, h, w in boxes)
        right_u = max(l + w for t, l, h, w in boxes)
        if mode == "minimal":
            out.append([top_u, left_u, bottom_u - top_u, right_u - left_u])
        elif mode == "random":
            top_e = uniform_int(0, top_u, u[b, 0])
            left_e = uniform_int(0, left_u, u[b, 1])
            h_e = uniform_int(bottom_u - top_e, hs - top_e, u[b, 2])
            w_e = uniform_int(right_u - left_e, ws - left_e, u[b, 3])
            out.append([top_e, left_e, h_e, w_e])
        else:
            raise ValueError("mode must be random or minimal, got %r" % (mode,))
    return torch.tensor(out, dtype=torch.int32)


# ---------------------------------------------------------------------------------------------------- §7 EMA
def ema_update(teacher, student, momentum):
    """teacher, student float32 [P] -> m*teacher + (1-m)*student in float32, with m and 1-m (computed in double)
    each rounded to float32 and the two products rounded separately before the add (§7). Bit-exact."""
    t = teacher.to(torch.float32)
    s = student.to(torch.float32)
    m = torch.tensor(momentum, dtype=torch.float64).to(torch.float32)
    one_minus_m = torch.tensor(1.0 - momentum, dtype=torch.float64).to(torch.float32)
    a = t * m  # rounded to float32
    c = s * one_minus_m  # rounded to float32
    return a + c


def momentum_schedule(m0, steps):
    """-> [steps] float64: m_i = 1 - (1 - m0) * (1 + cos(pi i / I)) / 2, i = 0..I-1 (§7)."""
    i = torch.arange(steps, dtype=torch.float64)
    return 1 - (1 - m0) * (1 + torch.cos(math.pi * i / steps)) / 2


def lr_schedule(lr, lr_start, lr_end, warmup_steps, total_steps):
    """-> [total_steps] float64 (§8): np.linspace(lr_start, lr, warmup_steps) (both ends included), then
    lr_end + (lr - lr_end) * (1 + cos(pi t / Tc)) / 2 for t = 0..Tc-1, Tc = total_steps - warmup_steps."""
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError("warmup_steps %d outside 0..total_steps %d" % (warmup_steps, total_steps))
    warm = np.linspace(lr_start, lr, warmup_steps) if warmup_steps > 0 else np.array([], dtype=np.float64)
    tc = total_steps - warmup_steps
    t = np.arange(tc, dtype=np.float64)
    cos = lr_end + 0.5 * (lr - lr_end) * (1 + np.cos(np.pi * t / tc)) if tc > 0 else np.array([])
    return torch.from_numpy(np.concatenate([warm, cos]).astype(np.float64))


# ---------------------------------------------------------------------------------------------------- §8 AdamW
def adamw_step(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step):
    """One torch.optim.AdamW update numbered `step` (1-based): the state is primed with step - 1 and the given
    moments, then optimizer.step() runs once. Returns (param, exp_avg, exp_avg_sq) after the update (§8)."""
    p = torch.nn.Parameter(param.detach().clone())
    p.grad = grad.detach().clone()
    opt = torch.optim.AdamW([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                            foreach=False, maximize=False, amsgrad=False)
    opt.state[p] = {
        "step": torch.tensor(float(step - 1)),
        "exp_avg": exp_avg.detach().clone(),
        "exp_avg_sq": exp_avg_sq.detach().clone(),
    }
    opt.step()
    st = opt.state[p]
    if int(st["step"].item()) != step:
        raise AssertionError("AdamW state step %s, expected %d" % (st["step"], step))
    return p.detach(), st["exp_avg"], st["exp_avg_sq"]


def adamw_formula(param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step):
    """§8 written out: decoupled decay, then bias-corrected Adam; cross-checks torch.optim.AdamW."""
    p = param * (1 - lr * weight_decay)
    m = exp_avg * beta1 + grad * (1 - beta1)
    v = exp_avg_sq * beta2 + grad * grad * (1 - beta2)
    bc1 = 1 - beta1 ** step
    bc2 = 1 - beta2 ** step
    denom = v.sqrt() / math.sqrt(bc2) + eps
    return p - (lr / bc1) * m / denom, m, v


# ---------------------------------------------------------------------------------------------------- §6 losses
def normalize(x):
    """x / max(||x||, 1e-12) over the last dimension (§6)."""
    return F.normalize(x, dim=-1, eps=1e-12)


def clip_loss(image_embed, text_embed, logit_scale):
    """image_embed [V*B,E] view-major, text_embed [B,E], logit_scale [] -> (loss [], loss_per_view [V]) (§6):
    per view logits = exp(t) I_v T^T, L_v = (CE(logits, diag) + CE(logits^T, diag)) / 2; loss = mean_v L_v."""
    B = text_embed.shape[0]
    V = image_embed.shape[0] // B
    img = normalize(image_embed).reshape(V, B, -1)
    txt = normalize(text_embed)
    labels = torch.arange(B)
    per_view = []
    for v in range(V):
        logits = logit_scale.exp() * img[v] @ txt.t()
        per_view.append((F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2)
    per_view = torch.stack(per_view)
    return per_view.mean(), per_view


def simclr_loss(a, b, temperature, same_view=False):
    """a, b [B,D] -> loss [] (§6, NT-Xent): ab = a b^T / tau, aa = a a^T / tau - 1e9 I, loss_a = CE([ab | aa], diag),
    symmetric loss_b, L = (loss_a + loss_b) / 2. same_view=True reproduces the official bug: view a is used for
    both views (b is ignored)."""
    if same_view:
        b = a
    a = normalize(a)
    b = normalize(b)
    B = a.shape[0]
    labels = torch.arange(B)
    masks = torch.eye(B, dtype=a.dtype) * 1e9
    ab = a @ b.t() / temperature
    aa = a @ a.t() / temperature - masks
    ba = b @ a.t() / temperature
    bb = b @ b.t() / temperature - masks
    loss_a = F.cross_entropy(torch.cat([ab, aa], dim=1), labels)
    loss_b = F.cross_entropy(torch.cat([ba, bb], dim=1), labels)
    return (loss_a + loss_b) / 2


def simsiam_loss(p1, p2, z1, z2):
    """-> (D(p1, z2) + D(p2, z1)) / 2, D(p, z) = -mean cos(p, stopgrad(z)) (§6)."""
    def d(p, z):
        return -(normalize(p) * normalize(z.detach())).sum(-1).mean()
    return (d(p1, z2) + d(p2, z1)) / 2


def byol_loss(pred, target):
    """pred [V*B,D] view-major, target [B,D] -> mean over views and batch of 2 - 2 cos(pred_v, stopgrad(target))."""
    B = target.shape[0]
    V = pred.shape[0] // B
    p = normalize(pred).reshape(V, B, -1)
    t = normalize(target.detach())[None]
    return (2 - 2 * (p * t).sum(-1)).mean()
