#!/usr/bin/python3
"""Writes the aclip4j golden suite (goldens/README.md): every case of aclip_ref/cases.py as
<out>/<component>/<case>.safetensors, and <out>/MANIFEST.json listing each case's path, component and SHA-256.

    /usr/bin/python3 reference/generate.py --out goldens [--component a,b]

Expected outputs are computed in float64 from the float32 inputs and rounded to float32 (schedules stay F64);
each case is also run in float32 to check that its tolerances leave a float32 implementation room to spare.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from aclip_ref import cases as cases_mod  # noqa: E402
from aclip_ref import suite  # noqa: E402


def select(components):
    cases = cases_mod.all_cases()
    if components:
        wanted = set(components)
        cases = [c for c in cases if c.component in wanted]
    return cases


def build(cases, verbose=False):
    """-> list of (case, file bytes)."""
    built = []
    for case in cases:
        outputs, notes = suite.evaluate(case)
        built.append((case, suite.encode(case, outputs)))
        if verbose:
            print("%-64s %6d B  float32 share of tolerance: %s" % (case.path, len(built[-1][1]),
                                                                  ", ".join(notes) or "-"))
    return built


def write_suite(out_dir, built):
    entries = []
    for case, data in built:
        target = os.path.join(out_dir, case.path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = target + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        entries.append({"path": case.path, "component": case.component, "sha256": suite.sha256(data)})
    entries.sort(key=lambda e: e["path"])
    manifest = {"format": suite.FORMAT, "version": suite.VERSION,
                "generator": "reference/generate.py, PyTorch %s" % torch.__version__, "cases": entries}
    with open(os.path.join(out_dir, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="suite folder to write (e.g. goldens)")
    ap.add_argument("--component", default="", help="comma-separated components (default: all; the manifest "
                                                       "then lists only these)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    cases = select([c for c in args.component.split(",") if c])
    built = build(cases, verbose=not args.quiet)
    manifest = write_suite(args.out, built)
    total = sum(len(d) for _, d in built)
    print("wrote %d cases, %d bytes, to %s" % (len(manifest["cases"]), total, args.out))


if __name__ == "__main__":
    main()
