#!/usr/bin/python3
"""Regenerates the end-to-end golden cases of voxconv in tests/golden/cases/<case>/.

Independent of voxconv: expected outputs come from a float64 NumPy reference (pad by
TensorFlow's SAME rule, slide, dot; groups by channel blocks), cross-checked against
torch.nn.functional.conv3d in float64 (explicit F.pad for the asymmetric split). The
script refuses to write a case when the two differ by more than 1e-10. Activations are
applied in float64 NumPy with the formulas of shared/keras-semantics.md section 3.

Every random number comes from a generator seeded with crc32(case name), so a re-run
writes byte-identical files (HDF5 without timestamps, gzip with mtime 0).

Run:  /usr/bin/python3 tests/golden/generate_goldens.py        (rewrites cases/)
      /usr/bin/python3 tests/golden/generate_goldens.py --list  (names only)
Needs numpy, h5py, nibabel and torch (Debian: python3-numpy python3-h5py
python3-nibabel python3-torch).
"""
import argparse
import json
import math
import shutil
import sys
import zlib
from pathlib import Path

import h5py
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
RTOL = 1e-5

# --------------------------------------------------------------------------------------
# Reference convolution (float64 NumPy) and its torch cross-check
# --------------------------------------------------------------------------------------


def same_pad(L, k, s, d):
    """TensorFlow SAME split: total = max((ceil(L/s)-1)*s + (k-1)*d + 1 - L, 0)."""
    out = -(-L // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - L, 0)
    return total // 2, total - total // 2


def pads_for(spatial, p):
    if p["padding"] == "valid":
        return [(0, 0)] * 3
    return [same_pad(spatial[a], p["kernel"][a], p["strides"][a], p["dilation"][a]) for a in range(3)]


def out_len(L, k, s, d, padding):
    ek = (k - 1) * d + 1
    if padding == "same":
        return -(-L // s)
    return (L - ek) // s + 1


def conv_numpy(x_cl, kernel, bias, p):
    """x_cl (N, D1, D2, D3, C) float64, kernel (kd, kh, kw, C/g, F) -> (N, D1', D2', D3', F)."""
    n, *spatial, c = x_cl.shape
    pads = pads_for(spatial, p)
    xp = np.pad(x_cl, [(0, 0)] + [tuple(pp) for pp in pads] + [(0, 0)])
    k, s, d, g = p["kernel"], p["strides"], p["dilation"], p["groups"]
    outs = [out_len(spatial[a], k[a], s[a], d[a], p["padding"]) for a in range(3)]
    assert min(outs) >= 1
    f = kernel.shape[4]
    cg, fg = c // g, f // g
    assert kernel.shape[3] == cg
    y = np.zeros((n, *outs, f), dtype=np.float64)
    for a in range(k[0]):
        for b in range(k[1]):
            for e in range(k[2]):
                o0, o1, o2 = a * d[0], b * d[1], e * d[2]
                patch = xp[:, o0:o0 + (outs[0] - 1) * s[0] + 1:s[0],
                           o1:o1 + (outs[1] - 1) * s[1] + 1:s[1],
                           o2:o2 + (outs[2] - 1) * s[2] + 1:s[2], :]
                for gi in range(g):
                    y[..., gi * fg:(gi + 1) * fg] += np.tensordot(
                        patch[..., gi * cg:(gi + 1) * cg], kernel[a, b, e, :, gi * fg:(gi + 1) * fg], axes=([4], [0]))
    if bias is not None:
        y += bias
    return y


def conv_torch(x_cl, kernel, bias, p, dtype=torch.float64):
    spatial = x_cl.shape[1:4]
    pads = pads_for(spatial, p)
    x = torch.from_numpy(np.ascontiguousarray(np.moveaxis(x_cl, -1, 1))).to(dtype)
    w = torch.from_numpy(np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2))).to(dtype)
    b = None if bias is None else torch.from_numpy(np.asarray(bias)).to(dtype)
    x = F.pad(x, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    y = F.conv3d(x, w, b, stride=tuple(p["strides"]), padding=0, dilation=tuple(p["dilation"]), groups=p["groups"])
    return np.moveaxis(y.numpy().astype(np.float64), 1, -1)


# --------------------------------------------------------------------------------------
# Activations (float64, on the Keras output array; softmax over its LAST axis)
# --------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _hard_sigmoid_k3(x):
    return np.clip(x + 3.0, 0.0, 6.0) / 6.0


def elementwise(name, keras):
    table = {
        "linear": lambda x: x,
        "relu": lambda x: np.maximum(x, 0.0),
        "sigmoid": _sigmoid,
        "softplus": _softplus,
        "softsign": lambda x: x / (1.0 + np.abs(x)),
        "tanh": np.tanh,
        "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
        "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
        "exponential": np.exp,
        "swish": lambda x: x * _sigmoid(x),
        "silu": lambda x: x * _sigmoid(x),
        "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
        "relu6": lambda x: np.clip(x, 0.0, 6.0),
        "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
        "mish": lambda x: x * np.tanh(_softplus(x)),
        "hard_silu": lambda x: x * _hard_sigmoid_k3(x),
        "hard_swish": lambda x: x * _hard_sigmoid_k3(x),
    }
    if name == "hard_sigmoid":
        return (lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)) if keras == 2 else _hard_sigmoid_k3
    return table[name]


def apply_activation(name, y, keras):
    name = "linear" if name is None else name
    if name == "softmax":
        e = np.exp(y - y.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    if name == "log_softmax":
        m = y.max(axis=-1, keepdims=True)
        return y - m - np.log(np.exp(y - m).sum(axis=-1, keepdims=True))
    return elementwise(name, keras)(y)


def error_bound(name, pre, out, delta, keras):
    """Per-element bound of |float32 result - exact| given pre-activation errors delta."""
    name = "linear" if name is None else name
    if name == "softmax":
        return 2.0 * out * delta.max(axis=-1, keepdims=True)
    if name == "log_softmax":
        return 2.0 * np.broadcast_to(delta.max(axis=-1, keepdims=True), out.shape)
    f = elementwise(name, keras)
    h = 1e-4
    slope = np.maximum(np.abs(f(pre + h) - f(pre)), np.abs(f(pre) - f(pre - h))) / h
    return slope * delta


def nice_ceil(v):
    """Round up to one significant digit (2.3e-6 -> 3e-6)."""
    e = math.floor(math.log10(v))
    m = math.ceil(v / 10 ** e - 1e-9)
    return float(f"{m}e{e}") if m < 10 else float(f"1e{e + 1}")


# --------------------------------------------------------------------------------------
# Config writers, one per Keras era (keras-semantics.md section 2)
# --------------------------------------------------------------------------------------


def _conv_core(p):
    return {
        "filters": p["filters"],
        "kernel_size": list(p["kernel"]),
        "strides": list(p["strides"]),
        "padding": p["padding_text"],
        "data_format": p["data_format"],
        "dilation_rate": list(p["dilation"]),
    }


def config_k224(p, extras):
    """Standalone Keras 2.2.4: no groups, no dtype (unless batch_input_shape), VarianceScaling
    initializers, dict order as py2/old json wrote it (scrambled)."""
    core = _conv_core(p)
    d = {
        "kernel_constraint": extras.get("kernel_constraint"),
        "kernel_initializer": {"class_name": "VarianceScaling",
                               "config": {"scale": 1.0, "seed": None, "mode": "fan_avg", "distribution": "uniform"}},
        "name": p["name"],
        "bias_regularizer": None,
        "bias_constraint": None,
        "activation": p["activation"],
        "trainable": True,
        "data_format": core["data_format"],
        "padding": core["padding"],
        "strides": core["strides"],
        "dilation_rate": core["dilation_rate"],
        "kernel_regularizer": extras.get("kernel_regularizer"),
        "filters": core["filters"],
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "use_bias": p["use_bias"],
        "activity_regularizer": None,
        "kernel_size": core["kernel_size"],
    }
    if "batch_input_shape" in extras:
        d["batch_input_shape"] = extras["batch_input_shape"]
        d["dtype"] = "float32"
    return d


def config_tf1(p, extras):
    """tf.keras of TF 1.14 (graph mode): dtype string, init_ops initializers carrying dtype, no groups."""
    d = {"name": p["name"], "trainable": True, "dtype": "float32"}
    d.update(_conv_core(p))
    d.update({
        "activation": p["activation"],
        "use_bias": p["use_bias"],
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}},
        "bias_initializer": {"class_name": "Zeros", "config": {"dtype": "float32"}},
        "kernel_regularizer": extras.get("kernel_regularizer"),
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": extras.get("kernel_constraint"),
        "bias_constraint": None,
    })
    return d


def config_tfk25(p, extras):
    """tf.keras 2.5: dtype string, groups, class-style initializers without dtype."""
    d = {"name": p["name"], "trainable": True, "dtype": "float32"}
    core = _conv_core(p)
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
        d[key] = core[key]
    d["groups"] = p["groups"]
    d.update({
        "activation": p["activation"],
        "use_bias": p["use_bias"],
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": extras.get("kernel_regularizer"),
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": extras.get("kernel_constraint"),
        "bias_constraint": None,
    })
    return d


def _module_obj(module, cls, cfg):
    return {"module": module, "class_name": cls, "config": cfg, "registered_name": None}


def config_k3(p, extras):
    """Keras >= 3.4: DTypePolicy dict, module-style initializers."""
    dtype = "float32" if extras.get("k30") else _module_obj("keras", "DTypePolicy", {"name": "float32"})
    d = {"name": p["name"], "trainable": True, "dtype": dtype}  # Keras 3.0-3.3 wrote the policy name
    core = _conv_core(p)
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
        d[key] = core[key]
    d["groups"] = p["groups"]
    glorot = {"seed": None, "input_axes": None, "output_axes": None} if extras.get("k315") else {"seed": None}
    d.update({
        "activation": p["activation"],
        "use_bias": p["use_bias"],
        "kernel_initializer": _module_obj("keras.initializers", "GlorotUniform", glorot),
        "bias_initializer": _module_obj("keras.initializers", "Zeros", {}),
        "kernel_regularizer": extras.get("kernel_regularizer"),
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": extras.get("kernel_constraint"),
        "bias_constraint": None,
    })
    return d


CONFIG_STYLES = {"k224": config_k224, "tf1": config_tf1, "tfk25": config_tfk25, "k3": config_k3}


def layer_config(p, input_shape):
    """(bare get_config dict, what config.json holds)."""
    extras = dict(p.get("config_extras", {}))
    if extras.pop("batch_input_shape_auto", False):
        extras["batch_input_shape"] = [None] + list(input_shape[1:])
    bare = CONFIG_STYLES[p["style"]](p, extras)
    for key, value in p.get("config_override", {}).items():
        bare[key] = value
    wrap = p.get("wrap", "bare")
    if wrap == "bare":
        return bare, bare
    if wrap == "k2":
        return bare, {"class_name": "Conv3D", "config": bare}
    if wrap == "k3":
        return bare, {"module": "keras.layers", "class_name": "Conv3D", "config": bare, "registered_name": None,
                      "build_config": {"input_shape": [None] + list(input_shape[1:])}}
    raise ValueError(wrap)


# --------------------------------------------------------------------------------------
# Weight files (keras-semantics.md section 5)
# --------------------------------------------------------------------------------------


def _fixed(strings):
    """Array of fixed-length byte strings, as Keras 2.0-2.2.4 wrote attributes."""
    b = [s.encode("utf8") for s in strings]
    width = max([len(x) for x in b] + [1])
    return np.array(b, dtype=f"S{width}")


def _vlen(strings):
    return np.array(strings, dtype=h5py.string_dtype("utf-8"))


def _write_k2_layer_groups(root, layers, strings, empty_layers=()):
    """layers: list of (group_name, [(weight_name, array), ...])."""
    enc = _fixed if strings == "fixed" else _vlen
    names = list(empty_layers) + [n for n, _ in layers]  # model order: the InputLayer first
    root.attrs["layer_names"] = enc(names)
    for name in empty_layers:
        g = root.create_group(name)
        g.attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
    for gname, weights in layers:
        g = root.create_group(gname)
        g.attrs["weight_names"] = enc([wn for wn, _ in weights])
        for wn, arr in weights:
            g.create_dataset(wn, data=arr)


def write_weights(path, p, kernel, bias, bare_cfg, input_shape):
    layout = p["weights"]
    name = p["name"]
    kdtype = p.get("weights_dtype", np.float32)
    kern = kernel.astype(kdtype)
    b = None if bias is None else bias.astype(kdtype)
    colon = "" if p.get("weight_names_no_colon") else ":0"
    wname = p.get("weight_prefix", name)
    own = [(f"{wname}/kernel{colon}", kern)] + ([] if b is None else [(f"{wname}/bias{colon}", b)])
    extra = p.get("extra_layers", [])  # [(name, kernel, bias)] saved before the layer
    with h5py.File(path, "w") as f:
        if layout == "plain":
            f.create_dataset("kernel", data=kern)
            if b is not None:
                f.create_dataset("bias", data=b)
        elif layout in ("k2_weights", "k2_weights_vlen"):
            strings = "fixed" if layout == "k2_weights" else "vlen"
            enc = _fixed if strings == "fixed" else _vlen
            layers = [(en, [(f"{en}/kernel:0", ek), (f"{en}/bias:0", eb)]) for en, ek, eb in extra]
            layers.append((name, own))
            f.attrs["backend"] = enc(["tensorflow"])[0] if strings == "fixed" else "tensorflow"
            f.attrs["keras_version"] = enc([p["keras_version"]])[0] if strings == "fixed" else p["keras_version"]
            _write_k2_layer_groups(f, layers, strings)
        elif layout == "k2_model":
            strings = p.get("strings", "fixed")
            layers = [(en, [(f"{en}/kernel:0", ek), (f"{en}/bias:0", eb)]) for en, ek, eb in extra]
            layers.append((name, own))
            model_layers = [{"name": "input_1", "class_name": "InputLayer",
                             "config": {"batch_input_shape": [None] + list(input_shape[1:]), "dtype": "float32",
                                        "sparse": False, "name": "input_1"}, "inbound_nodes": []}]
            # extra Conv3D layers are parallel branches on the same input
            for en, ek, _ in extra:
                cfg = dict(bare_cfg)
                cfg["name"] = en
                cfg["kernel_size"] = list(ek.shape[:3])
                cfg["filters"] = int(ek.shape[4])
                model_layers.append({"name": en, "class_name": "Conv3D", "config": cfg,
                                     "inbound_nodes": [[["input_1", 0, 0, {}]]]})
            model_layers.append({"name": name, "class_name": "Conv3D", "config": bare_cfg,
                                 "inbound_nodes": [[["input_1", 0, 0, {}]]]})
            model_class = "Model" if p["keras_version"].startswith("2.2") else "Functional"
            outputs = [[en, 0, 0] for en, _, _ in extra] + [[name, 0, 0]]
            model_config = {"class_name": model_class,
                            "config": {"name": "model_1", "layers": model_layers,
                                       "input_layers": [["input_1", 0, 0]], "output_layers": outputs}}
            text = json.dumps(model_config)
            if strings == "fixed":
                f.attrs["model_config"] = np.bytes_(text.encode("utf8"))
                f.attrs["keras_version"] = np.bytes_(p["keras_version"].encode())
                f.attrs["backend"] = np.bytes_(b"tensorflow")
            else:
                f.attrs["model_config"] = text
                f.attrs["keras_version"] = p["keras_version"]
                f.attrs["backend"] = "tensorflow"
            mw = f.create_group("model_weights")
            if strings == "fixed":
                mw.attrs["backend"] = np.bytes_(b"tensorflow")
                mw.attrs["keras_version"] = np.bytes_(p["keras_version"].encode())
            else:
                mw.attrs["backend"] = "tensorflow"
                mw.attrs["keras_version"] = p["keras_version"]
            _write_k2_layer_groups(mw, layers, strings, empty_layers=["input_1"])
        elif layout == "k3":
            # layers/<snake(class)>[_k]/vars/{0,1}; attr name on vars from Keras 3.6
            entries = [(en, ek, eb) for en, ek, eb in extra] + [(name, kern, b)]
            for i, (en, ek, eb) in enumerate(entries):
                path_name = "conv3d" if i == 0 else f"conv3d_{i}"
                v = f.create_group(f"layers/{path_name}/vars")
                if p.get("k3_vars_name", True):
                    v.attrs["name"] = en
                v.create_dataset("0", data=ek)
                if eb is not None:
                    v.create_dataset("1", data=eb)
        else:
            raise ValueError(layout)


# --------------------------------------------------------------------------------------
# Volumes (NIfTI) and geometry
# --------------------------------------------------------------------------------------


def rot(axis, c, s):
    """Rotation by the angle with cos c, sin s about a coordinate axis (rational entries)."""
    m = np.eye(3)
    i, j = [(1, 2), (0, 2), (0, 1)][axis]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


AFFINES = {
    # name: (3x3 rotation (RAS), spacing (x, y, z), translation (RAS))
    "simple": (np.eye(3), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0)),
    "aniso": (np.eye(3), (0.75, 1.25, 2.5), (-12.5, 7.0, 3.25)),
    "rotated": (rot(2, 0.6, 0.8) @ rot(0, 0.28, 0.96), (0.75, 1.25, 2.5), (10.5, -20.25, 30.0)),
    # det < 0 (radiological, qfac = -1): x flipped, then rotated
    "flipped": (rot(1, 0.8, 0.6) @ np.diag([-1.0, 1.0, 1.0]), (1.5, 0.5, 2.0), (-40.0, 15.5, -8.75)),
}


def make_affine(kind):
    r, sp, t = AFFINES[kind]
    a = np.eye(4)
    a[:3, :3] = r @ np.diag(sp)
    a[:3, 3] = t
    return a


def write_nifti(path, data_xyz, affine, on_disk_dtype=np.float32):
    img = nib.Nifti1Image(data_xyz.astype(np.float64 if on_disk_dtype != np.float32 else np.float32), affine)
    img.set_data_dtype(on_disk_dtype)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=2)
    img.header.set_xyzt_units("mm", "sec")
    nib.save(img, str(path))
    back = nib.load(str(path))
    return np.asarray(back.get_fdata(dtype=np.float64)), back


def itk_geometry(img):
    """Spacing / origin / direction as ITK reads this NIfTI (LPS, index order x, y, z)."""
    q = img.get_qform()
    m = q[:3, :3]
    spacing = np.array(img.header.get_zooms()[:3], dtype=np.float64)
    direction = m / np.linalg.norm(m, axis=0)
    lps = np.diag([-1.0, -1.0, 1.0])
    return spacing, lps @ q[:3, 3], lps @ direction


def output_geometry(spacing, origin, direction, p, keras_spatial, axes):
    pads = pads_for(keras_spatial, p)
    c = np.zeros(3)
    sp = spacing.copy()
    for j in range(3):  # ITK axis j
        a = 2 - j if axes == "zyx" else j
        before = pads[a][0]
        c[j] = -before + (p["kernel"][a] - 1) * p["dilation"][a] / 2.0
        sp[j] = spacing[j] * p["strides"][a]
    origin_out = origin + direction @ (spacing * c)
    return c, origin_out, {"spacing": [float(v) for v in sp], "origin": [float(v) for v in origin_out],
            "direction": [float(v) for v in direction.reshape(-1)]}


def check_geometry(img, centre, origin_out, geometry, p):
    """Second route: map receptive-field centres (continuous ITK indices) through nibabel's
    sform affine (not the qform used above) to RAS, then to LPS, and compare."""
    lps = np.diag([-1.0, -1.0, 1.0, 1.0])
    aff = lps @ img.get_sform()
    stride_itk = np.array(geometry["spacing"]) / np.array(img.header.get_zooms()[:3])
    d_out = np.array(geometry["direction"]).reshape(3, 3)
    for step in ([0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]):
        idx_in = centre + stride_itk * np.array(step)
        phys = (aff @ np.append(idx_in, 1.0))[:3]
        phys_out = origin_out + d_out @ (np.array(geometry["spacing"]) * np.array(step))
        if not np.allclose(phys, phys_out, atol=1e-4, rtol=0):
            raise SystemExit(f"{p['case']}: geometry routes disagree at {step}: {phys} vs {phys_out}")


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------


def P(case, desc, **kw):
    p = {
        "name": "conv3d", "desc": desc, "case": case,
        "shape": (1, 6, 7, 8, 2),       # Keras input array shape (npy cases)
        "filters": 3, "kernel": (3, 3, 3), "strides": (1, 1, 1), "dilation": (1, 1, 1),
        "padding": "valid", "data_format": "channels_last", "activation": "linear", "use_bias": True,
        "groups": 1, "style": "k224", "wrap": "bare", "weights": "plain", "keras": 2,
        "keras_version": "2.2.4", "input": "npy", "npy_dtype": "<f4", "axes": "zyx", "threads": 2,
        "x_scale": 1.0, "k_scale": 0.3, "extra_args": [],
    }
    for key in ("kernel", "strides", "dilation"):
        if key in kw and isinstance(kw[key], int):
            kw[key] = (kw[key],) * 3
    p.update(kw)
    p.setdefault("padding_text", p["padding"])
    return p


def cases():
    C = []
    add = C.append
    # ---- shapes, kernels and padding -------------------------------------------------------
    add(P("valid_k3_odd_7x9x11", "kernel 3, valid, odd sizes 7x9x11, 2 -> 3 channels; K2.2.4 config, plain kernel/bias",
          shape=(1, 7, 9, 11, 2)))
    add(P("same_k3_odd_7x9x11", "kernel 3, same (total 2, split 1/1) on 7x9x11; tf.keras 2.5 config wrapped in class_name",
          shape=(1, 7, 9, 11, 2), padding="same", style="tfk25", wrap="k2", weights="k2_weights_vlen",
          keras_version="2.5.0"))
    add(P("k1_pointwise", "kernel 1 (pointwise), 4 -> 3 channels; TF1 config, Keras 2 full-model weights",
          shape=(1, 5, 6, 7, 4), kernel=1, style="tf1", weights="k2_model", keras_version="2.2.4"))
    add(P("k2_same_total_odd", "kernel 2, same, stride 1: total padding 1 goes AFTER; Keras 3 config + .weights.h5 layout",
          shape=(1, 6, 7, 8, 2), kernel=2, padding="same", style="k3", wrap="k3", weights="k3", keras=3))
    add(P("k5_same", "kernel 5, same (2/2) on 7x8x9, 1 -> 2 channels", shape=(1, 7, 8, 9, 1), filters=2, kernel=5,
          padding="same", k_scale=0.2))
    add(P("k5_valid", "kernel 5, valid on 7x8x9 -> 3x4x5", shape=(1, 7, 8, 9, 1), filters=2, kernel=5, k_scale=0.2,
          style="tfk25", weights="k2_weights", keras_version="2.2.4"))
    add(P("mixed_kernel_132_same", "kernel (1,3,2), same: totals 0/2/1 (1 split 0/1)", shape=(1, 5, 6, 7, 3),
          kernel=(1, 3, 2), padding="same", style="tf1"))
    add(P("mixed_kernel_132_valid", "kernel (1,3,2), valid", shape=(1, 5, 6, 7, 3), kernel=(1, 3, 2), style="k3",
          wrap="k3", weights="k3", keras=3))
    add(P("mixed_kernel_315_same", "kernel (3,1,5), same on 6x5x9", shape=(1, 6, 5, 9, 2), kernel=(3, 1, 5),
          padding="same", k_scale=0.2))
    add(P("padding_upper_case_same", "padding written 'SAME' (Keras lower-cases it); kernel 3 stride 2",
          shape=(1, 7, 8, 9, 2), padding="same", padding_text="SAME", strides=2, style="tfk25"))
    # ---- strides ------------------------------------------------------------------------------
    add(P("stride2_same_k3_odd", "stride 2, kernel 3, same on 7x9x11: out 4x5x6, totals 2 (1/1)",
          shape=(1, 7, 9, 11, 2), strides=2, padding="same"))
    add(P("stride2_same_k3_even", "stride 2, kernel 3, same on 8x6x10: totals 1 (0/1, extra after)",
          shape=(1, 8, 6, 10, 2), strides=2, padding="same", style="tfk25", wrap="k2"))
    add(P("stride2_same_k1_even_trap", "tfjs#1270 trap: kernel 1, stride 2, same on even 6x8x10: total clamps to 0 "
          "(samples 0,2,4..., not 1,3,5...)", shape=(1, 6, 8, 10, 3), kernel=1, strides=2, padding="same"))
    add(P("stride3_same_k2_trap", "kernel 2, stride 3, same on 7x8x9: totals 1 (0/1), 0, clamped -1 -> 0",
          shape=(1, 7, 8, 9, 2), kernel=2, strides=3, padding="same", style="k3", wrap="k3", weights="k3", keras=3))
    add(P("stride2_same_k4_odd_total", "kernel 4, stride 2, same on 9x8x7: totals 3 (1/2), 2 (1/1), 3 (1/2)",
          shape=(1, 9, 8, 7, 1), filters=2, kernel=4, strides=2, padding="same", k_scale=0.2))
    add(P("stride2_valid_k3", "stride 2, kernel 3, valid on 7x8x9 -> 3x3x4", shape=(1, 7, 8, 9, 2), strides=2))
    add(P("stride3_valid_k2", "stride 3, kernel 2, valid on 7x8x10 -> 2x3x3", shape=(1, 7, 8, 10, 2), kernel=2,
          strides=3, style="tf1", weights="k2_weights", keras_version="2.2.4"))
    add(P("stride_mixed_123_same", "strides (1,2,3), kernel 3, same on 6x7x8", shape=(1, 6, 7, 8, 2),
          strides=(1, 2, 3), padding="same", style="tfk25"))
    add(P("stride_mixed_321_valid_k232", "strides (3,2,1), kernel (2,3,2), valid", shape=(1, 8, 7, 6, 2),
          kernel=(2, 3, 2), strides=(3, 2, 1)))
    # ---- dilation ------------------------------------------------------------------------------
    add(P("dilation2_same_k3", "dilation 2, kernel 3, same: total 4 (2/2)", shape=(1, 6, 7, 8, 2), dilation=2,
          padding="same", style="tfk25"))
    add(P("dilation2_valid_k3", "dilation 2, kernel 3, valid on 7x8x9 -> 3x4x5", shape=(1, 7, 8, 9, 2), dilation=2))
    add(P("dilation_mixed_123_same_k2", "kernel 2, dilation (1,2,3), same on 8^3: totals 1,2,3 -> (0,1),(1,1),(1,2) "
          "(Keras 3 ConvCorrectnessTest case)", shape=(1, 8, 8, 8, 2), kernel=2, dilation=(1, 2, 3), padding="same",
          style="k3", wrap="k3", weights="k3", keras=3))
    add(P("dilation_mixed_123_valid_k3", "kernel 3, dilation (1,2,3), valid on 6x7x9", shape=(1, 6, 7, 9, 2),
          dilation=(1, 2, 3), style="tfk25"))
    # ---- groups ----------------------------------------------------------------------------------
    add(P("groups2_relu", "groups 2: 4 -> 6 channels, kernel (3,3,3,2,6), same, relu", shape=(1, 5, 6, 7, 4),
          filters=6, groups=2, padding="same", activation="relu", style="tfk25", wrap="k2"))
    add(P("groups4_valid", "groups 4: 8 -> 4 channels, kernel in-dim 2, valid; Keras 3", shape=(1, 5, 6, 5, 8),
          filters=4, groups=4, style="k3", wrap="k3", weights="k3", keras=3))
    add(P("groups2_stride2_cf", "groups 2 with stride 2, same, channels_first (4 -> 4)", shape=(1, 4, 7, 6, 8),
          filters=4, groups=2, strides=2, padding="same", data_format="channels_first", style="tfk25"))
    add(P("groups4_depthwise_like", "groups 4 = channels 4 (one input channel per group), 4 -> 8, dilation 2",
          shape=(1, 7, 7, 7, 4), filters=8, groups=4, dilation=2, padding="same", style="k3", wrap="k3",
          weights="plain", keras=3))
    # ---- channels_first ------------------------------------------------------------------------
    add(P("cf_valid_k3", "channels_first, kernel 3, valid, (1,2,6,7,8) -> (1,3,4,5,6)", shape=(1, 2, 6, 7, 8),
          data_format="channels_first"))
    add(P("cf_softmax_over_w", "channels_first + softmax: Keras normalises over axis -1 = W (not channels)",
          shape=(1, 2, 5, 6, 7), data_format="channels_first", padding="same", activation="softmax", style="tfk25",
          wrap="k2", weights="k2_model", keras_version="2.5.0", strings="vlen"))
    add(P("cf_log_softmax_over_w", "channels_first + log_softmax over W (Keras 3)", shape=(1, 2, 5, 6, 7),
          data_format="channels_first", padding="same", activation="log_softmax", style="k3", wrap="k3",
          weights="k3", keras=3))
    add(P("cl_softmax_channels", "channels_last + softmax over channels (axis -1)", shape=(1, 5, 6, 7, 2), filters=4,
          padding="same", activation="softmax"))
    add(P("cf_stride_mixed_same", "channels_first, strides (2,1,3), kernel (3,2,1), same", shape=(1, 3, 7, 6, 8),
          kernel=(3, 2, 1), strides=(2, 1, 3), padding="same", data_format="channels_first", style="tf1"))
    # ---- bias, batch, null defaults -----------------------------------------------------------
    add(P("nobias_k224", "use_bias false (no bias dataset), Keras 2 save_weights layout", shape=(1, 6, 7, 8, 2),
          use_bias=False, padding="same", weights="k2_weights", keras_version="2.2.4"))
    add(P("nobias_k3", "use_bias false, Keras 3 layout (vars/0 only)", shape=(1, 6, 7, 8, 2), use_bias=False,
          style="k3", wrap="k3", weights="k3", keras=3))
    add(P("batch2_cl", "batch 2, channels_last, stride 2 same", shape=(2, 6, 7, 8, 2), strides=2, padding="same"))
    add(P("batch2_cf_tanh", "batch 2, channels_first, tanh", shape=(2, 2, 5, 6, 7), data_format="channels_first",
          activation="tanh", style="tfk25"))
    add(P("activation_null_is_linear", "\"activation\": null means linear", shape=(1, 5, 6, 7, 2),
          padding="same", config_override={"activation": None}, activation=None, style="tfk25"))
    add(P("data_format_null_channels_last", "\"data_format\": null means channels_last (no keras.json)",
          shape=(1, 5, 6, 7, 2), data_format=None, style="tf1"))
    add(P("batch_input_shape_k224", "K2.2.4 first-layer config carrying batch_input_shape and dtype",
          shape=(1, 6, 6, 6, 1), filters=2, padding="same", config_extras={"batch_input_shape_auto": True},
          weights="k2_weights", keras_version="2.2.4"))
    add(P("training_only_keys_ignored", "regularizer and constraint entries (training only) do not change the output",
          shape=(1, 5, 6, 7, 2), padding="same", style="tfk25",
          config_extras={"kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.009999999776482582}},
                         "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}}))
    # ---- activations -----------------------------------------------------------------------------
    act_common = dict(shape=(1, 5, 6, 7, 3), padding="same", filters=3)
    add(P("act_relu_k224", "relu", activation="relu", **act_common))
    add(P("act_sigmoid", "sigmoid", activation="sigmoid", **act_common))
    add(P("act_softplus", "softplus", activation="softplus", **act_common))
    add(P("act_softsign", "softsign", activation="softsign", **act_common))
    add(P("act_tanh_tf1", "tanh, TF1 config", activation="tanh", style="tf1", **act_common))
    add(P("act_selu", "selu (alpha 1.67326..., scale 1.05070...)", activation="selu", **act_common))
    add(P("act_elu", "elu (alpha 1)", activation="elu", **act_common))
    add(P("act_exponential", "exponential (kernel scale kept small so values stay moderate)",
          activation="exponential", k_scale=0.15, **act_common))
    add(P("act_hard_sigmoid_k2", "hard_sigmoid in a Keras 2.2.4 config + weights (keras_version 2.2.4): "
          "clip(0.2x+0.5, 0, 1)", activation="hard_sigmoid", weights="k2_weights", keras_version="2.2.4",
          **act_common))
    add(P("act_hard_sigmoid_k3", "hard_sigmoid in a Keras 3 config (DTypePolicy, module dicts): relu6(x+3)/6",
          activation="hard_sigmoid", style="k3", wrap="k3", weights="k3", keras=3, **act_common))
    add(P("act_hard_sigmoid_flag_keras3", "hard_sigmoid in a tf.keras 2.5 config run with --keras 3: K3 formula",
          activation="hard_sigmoid", style="tfk25", keras=3, extra_args=["--keras", "3"], **act_common))
    add(P("act_hard_sigmoid_k3cfg_flag_keras2", "hard_sigmoid in a Keras 3 config run with --keras 2: K2 formula",
          activation="hard_sigmoid", style="k3", wrap="k3", weights="plain", keras=2, extra_args=["--keras", "2"],
          **act_common))
    add(P("act_swish", "swish (x*sigmoid(x)), tf.keras 2.5", activation="swish", style="tfk25", **act_common))
    add(P("act_gelu", "gelu, exact erf form (approximate=False)", activation="gelu", style="tfk25", **act_common))
    add(P("act_relu6_k3", "relu6 (pre-activations exceed 6)", activation="relu6", style="k3", wrap="k3",
          weights="k3", keras=3, x_scale=1.5, **act_common))
    add(P("act_silu_k3", "silu (Keras 3.15 glorot config with input_axes/output_axes)", activation="silu",
          config_extras={"k315": True}, style="k3", wrap="k3", weights="k3", keras=3, **act_common))
    add(P("act_leaky_relu_k3", "leaky_relu, negative slope 0.2", activation="leaky_relu", style="k3", wrap="k3",
          weights="k3", keras=3, **act_common))
    add(P("act_mish_k3", "mish x*tanh(softplus(x))", activation="mish", style="k3", wrap="k3", weights="k3", keras=3,
          **act_common))
    add(P("act_log_softmax_cl_k3", "log_softmax over channels (channels_last)", activation="log_softmax", style="k3",
          wrap="k3", weights="k3", keras=3, **act_common))
    add(P("act_hard_silu_k3", "hard_silu x*relu6(x+3)/6", activation="hard_silu", style="k3", wrap="k3",
          weights="k3", keras=3, **act_common))
    add(P("act_hard_swish_alias_k3", "hard_swish (alias of hard_silu)", activation="hard_swish", style="k3",
          wrap="k3", weights="k3", keras=3, **act_common))
    # ---- input array dtypes / layouts ------------------------------------------------------------
    add(P("input_float64_npy", "float64 .npy input (Keras casts to float32 first)", shape=(1, 5, 6, 7, 2),
          padding="same", npy_dtype="<f8"))
    add(P("input_int16_npy", "int16 .npy input (integers -40..40)", shape=(1, 5, 6, 7, 2), padding="same",
          npy_dtype="<i2", x_scale=15.0, k_scale=0.1))
    add(P("input_bigendian_f32_npy", "big-endian float32 .npy input", shape=(1, 5, 6, 7, 2), padding="same",
          npy_dtype=">f4"))
    add(P("input_fortran_order_npy", "float32 .npy saved in Fortran order", shape=(1, 5, 6, 7, 2), strides=2,
          padding="same", fortran=True))
    # ---- weight file variants --------------------------------------------------------------------
    add(P("weights_k2_model_two_convs_layer_flag", "Keras 2 full model with two Conv3D layers; --layer picks the "
          "second", shape=(1, 5, 6, 7, 2), name="conv3d_2", weights="k2_model", keras_version="2.2.4",
          extra_layers_spec=[("conv3d_1", (3, 3, 3, 2, 5))], extra_args=["--layer", "conv3d_2"], padding="same"))
    add(P("weights_k2_weight_name_differs", "weight_names point to 'flow_33/kernel:0' under layer group 'flow' "
          "(voxelmorph style); resolve via weight_names", shape=(1, 5, 6, 7, 2), name="flow", weight_prefix="flow_33",
          weights="k2_weights", keras_version="2.1.2", padding="same"))
    add(P("weights_no_colon_names", "weight names without ':0' (Keras 3 legacy h5 writer)", shape=(1, 5, 6, 7, 2),
          weights="k2_model", keras_version="3.3.3", strings="vlen", weight_names_no_colon=True, style="k3",
          wrap="k3", keras=3, padding="same"))
    add(P("weights_k3_no_name_attr", "Keras 3.0-3.5 .weights.h5: layers/conv3d/vars without a name attr; Keras 3.0-3.3 "
          "bare get_config (dtype a plain string, module-style initializers)", shape=(1, 5, 6, 7, 2), style="k3",
          wrap="bare", weights="k3", k3_vars_name=False, keras=3, config_extras={"k30": True}))
    add(P("weights_k3_two_layers_by_name", "Keras 3 .weights.h5 with two Conv3D (layers/conv3d, layers/conv3d_1); the "
          "config name 'decoder' matches the vars name attr of conv3d_1", shape=(1, 5, 6, 7, 2), name="decoder",
          style="k3", wrap="k3", weights="k3", keras=3, extra_layers_spec=[("encoder", (3, 3, 3, 2, 3))],
          padding="same"))
    add(P("weights_float64_datasets", "kernel and bias stored as float64 datasets (values float32-exact)",
          shape=(1, 5, 6, 7, 2), weights_dtype=np.float64, padding="same"))
    # ---- volumes (NIfTI) --------------------------------------------------------------------------
    add(P("vol_zyx_same_k3", "NIfTI in/out, default axes zyx, kernel 3 same, anisotropic spacing",
          input="nifti", vol_size=(9, 8, 7), n_inputs=1, affine="aniso", padding="same", filters=2))
    add(P("vol_stride2_rotated_geometry", "NIfTI, stride 2 same (even/odd sizes), rotated anisotropic affine: "
          "spacing x2, origin at first receptive-field centre", input="nifti", vol_size=(10, 9, 8), n_inputs=1,
          affine="rotated", strides=2, padding="same", filters=2, style="tfk25"))
    add(P("vol_stride2_valid_k2_flipped", "NIfTI, kernel 2 stride 2 valid (origin moves half a voxel), qfac -1 affine",
          input="nifti", vol_size=(8, 9, 7), n_inputs=1, affine="flipped", kernel=2, strides=2, filters=3))
    add(P("vol_axes_xyz_mixed_stride", "--axes xyz: Keras dims = nibabel (x,y,z); strides (1,2,3), kernel (3,2,1), "
          "same; rotated affine", input="nifti", vol_size=(7, 8, 9), n_inputs=1, affine="rotated",
          kernel=(3, 2, 1), strides=(1, 2, 3), padding="same", axes="xyz", extra_args=["--axes", "xyz"], filters=2))
    add(P("vol_two_inputs_stacked", "two NIfTI inputs stacked as 2 channels, in order", input="nifti",
          vol_size=(8, 7, 6), n_inputs=2, affine="aniso", padding="same", filters=3, style="k3", wrap="k3",
          weights="k3", keras=3))
    add(P("vol_split_channels", "--split-channels: one scalar NIfTI per filter (out_000, out_001, out_002)",
          input="nifti", vol_size=(7, 6, 8), n_inputs=1, affine="aniso", strides=2, padding="same", filters=3,
          split=True, extra_args=["--split-channels"]))
    add(P("vol_cf_two_inputs", "channels_first config with two NIfTI inputs (the tool transposes internally)",
          input="nifti", vol_size=(7, 8, 6), n_inputs=2, affine="flipped", padding="same", filters=2,
          data_format="channels_first", style="tfk25", kernel=(3, 1, 2)))
    add(P("vol_cf_softmax_axes_xyz", "channels_first softmax normalises Keras W; with --axes xyz that is ITK z",
          input="nifti", vol_size=(6, 7, 8), n_inputs=1, affine="aniso", padding="same", filters=2,
          data_format="channels_first", activation="softmax", axes="xyz", extra_args=["--axes", "xyz"],
          style="tfk25", wrap="k2"))
    add(P("vol_int16_scaled", "int16 NIfTI with scl_slope/scl_inter (intensity scaling applied), one filter out",
          input="nifti", vol_size=(8, 7, 6), n_inputs=1, affine="simple", padding="valid", filters=1,
          on_disk=np.int16, x_scale=20.0, k_scale=0.1))
    add(P("vol_dilation2_k3_geometry", "NIfTI, dilation 2 same (pad 2/2, origin unchanged), Keras 3 config",
          input="nifti", vol_size=(9, 7, 8), n_inputs=1, affine="rotated", dilation=2, padding="same", filters=2,
          style="k3", wrap="k3", weights="k3", keras=3, activation="relu"))
    return C


def error_cases():
    E = []
    add = E.append
    add(P("err_channel_mismatch", "input has 3 channels, kernel expects 2 (groups 1)", shape=(1, 5, 5, 5, 3),
          kernel_in=2, stderr="channels"))
    add(P("err_kernel_shape_mismatch", "config kernel_size 3 but weights hold a 5x5x5 kernel", shape=(1, 6, 6, 6, 2),
          weights_kernel=(5, 5, 5), stderr="kernel"))
    add(P("err_strides_with_dilation", "strides 2 together with dilation_rate 2", shape=(1, 6, 6, 6, 2), strides=2,
          dilation=2, padding="same", stderr="dilation", style="tfk25"))
    add(P("err_valid_kernel_larger_than_input", "valid padding with kernel 5 on a depth-3 input",
          shape=(1, 3, 6, 6, 2), kernel=5, stderr="valid"))
    add(P("err_filters_not_divisible_by_groups", "filters 5 with groups 2", shape=(1, 5, 5, 5, 4), filters=5,
          groups=2, weights_kernel_full=(3, 3, 3, 2, 5), stderr="groups", style="tfk25"))
    add(P("err_input_channels_not_divisible_by_groups", "3 input channels with groups 2", shape=(1, 5, 5, 5, 3),
          filters=4, groups=2, weights_kernel_full=(3, 3, 3, 1, 4), stderr="groups", style="tfk25"))
    add(P("err_unknown_activation", "activation 'swishy' is not a Keras activation", shape=(1, 5, 5, 5, 2),
          config_override={"activation": "swishy"}, stderr="activation", style="tfk25"))
    add(P("err_padding_causal", "padding 'causal' (Conv1D only)", shape=(1, 5, 5, 5, 2),
          config_override={"padding": "causal"}, stderr="padding", style="tfk25"))
    add(P("err_hard_silu_with_keras2_flag", "hard_silu does not exist in Keras 2 (--keras 2)", shape=(1, 5, 5, 5, 2),
          activation="hard_silu", extra_args=["--keras", "2"], stderr="activation", style="k3", wrap="k3",
          keras=3))
    add(P("err_bias_shape_mismatch", "bias has 4 entries for 3 filters", shape=(1, 5, 5, 5, 2), bias_len=4,
          stderr="bias"))
    return E


# --------------------------------------------------------------------------------------
# Case generation
# --------------------------------------------------------------------------------------


def to_cl(x, cf):
    return np.moveaxis(x, 1, -1) if cf else x


def from_cl(y, cf):
    return np.moveaxis(y, -1, 1) if cf else y


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1) + "\n")


def npy_input(rng, p):
    shape = p["shape"]
    dt = np.dtype(p["npy_dtype"])
    if dt.kind == "i":
        x_store = np.clip(np.round(rng.normal(size=shape) * p["x_scale"]), -40, 40).astype(dt)
    else:
        x_store = (rng.normal(size=shape) * p["x_scale"]).astype(dt)
    # What a float32 Keras layer computes on: the input cast to float32.
    x32 = x_store.astype(np.float32).astype(np.float64)
    return x_store, x32


def build_case(p, outdir):
    rng = np.random.default_rng(zlib.crc32(p["case"].encode()))
    cf = p["data_format"] == "channels_first"
    outdir.mkdir(parents=True)
    args = []
    geometry = None
    # ---- input -------------------------------------------------------------------------------
    if p["input"] == "npy":
        x_store, x = npy_input(rng, p)
        if p.get("fortran"):
            x_store = np.asfortranarray(x_store)
        np.save(outdir / "input.npy", x_store)
        args += ["--input", "input.npy"]
        keras_shape = x.shape
    else:
        affine = make_affine(p["affine"])
        chans = []
        for i in range(p["n_inputs"]):
            data = rng.normal(size=p["vol_size"]) * p["x_scale"]
            fname = "input.nii.gz" if p["n_inputs"] == 1 else f"input_{i}.nii.gz"
            back_data, img = write_nifti(outdir / fname, data, affine, p.get("on_disk", np.float32))
            chans.append(back_data.astype(np.float32).astype(np.float64))
            args += ["--input", fname]
            spacing, origin, direction = itk_geometry(img)
        keras_vols = [c.transpose(2, 1, 0) if p["axes"] == "zyx" else c for c in chans]
        x = np.stack(keras_vols, axis=0 if cf else -1)[None]
        keras_shape = x.shape
    x_cl = to_cl(x, cf)
    cin = x_cl.shape[-1]
    # ---- weights ------------------------------------------------------------------------------
    g = p["groups"]
    kin = p.get("kernel_in", cin // g if cin % g == 0 else 1)
    kshape = p.get("weights_kernel_full", tuple(p.get("weights_kernel", p["kernel"])) + (kin, p["filters"]))
    kernel = (rng.normal(size=kshape) * p["k_scale"]).astype(np.float32)
    bias = (rng.normal(size=(p.get("bias_len", p["filters"]),)) * 0.1).astype(np.float32) if p["use_bias"] else None
    p = dict(p)
    p["extra_layers"] = [(en, (rng.normal(size=ks) * 0.3).astype(np.float32),
                          (rng.normal(size=ks[-1:]) * 0.1).astype(np.float32))
                         for en, ks in p.get("extra_layers_spec", [])]
    bare, cfg_file = layer_config(p, keras_shape)
    write_json(outdir / "config.json", cfg_file)
    write_weights(outdir / "weights.h5", p, kernel, bias, bare, keras_shape)

    case = {"description": p["desc"]}
    if "stderr" in p:
        out_name = "out.npy" if p["input"] == "npy" else "out.nii.gz"
        args += ["--output", "{out}/" + out_name, "--threads", str(p["threads"])] + p["extra_args"]
        case.update({"args": args, "output": out_name, "expected_exit": 2, "stderr_contains": p["stderr"]})
        write_json(outdir / "case.json", case)
        return case

    # ---- expected ------------------------------------------------------------------------------
    k64 = kernel.astype(np.float64)
    b64 = None if bias is None else bias.astype(np.float64)
    pre_np = conv_numpy(x_cl, k64, b64, p)
    pre_t = conv_torch(x_cl, k64, b64, p)
    diff = np.max(np.abs(pre_np - pre_t))
    if not diff <= 1e-10:
        raise SystemExit(f"{p['case']}: NumPy and torch references differ by {diff}")
    pre = from_cl(pre_np, cf)               # Keras output layout
    out = apply_activation(p["activation"], pre, p["keras"])
    if not np.all(np.isfinite(out)):
        raise SystemExit(f"{p['case']}: non-finite expected values")
    # tolerance: float32 accumulation error bound per element, through the activation
    l1 = from_cl(conv_numpy(np.abs(x_cl), np.abs(k64), None if b64 is None else np.abs(b64), p), cf)
    delta = 5e-7 * l1 + 1e-7 * np.abs(pre)
    bound = error_bound(p["activation"], pre, out, delta, p["keras"]) + 1e-7 * np.abs(out)
    atol = nice_ceil(max(1e-6, float(np.max(bound - RTOL * np.abs(out)))))
    # sanity: a float32 computation (torch) lands well inside the tolerance
    pre32 = from_cl(conv_torch(x_cl.astype(np.float32), kernel, bias, p, dtype=torch.float32), cf)
    sim = apply_activation(p["activation"], pre32.astype(np.float32).astype(np.float64), p["keras"])
    sim = sim.astype(np.float32).astype(np.float64)
    if not np.all(np.abs(sim - out) <= (atol + RTOL * np.abs(out)) / 3):
        raise SystemExit(f"{p['case']}: float32 simulation is not well inside the tolerance")

    if p["input"] == "npy":
        np.save(outdir / "expected.npy", out.astype(np.float32))
        args += ["--output", "{out}/out.npy"]
        case.update({"expected": "expected.npy", "output": "out.npy"})
    else:
        y_cl = to_cl(out, cf)                               # (1, d1', d2', d3', F)
        itk = y_cl if p["axes"] == "zyx" else y_cl.transpose(0, 3, 2, 1, 4)   # (1, Z', Y', X', F)
        itk = itk.astype(np.float32)
        keras_spatial = x_cl.shape[1:4]
        centre, origin_out, geometry = output_geometry(spacing, origin, direction, p, keras_spatial, p["axes"])
        check_geometry(img, centre, origin_out, geometry, p)
        args += ["--output", "{out}/out.nii.gz"]
        if p.get("split"):
            names = [f"expected_{i:03d}.npy" for i in range(itk.shape[-1])]
            for i, n in enumerate(names):
                np.save(outdir / n, np.ascontiguousarray(itk[..., i:i + 1]))
            case.update({"expected": names, "output": [f"out_{i:03d}.nii.gz" for i in range(itk.shape[-1])]})
        else:
            np.save(outdir / "expected.npy", np.ascontiguousarray(itk))
            case.update({"expected": "expected.npy", "output": "out.nii.gz"})
    args += ["--threads", str(p["threads"])] + p["extra_args"]
    case = {"description": case["description"], "args": args, "expected": case["expected"],
            "output": case["output"], "rtol": RTOL, "atol": atol, "expected_exit": 0}
    if geometry is not None:
        case["expected_geometry"] = geometry
    write_json(outdir / "case.json", case)
    return case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    ap.add_argument("--out", default=str(CASES_DIR), help="where to write the cases (default: %(default)s)")
    args = ap.parse_args()
    all_cases = cases() + error_cases()
    names = [c["case"] for c in all_cases]
    assert len(names) == len(set(names)), "duplicate case names"
    if args.list:
        print("\n".join(names))
        return
    # Vary the thread count deterministically: 1, 2, 3, 2, 1, ...
    for i, c in enumerate(all_cases):
        c["threads"] = [1, 2, 3, 2][i % 4]
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    torch.set_num_threads(1)
    for c in all_cases:
        case = build_case(c, out / c["case"])
        tol = f"atol {case['atol']:g}" if "atol" in case else f"exit {case['expected_exit']}"
        print(f"{c['case']:48s} {tol}")
    print(f"{len(all_cases)} cases ({len(cases())} runs, {len(error_cases())} expected failures) in {out}")


if __name__ == "__main__":
    sys.exit(main())
