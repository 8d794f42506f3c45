#!/usr/bin/env python3
"""Larger than memory: peak RSS of `voxconv run --memory-limit` on a CT-sized volume whose
output does not fit in RAM. Default: a 512^3 int16 volume, 32 filters k3 'same' (17 GB of
float32 output) with --memory-limit 2G, written as uncompressed NIfTI (needs ~17 GB of disk
in --workdir; the output is deleted afterwards). Prints a markdown table.
Needs numpy, h5py and nibabel (Debian: python3-numpy python3-h5py python3-nibabel).

    /usr/bin/python3 bench/run_slab_memory.py [--voxconv build/app/voxconv] [--size 512] [--filters 32]
                                              [--limit 2G] [--workdir DIR]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import h5py
import nibabel
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_cli_timing import ROOT, layer_config  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voxconv", default=os.path.join(ROOT, "build", "app", "voxconv"))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--filters", type=int, default=32)
    ap.add_argument("--limit", default="2G")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--workdir", default=None, help="where input and output go (default: a temporary folder)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        n = args.size
        rng = np.random.default_rng(0)
        ct = rng.integers(-1024, 3000, size=(n, n, n), dtype=np.int16)
        nibabel.save(nibabel.Nifti1Image(ct, np.diag([0.7, 0.7, 1.0, 1.0])), os.path.join(tmp, "ct.nii"))
        del ct
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as f:
            json.dump(layer_config(args.filters, 3, 1, 1), f)
        weights = os.path.join(tmp, "weights.h5")
        with h5py.File(weights, "w") as f:
            f["kernel"] = rng.standard_normal((3, 3, 3, 1, args.filters)).astype(np.float32)
            f["bias"] = np.zeros(args.filters, np.float32)
        out = os.path.join(tmp, "features.nii")
        cmd = ["/usr/bin/time", "-v", args.voxconv, "run", "--config", config, "--weights", weights, "--input",
               os.path.join(tmp, "ct.nii"), "--output", out, "--memory-limit", args.limit, "--threads",
               str(args.threads)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("voxconv failed:\n" + r.stdout + r.stderr)
        rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", r.stderr).group(1)
        slabs = re.search(r"in (\d+) slabs", r.stdout)
        out_gb = os.path.getsize(out) / 1e9
        print("| volume | filters | output file | --memory-limit | slabs | peak RSS | wall |")
        print("|---|---|---|---|---|---|---|")
        print(f"| {n}^3 int16 | {args.filters} | {out_gb:.1f} GB | {args.limit} | {slabs.group(1) if slabs else 'none'} "
              f"| {rss_mb:.0f} MB | {wall} |")


if __name__ == "__main__":
    main()
