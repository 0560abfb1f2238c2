#!/usr/bin/python3
"""Checks one golden case with numpy alone (no safetensors package, no PyTorch): reads the file by hand, recomputes
the CLIP loss of docs/SPEC.md §6 and its gradients, and compares every out.* tensor under the case's own tolerances.

    python3 goldens/example_check.py [goldens/clip_loss/<case>.safetensors]    # default: clip_loss/v2_b3_e8
"""
import json, os, struct, sys
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "clip_loss", "v2_b3_e8.safetensors")
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]                     # 8-byte little-endian header length
header = json.loads(raw[8:8 + n])                       # the JSON header
meta = header.pop("__metadata__")                       # strings: format, version, component, params, tolerance
DT = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "U8": "u1"}
t = {}
for name, d in header.items():                          # data_offsets count from the first byte after the header
    lo, hi = d["data_offsets"]
    t[name] = np.frombuffer(raw[8 + n + lo:8 + n + hi], DT[d["dtype"]]).reshape(d["shape"])
assert meta["component"] == "clip_loss", meta["component"]

def unit(x):                                            # rows x / max(||x||, 1e-12), and the norms used
    norm = np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x / norm, norm

def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

# float64 from the float32 inputs, as the reference oracle computes the expected outputs
img, txt = t["in.image_embed"].astype(np.float64), t["in.text_embed"].astype(np.float64)
s = np.exp(float(t["in.logit_scale"]))                  # the logits are multiplied by exp(t)
B = txt.shape[0]
V = img.shape[0] // B                                   # image rows are view-major: row v*B + b
I, norm_i = unit(img)
T, norm_t = unit(txt)
per_view, dI, dT, dt = [], np.zeros_like(I), np.zeros_like(T), 0.0
for v in range(V):
    Iv = I[v * B:(v + 1) * B]
    logits = s * Iv @ T.T                               # [B,B]: image b against text j
    P, Q = softmax_rows(logits), softmax_rows(logits.T)
    per_view.append((-np.log(np.diag(P)).mean() - np.log(np.diag(Q)).mean()) / 2)
    G = ((P - np.eye(B)) + (Q - np.eye(B)).T) / (2 * B * V)   # d loss / d logits
    dI[v * B:(v + 1) * B] = s * G @ T
    dT += s * G.T @ Iv
    dt += (G * logits).sum()                            # d logits / d t = logits

def through_norm(y, dy, norm):                          # back through the L2 normalisation
    return (dy - y * (y * dy).sum(axis=1, keepdims=True)) / norm

mine = {"out.loss": np.mean(per_view), "out.loss_per_view": np.array(per_view),
        "out.grad_image_embed": through_norm(I, dI, norm_i), "out.grad_text_embed": through_norm(T, dT, norm_t),
        "out.grad_logit_scale": dt}

tolerance, ok = json.loads(meta.get("tolerance", "{}")), True
for name, value in mine.items():
    a, r = np.asarray(value, np.float64), t[name].astype(np.float64)
    atol = tolerance.get(name, {}).get("atol", 1e-5)    # a missing entry means atol 1e-5, rtol 1e-4
    rtol = tolerance.get(name, {}).get("rtol", 1e-4)
    good = a.shape == r.shape and bool(np.all(np.abs(a - r) <= atol + rtol * np.abs(r)))
    ok = ok and good
    print("%s %-22s max |diff| %.2e  (atol %g, rtol %g)" % ("PASS" if good else "FAIL", name,
                                                          np.max(np.abs(a - r)), atol, rtol))
print("%s: %s" % (os.path.relpath(path), "PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
