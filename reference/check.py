#!/usr/bin/python3
"""Verifies the committed golden suite against a fresh regeneration.

    /usr/bin/python3 reference/check.py [--goldens goldens]

Regenerates every case into a temporary folder, then for each case checks: the committed file exists, is listed in
MANIFEST.json with its component and the SHA-256 of its bytes; its metadata (format, version, component, params,
tolerance) equals the regenerated one; it holds the same tensors with the same dtypes and shapes; inputs are
bit-identical (they come from seeded generators); float outputs agree within the case's tolerance
(|a - r| <= atol + rtol |r|, no NaN) and integer/U8 outputs exactly. Prints one line per case, then
`N passed, M failed`; exits 1 on any difference, or on a missing or extra case.
"""
import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import generate  # noqa: E402
from aclip_ref import safetensors_io, suite  # noqa: E402

DEFAULT_GOLDENS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "goldens")


def compare_case(committed_bytes, fresh_bytes, where):
    """-> list of problems (empty when the committed case agrees with the fresh one)."""
    try:
        got, gmeta = safetensors_io.decode(committed_bytes, where)
    except (ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return ["unreadable: %s" % e]
    want, wmeta = safetensors_io.decode(fresh_bytes, "regenerated")
    problems = []
    for key in ("format", "version", "component", "generator"):
        if gmeta.get(key) != wmeta.get(key):
            if key == "generator":
                continue  # a different PyTorch version may regenerate; the values decide
            problems.append("metadata %s %r, expected %r" % (key, gmeta.get(key), wmeta.get(key)))
    for key in ("params", "tolerance"):
        try:
            same = json.loads(gmeta.get(key, "{}")) == json.loads(wmeta.get(key, "{}"))
        except json.JSONDecodeError:
            same = False
        if not same:
            problems.append("metadata %s %s, expected %s" % (key, gmeta.get(key), wmeta.get(key)))
    if set(got) != set(want):
        problems.append("tensors %s, expected %s" % (sorted(got), sorted(want)))
    tolerance = json.loads(wmeta.get("tolerance", "{}"))
    for name in want:
        if name not in got:
            continue
        r, a = want[name], got[name]
        if r.dtype != a.dtype or r.shape != a.shape:
            problems.append("%s: %s %s, expected %s %s" % (name, a.dtype, list(a.shape), r.dtype, list(r.shape)))
            continue
        if name.startswith("in.") or r.dtype.kind != "f":
            if r.tobytes() != a.tobytes():
                bad = np.flatnonzero(r.reshape(-1) != a.reshape(-1))
                i = int(bad[0]) if bad.size else 0
                problems.append("%s differs (%d elements; first at [%d]: %r, expected %r)"
                                % (name, bad.size, i, a.reshape(-1)[i].item(), r.reshape(-1)[i].item()))
            continue
        tol = tolerance.get(name, suite.DEFAULT_TOL)
        r64, a64 = r.astype(np.float64).reshape(-1), a.astype(np.float64).reshape(-1)
        if np.isnan(r64).any() or np.isnan(a64).any():
            problems.append("%s has NaN" % name)
            continue
        excess = np.abs(a64 - r64) - (tol["atol"] + tol["rtol"] * np.abs(r64))
        excess[a64 == r64] = -1.0  # equal infinities
        if excess.size and excess.max() > 0:
            i = int(np.argmax(excess))
            problems.append("%s: [%d] is %.9g, expected %.9g (|diff| %.3g > atol %g + rtol %g)"
                            % (name, i, a64[i], r64[i], abs(a64[i] - r64[i]), tol["atol"], tol["rtol"]))
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--goldens", default=DEFAULT_GOLDENS, help="the committed suite (default: <repo>/goldens)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    root = args.goldens

    with tempfile.TemporaryDirectory(prefix="aclip4j-goldens-") as tmp:
        manifest_fresh = generate.write_suite(tmp, generate.build(generate.select([])))
        fresh = {e["path"]: e for e in manifest_fresh["cases"]}

        passed = failed = 0
        listed = {}
        try:
            with open(os.path.join(root, "MANIFEST.json")) as f:
                manifest = json.load(f)
            listed = {e["path"]: e for e in manifest["cases"]}
            if manifest.get("format") != suite.FORMAT or manifest.get("version") != suite.VERSION:
                print("FAIL MANIFEST.json: format/version %r/%r" % (manifest.get("format"), manifest.get("version")))
                failed += 1
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("FAIL MANIFEST.json: %s" % e)
            failed += 1

        on_disk = set()
        for dirpath, _, files in os.walk(root):
            for name in files:
                if name.endswith(".safetensors"):
                    on_disk.add(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))

        for path in sorted(fresh):
            problems = []
            if path not in on_disk:
                problems.append("missing from %s" % root)
            else:
                with open(os.path.join(root, path), "rb") as f:
                    data = f.read()
                entry = listed.get(path)
                if entry is None:
                    problems.append("not listed in MANIFEST.json")
                else:
                    if entry.get("sha256") != suite.sha256(data):
                        problems.append("SHA-256 differs from MANIFEST.json (file changed since it was written)")
                    if entry.get("component") != fresh[path]["component"]:
                        problems.append("MANIFEST.json component %r, expected %r"
                                        % (entry.get("component"), fresh[path]["component"]))
                with open(os.path.join(tmp, path), "rb") as f:
                    problems += compare_case(data, f.read(), path)
            if problems:
                failed += 1
                print("FAIL %s: %s" % (path, "; ".join(problems)))
            else:
                passed += 1
                print("PASS %s" % path)
        for path in sorted((on_disk | set(listed)) - set(fresh)):
            failed += 1
            print("FAIL %s: extra case, not produced by the generator" % path)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
