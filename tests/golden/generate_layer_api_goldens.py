#!/usr/bin/python3
"""Regenerates tests/golden/layer_api/<case>/: goldens for the layer's `losses` and constraints.

Independent of voxconv. Each case holds a Conv3D config, a Keras 2 save_weights file
(h5py), an input .npy and case.json with what Keras computes, in float64 NumPy from the
float32 values stored in the files:
  * losses: each weight regularizer's penalty (keras/src/regularizers: L1 = l1*sum|w|,
    L2 = l2*sum w^2, L1L2 = both; a bare "l2" string is L2(0.01)); Keras 3 takes them from
    trainable weights only (Layer._get_regularization_losses), tf.keras 2.x from every
    regularized weight;
  * activity: regularizer(output) summed over the batch, and that sum divided by the batch
    size (tf.keras 2.x `_handle_activity_regularization`, Keras >= 3.14 `Layer.__call__`);
  * expected.npy: the layer's output (float64 NumPy convolution of generate_goldens.py,
    cross-checked with PyTorch) computed with the weights after Keras' constraints when the
    case runs with --apply-constraints: MaxNorm w * clip(n, 0, max) / (eps + n), MinMaxNorm
    w * (rate * clip(n, lo, hi) + (1 - rate) * n) / (eps + n), UnitNorm w / (eps + n),
    NonNeg w * (w >= 0), n = sqrt(sum(w^2, axis, keepdims=True)), eps = 1e-7
    (keras/src/constraints/constraints.py); a non-trainable layer is not constrained (the
    optimizer constrains trainable variables only).

Run:  /usr/bin/python3 tests/golden/generate_layer_api_goldens.py
Needs what generate_goldens.py needs (numpy, h5py, torch; its module is imported for the
reference convolution). Every random number comes from a generator seeded with
crc32(case name); the output is byte-identical from run to run.
"""
import json
import shutil
import sys
import zlib
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate_goldens import _fixed, conv_numpy, conv_torch  # noqa: E402

OUT = HERE / "layer_api"
EPS = 1e-7


def k2_obj(cls, cfg):
    return {"class_name": cls, "config": cfg}


def k3_obj(module, cls, cfg):
    return {"module": module, "class_name": cls, "config": cfg, "registered_name": None}


K3_DTYPE = k3_obj("keras", "DTypePolicy", {"name": "float32"})


def penalty(reg, w):
    """reg: (l1, l2)."""
    w = w.astype(np.float64)
    return reg[0] * np.abs(w).sum() + reg[1] * (w * w).sum()


def norms(w, axis):
    return np.sqrt((w * w).sum(axis=axis, keepdims=True))


def constrain(kind, w, **a):
    w = w.astype(np.float64)
    if kind == "non_neg":
        return w * (w >= 0)
    n = norms(w, a["axis"])
    if kind == "max_norm":
        return w * (np.clip(n, 0, a["max_value"]) / (EPS + n))
    if kind == "unit_norm":
        return w / (EPS + n)
    if kind == "min_max_norm":
        desired = a["rate"] * np.clip(n, a["min_value"], a["max_value"]) + (1 - a["rate"]) * n
        return w * (desired / (EPS + n))
    raise ValueError(kind)


def case_list():
    """Each case: config extras, keras version, batch, penalties expected, constraints applied."""
    return [
        dict(name="penalties_k2", desc="tf.keras 2.x: L1L2 object on the kernel, 'l2' string on the bias, L1 activity, batch 2",
             keras=2, batch=2, trainable=True,
             config={"kernel_regularizer": k2_obj("L1L2", {"l1": 0.003, "l2": 0.02}), "bias_regularizer": "l2",
                     "activity_regularizer": k2_obj("L1", {"l1": 0.05})},
             kernel_reg=(0.003, 0.02), bias_reg=(0.0, 0.01), activity=(0.05, 0.0)),
        dict(name="penalties_k3_not_trainable",
             desc="Keras 3, trainable false: no weight penalties (trainable weights only); L1L2 activity on batch 3",
             keras=3, batch=3, trainable=False,
             config={"kernel_regularizer": k3_obj("keras.regularizers", "L2", {"l2": 0.5}),
                     "activity_regularizer": k3_obj("keras.regularizers", "L1L2", {"l1": 0.01, "l2": 0.02})},
             kernel_reg=None, activity=(0.01, 0.02)),
        dict(name="penalties_k2_not_trainable", desc="tf.keras 2.x, trainable false: the weight penalties remain",
             keras=2, batch=1, trainable=False,
             config={"kernel_regularizer": k2_obj("L2", {"l2": 0.5}), "bias_regularizer": k2_obj("L1", {"l1": 0.25})},
             kernel_reg=(0.0, 0.5), bias_reg=(0.25, 0.0)),
        dict(name="constraints_max_norm_per_filter_non_neg_bias",
             desc="MaxNorm(0.5, axis=[0,1,2,3]) (each filter's norm) and NonNeg on the bias, --apply-constraints",
             keras=2, batch=1, trainable=True, k_scale=0.3,
             config={"kernel_constraint": k2_obj("MaxNorm", {"max_value": 0.5, "axis": [0, 1, 2, 3]}),
                     "bias_constraint": k2_obj("NonNeg", {})},
             kernel_constraint=("max_norm", dict(max_value=0.5, axis=(0, 1, 2, 3))), bias_constraint=("non_neg", {})),
        dict(name="constraints_default_axis_0",
             desc="'max_norm' string (max 2, Keras' default axis 0 = kd) and UnitNorm on the bias, --apply-constraints",
             keras=2, batch=1, trainable=True, k_scale=1.5,
             config={"kernel_constraint": "max_norm", "bias_constraint": k2_obj("UnitNorm", {"axis": 0})},
             kernel_constraint=("max_norm", dict(max_value=2.0, axis=0)), bias_constraint=("unit_norm", dict(axis=0))),
        dict(name="constraints_min_max_norm_k3_cf",
             desc="Keras 3 channels_first: MinMaxNorm(0.8, 1.2, rate 0.6, axis -1) on the kernel, MinMaxNorm on the bias",
             keras=3, batch=2, trainable=True, k_scale=0.4, data_format="channels_first",
             config={"kernel_constraint": k3_obj("keras.constraints", "MinMaxNorm",
                                                 {"min_value": 0.8, "max_value": 1.2, "rate": 0.6, "axis": -1}),
                     "bias_constraint": k3_obj("keras.constraints", "MinMaxNorm",
                                               {"min_value": 0.1, "max_value": 0.2, "rate": 1.0, "axis": 0})},
             kernel_constraint=("min_max_norm", dict(min_value=0.8, max_value=1.2, rate=0.6, axis=-1)),
             bias_constraint=("min_max_norm", dict(min_value=0.1, max_value=0.2, rate=1.0, axis=0))),
        dict(name="constraints_not_trainable", desc="trainable false: --apply-constraints leaves the weights as they are",
             keras=2, batch=1, trainable=False, k_scale=1.5,
             config={"kernel_constraint": "unit_norm"}, kernel_constraint=None),
    ]


def build(c):
    rng = np.random.default_rng(zlib.crc32(c["name"].encode()))
    cf = c.get("data_format") == "channels_first"
    cin, filters, ksz = 2, 4, (3, 2, 3)
    cfg = {"name": "conv3d", "trainable": c["trainable"], "filters": filters, "kernel_size": list(ksz),
           "strides": [1, 1, 1], "padding": "same", "data_format": c.get("data_format", "channels_last"),
           "dilation_rate": [1, 1, 1], "groups": 1, "activation": "tanh", "use_bias": True}
    cfg["dtype"] = K3_DTYPE if c["keras"] == 3 else "float32"
    cfg.update(c["config"])
    kernel = (rng.normal(size=ksz + (cin, filters)) * c.get("k_scale", 0.3)).astype(np.float32)
    bias = (rng.normal(size=(filters,)) * 0.5).astype(np.float32)
    x_cl = rng.normal(size=(c["batch"], 5, 4, 6, cin)).astype(np.float32)

    expected = {"description": c["desc"], "keras": str(c["keras"]), "run_args": [], "losses": [], "activity": None}
    # Weight penalties, in layer.weights order.
    for key, reg_key, w, wname in (("kernel_regularizer", "kernel_reg", kernel, "kernel"),
                                   ("bias_regularizer", "bias_reg", bias, "bias")):
        if key not in c["config"]:
            continue
        reg = c.get(reg_key)
        expected["losses"].append({"regularizer": key, "value": None if reg is None else penalty(reg, w)})
    # Constraints, applied only to a trainable layer.
    k_used, b_used = kernel.astype(np.float64), bias.astype(np.float64)
    if "kernel_constraint" in c["config"] or "bias_constraint" in c["config"]:
        expected["run_args"] = ["--apply-constraints"]
        if c["trainable"]:
            if c.get("kernel_constraint"):
                kind, args = c["kernel_constraint"]
                k_used = constrain(kind, kernel, **args)
            if c.get("bias_constraint"):
                kind, args = c["bias_constraint"]
                b_used = constrain(kind, bias, **args)
    # The output from float32 weights as voxconv would hold them after the constraint.
    k32, b32 = k_used.astype(np.float32).astype(np.float64), b_used.astype(np.float32).astype(np.float64)
    p = {"kernel": ksz, "strides": (1, 1, 1), "dilation": (1, 1, 1), "groups": 1, "padding": "same"}
    y = np.tanh(conv_numpy(x_cl.astype(np.float64), k32, b32, p))
    y_t = np.tanh(conv_torch(x_cl.astype(np.float64), k32, b32, p))
    assert np.max(np.abs(y - y_t)) < 1e-10, "numpy and torch disagree"
    if c.get("activity"):
        s = penalty(c["activity"], y)
        expected["activity"] = {"sum": s, "batch": c["batch"], "value": s / c["batch"]}
    out = np.moveaxis(y, -1, 1) if cf else y
    x_store = np.moveaxis(x_cl, -1, 1) if cf else x_cl

    d = OUT / c["name"]
    d.mkdir(parents=True)
    (d / "config.json").write_text(json.dumps(cfg, indent=1) + "\n")
    np.save(d / "input.npy", np.ascontiguousarray(x_store))
    np.save(d / "expected.npy", np.ascontiguousarray(out))
    with h5py.File(d / "weights.h5", "w", libver="earliest") as f:  # Keras 2 save_weights layout
        f.attrs["layer_names"] = _fixed(["conv3d"])
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.15.0")
        g = f.create_group("conv3d")
        g.attrs["weight_names"] = _fixed(["conv3d/kernel:0", "conv3d/bias:0"])
        g.create_dataset("conv3d/kernel:0", data=kernel)
        g.create_dataset("conv3d/bias:0", data=bias)
    (d / "case.json").write_text(json.dumps(expected, indent=1) + "\n")


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    for c in case_list():
        build(c)
        print("wrote", c["name"])


if __name__ == "__main__":
    main()
