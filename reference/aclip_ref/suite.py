"""Machinery shared by the golden cases: the Case record, seeded input draws, evaluation in float64 (the
expected outputs) and float32 (a check that each stated tolerance is reachable by a float32 implementation), and
writing a case in the aclip4j golden format (goldens/README.md)."""
import hashlib
import json
import zlib

import numpy as np
import torch

from . import safetensors_io

FORMAT = "aclip4j-golden"
VERSION = "1"
DEFAULT_TOL = {"atol": 1e-5, "rtol": 1e-4}  # goldens/README.md: what a missing tolerance entry means
# A float32 run of the same math must use at most this share of each allowance, so that an honest float32
# implementation with a different summation order still passes with room to spare.
F32_BUDGET = 0.25


class Case:
    """One golden case.

    path       "<component>/<name>.safetensors", relative to the suite root
    component  goldens/README.md component name
    params     dict of JSON-serialisable parameters
    inputs     name -> numpy array (float32 / int32 / uint8), written as in.<name>
    compute    fn(inputs as torch tensors, float dtype) -> name -> torch tensor (outputs, written as out.<name>)
    tolerance  out name -> {"atol", "rtol"} for float outputs; missing floats get DEFAULT_TOL. May instead be a
               function of the expected outputs (name -> numpy array) returning that dict.
    f64_outputs  output names written as F64 (schedules); other float outputs are rounded to float32
    generator  the metadata 'generator' string
    """

    def __init__(self, path, component, params, inputs, compute, tolerance=None, f64_outputs=(), generator=None,
                 f32_check=True):
        self.path = path
        self.component = component
        self.params = params
        self.inputs = inputs
        self.compute = compute
        self.tolerance = tolerance if callable(tolerance) else dict(tolerance or {})
        self.f64_outputs = set(f64_outputs)
        self.generator = generator or ("reference/ PyTorch %s, float64 then rounded to float32" % torch.__version__)
        self.f32_check = f32_check


def seeded(path):
    """A torch.Generator seeded from the case path, so each case draws the same inputs on every run."""
    g = torch.Generator()
    g.manual_seed(zlib.crc32(path.encode("utf-8")))
    return g


def randn(g, *shape, scale=1.0):
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(torch.float32).numpy()


def rand(g, *shape, lo=0.0, hi=1.0):
    return (lo + (hi - lo) * torch.rand(*shape, generator=g, dtype=torch.float64)).to(torch.float32).numpy()


def randint(g, lo, hi, *shape):
    """Integers uniform in [lo, hi)."""
    return torch.randint(lo, hi, shape, generator=g, dtype=torch.int64).numpy().astype(np.int32)


def to_torch(inputs, dtype):
    out = {}
    for name, arr in inputs.items():
        t = torch.from_numpy(np.array(arr))
        out[name] = t.to(dtype) if t.is_floating_point() else t
    return out


def _allowance(expected, tol):
    return tol["atol"] + tol["rtol"] * np.abs(expected)


def evaluate(case):
    """-> (outputs: name -> numpy array as written, notes: list of strings). Raises AssertionError when the
    float32 run of the same math does not fit within F32_BUDGET of a tolerance, or integer outputs differ."""
    ref = case.compute(to_torch(case.inputs, torch.float64), torch.float64)
    outputs = {}
    for name, t in ref.items():
        t = t.detach()
        if t.is_floating_point():
            outputs[name] = t.to(torch.float64 if name in case.f64_outputs else torch.float32).numpy()
        elif t.dtype == torch.uint8:
            outputs[name] = t.numpy().astype(np.uint8)
        else:
            outputs[name] = t.numpy().astype(np.int32)
    if callable(case.tolerance):
        case.tolerance = case.tolerance(outputs)
    notes = []
    if case.f32_check:
        low = case.compute(to_torch(case.inputs, torch.float32), torch.float32)
        for name, exp in outputs.items():
            act = low[name].detach().to(torch.float64).numpy()
            if exp.dtype.kind != "f":
                if not np.array_equal(exp.astype(np.int64), act.astype(np.int64)):
                    raise AssertionError("%s out.%s: float32 run gives different integers" % (case.path, name))
                continue
            tol = case.tolerance.get(name, DEFAULT_TOL)
            if name in case.f64_outputs:
                continue
            used = np.abs(act - exp.astype(np.float64)) / _allowance(exp.astype(np.float64), tol)
            worst = float(used.max()) if used.size else 0.0
            notes.append("%s %.3f" % (name, worst))
            if not worst <= F32_BUDGET:
                raise AssertionError("%s out.%s: float32 run uses %.3f of the tolerance %s (budget %.2f)"
                                     % (case.path, name, worst, tol, F32_BUDGET))
    return outputs, notes


def metadata(case, outputs):
    """Every float output gets an explicit tolerance entry (the default when the case names none)."""
    tol = {}
    for name in sorted(outputs):
        if outputs[name].dtype.kind == "f":
            tol["out." + name] = case.tolerance.get(name, DEFAULT_TOL)
    return {
        "format": FORMAT,
        "version": VERSION,
        "component": case.component,
        "params": json.dumps(case.params, sort_keys=True),
        "tolerance": json.dumps(tol, sort_keys=True),
        "generator": case.generator,
    }


def encode(case, outputs):
    tensors = {}
    for name, arr in case.inputs.items():
        tensors["in." + name] = arr
    for name, arr in outputs.items():
        tensors["out." + name] = arr
    return safetensors_io.encode(tensors, metadata(case, outputs))


def sha256(data):
    return hashlib.sha256(data).hexdigest()
