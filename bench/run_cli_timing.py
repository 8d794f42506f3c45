#!/usr/bin/env python3
"""CLI timing: `voxconv bench` on the issue's shapes (a..j) with 1 and 2 threads, and the
peak memory of a real `voxconv run` on the bundled data measured with /usr/bin/time -v
against the budget input + output + weights + 64 MB. Prints markdown. Standard library only.

    python3 bench/run_cli_timing.py [--voxconv build/app/voxconv] [--repeat 5] [--shapes abcdefghij]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The shapes (a..j), 'same' padding, shared with the C++ benchmark.
with open(os.path.join(ROOT, "bench", "shapes.json")) as f:
    SHAPES = {s["name"]: (s["ic"], s["size"], s["oc"], s["kernel"], s["stride"], s["dilation"]) for s in json.load(f)}


def layer_config(oc, k, s, d):
    """A tf.keras 2.x Conv3D get_config() for the shape."""
    return {"name": "conv3d", "trainable": True, "dtype": "float32", "filters": oc, "kernel_size": [k] * 3,
            "strides": [s] * 3, "padding": "same", "data_format": "channels_last", "dilation_rate": [d] * 3,
            "groups": 1, "activation": "linear", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}


def bench(voxconv, config, shape, threads, repeat):
    out = subprocess.run([voxconv, "bench", "--config", config, "--input-shape", shape, "--threads", str(threads),
                          "--repeat", str(repeat)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def peak_rss_run(voxconv, tmp):
    """Peak RSS (MB) of the README's default run, and the memory budget of the issue."""
    output = os.path.join(tmp, "t1_layer21.nii.gz")
    args = [voxconv, "-q", "run", "--config", os.path.join(ROOT, "configs/brainchop_model5ae_layer21.json"),
            "--weights", os.path.join(ROOT, "data/model5ae.h5"), "--input", os.path.join(ROOT, "data/t1_crop.nii.gz"),
            "--output", output, "--force"]
    r = subprocess.run(["/usr/bin/time", "-v"] + args, capture_output=True, text=True, check=True)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", r.stderr).group(1)
    info = json.loads(subprocess.run([voxconv, "info", "--json", "--config", args[4], "--weights", args[6],
                                      "--input-shape", "256,256,256,1"], capture_output=True, text=True,
                                     check=True).stdout)
    # Input and output as float32 arrays in memory, weights as float32.
    in_mb = 256 ** 3 * 4 / 2 ** 20
    out_shape = [d for d in info["output_shape"] if d is not None]
    out_mb = 4 * eval("*".join(map(str, out_shape))) / 2 ** 20
    weights_mb = info["count_params"] * 4 / 2 ** 20
    return rss_kb / 1024, wall, in_mb, out_mb, weights_mb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxconv", default=os.path.join(ROOT, "build/app/voxconv"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shapes", default="abcdefghij")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("| shape | 1 thread GFLOP/s | 2 threads GFLOP/s | 2T/1T | kernel | peak RSS MB (2T) |")
        print("|---|---|---|---|---|---|")
        for name in args.shapes:
            ic, size, oc, k, s, d = SHAPES[name]
            config = os.path.join(tmp, f"{name}.json")
            with open(config, "w") as f:
                json.dump(layer_config(oc, k, s, d), f)
            shape = f"{size},{size},{size},{ic}"
            one = bench(args.voxconv, config, shape, 1, args.repeat)
            two = bench(args.voxconv, config, shape, 2, args.repeat)
            print(f"| {name} | {one['gflops']:.1f} | {two['gflops']:.1f} | {two['gflops'] / one['gflops']:.2f}x | "
                  f"{one['kernel']} | {two['peak_rss_mb']:.0f} |")
        rss, wall, in_mb, out_mb, w_mb = peak_rss_run(args.voxconv, tmp)
        budget = in_mb + out_mb + w_mb + 64
        print(f"\n`voxconv run` on data/t1_crop.nii.gz (the single-layer run of layer 21): wall {wall}, peak RSS {rss:.0f} MB; "
              f"budget input {in_mb:.0f} + output {out_mb:.0f} + weights {w_mb:.1f} + 64 = {budget:.0f} MB "
              f"({'within' if rss <= budget else 'OVER'} budget).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
