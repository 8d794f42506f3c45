#!/usr/bin/env python3
"""Runs conv3d_bench and prints a markdown table: GFLOP/s of voxconv and oneDNN on the
issue's shapes (medians of repetitions, same run), the voxconv/oneDNN ratio and the
2-thread speed-up. Standard library only.

    python3 bench/run_benchmarks.py [--binary build-bench/bench/conv3d_bench] [--repetitions 3] [--filter REGEX]
                                    [--isa avx2]

--isa avx2 holds both engines to AVX2 (VOXCONV_ISA, ONEDNN_MAX_CPU_ISA): what users of CPUs without
AVX-512 get, measured on this one.
"""
import argparse
import json
import os
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="build-bench/bench/conv3d_bench")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--filter", default="")
    ap.add_argument("--isa", choices=["best", "avx2"], default="best")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.isa == "avx2":
        env.update(VOXCONV_ISA="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    cmd = [args.binary, "--benchmark_format=json", f"--benchmark_repetitions={args.repetitions}"]
    if args.repetitions > 1:
        # Repetitions in random order across all benchmarks: this VM's speed drifts by
        # 5-30% over minutes, and consecutive repetitions would hand one engine a slow spell.
        cmd += ["--benchmark_report_aggregates_only=true", "--benchmark_enable_random_interleaving=true"]
    if args.filter:
        cmd.append(f"--benchmark_filter={args.filter}")
    report = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout)
    gflops, labels = {}, {}
    # With one repetition Google Benchmark reports no aggregates: take the runs themselves.
    wanted = "median" if args.repetitions > 1 else None
    for b in report["benchmarks"]:
        if b.get("aggregate_name") != wanted:
            continue
        m = re.match(r"(voxconv|onednn)/(\w)/threads:(\d)", b["run_name"])
        if not m:
            continue
        key = (m.group(1), m.group(2), int(m.group(3)))
        gflops[key] = b["FLOPS"] / 1e9
        labels[key] = b.get("label", "")
    shapes = sorted({k[1] for k in gflops})
    ctx = report.get("context", {})
    print(f"Measured on {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, {ctx.get('date', '')}; "
          f"medians of {args.repetitions} repetitions"
          f"{'; both engines held to AVX2' if args.isa == 'avx2' else ''}.\n")
    print("| shape | voxconv 1T | oneDNN 1T | ratio 1T | voxconv 2T | oneDNN 2T | ratio 2T | voxconv 2T/1T | kernel |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in shapes:
        def g(lib, t):
            return gflops.get((lib, s, t))
        def fmt(x):
            return f"{x:.1f}" if x is not None else "-"
        def ratio(a, b):
            return f"{a / b:.2f}x" if a is not None and b else "-"
        v1, o1, v2, o2 = g("voxconv", 1), g("onednn", 1), g("voxconv", 2), g("onednn", 2)
        print(f"| {s} | {fmt(v1)} | {fmt(o1)} | {ratio(v1, o1)} | {fmt(v2)} | {fmt(o2)} | {ratio(v2, o2)} | "
              f"{ratio(v2, v1)} | {labels.get(('voxconv', s, 1), '')} |")
    onednn_impl = {labels[k] for k in labels if k[0] == "onednn"}
    if onednn_impl:
        print(f"\noneDNN implementations chosen: {', '.join(sorted(onednn_impl))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
