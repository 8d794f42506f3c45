#!/usr/bin/env python3
"""Goldens for whole-model runs (`voxconv run --model`), computed with PyTorch, never with voxconv.

Run with Debian's python3 (python3-torch, python3-h5py, python3-nibabel):
    /usr/bin/python3 tests/golden/generate_network_goldens.py          # everything (the full 256^3 run takes minutes)
    /usr/bin/python3 tests/golden/generate_network_goldens.py --small  # all but the full-volume brainchop labels

The reference is a small interpreter of Keras 2 model configs written here on torch.nn.functional
(conv3d, pad, relu, ...), reading the weights with h5py through the `weight_names` attributes.
Writes tests/golden/network/:
- brainchop_crop: data/model5ae.h5 (MIT) on a 48^3 crop of data/t1_crop.nii.gz (MIT), min-max scaled as
  brainchop does, float64: the crop (t1_crop48.nii.gz), its argmax labels (uint8 NIfTI) and sampled class scores.
- brainchop_full: the same network on the whole 256^3 volume, float32: the labels as a uint8 NIfTI.
- ops_cl / ops_cf: small synthetic Keras 2 models (written here with h5py) that use every layer voxconv
  runs in a network, channels_last with a NIfTI input, channels_first with .npy input and output.
Every case is a JSON file read by tests/e2e/network_test.cpp.
"""
import argparse
import json
import os
import sys

import h5py
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "network")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "data", "models"))
from generate_realdata_goldens import itk_geometry  # noqa: E402
import keras_files as kf  # noqa: E402


def rel(path):
    return os.path.relpath(path, ROOT)


# ---- a Keras 2 model interpreter on torch ----------------------------------------------

def tf_same_pads(length, k, s, d):
    out = -(-length // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - length, 0)
    return total // 2, total - total // 2


def pads3(value):
    if isinstance(value, int):
        return [(value, value)] * 3
    return [(v, v) if isinstance(v, int) else tuple(v) for v in value]


class KerasModel:
    """A Keras 2 full-model .h5 run layer by layer on NCDHW torch tensors."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            mc = f.attrs["model_config"]
            self.config = json.loads(mc if isinstance(mc, str) else mc.decode())
            backend = f["model_weights"].attrs.get("backend", b"")
            # Keras 2 (saving.py _need_convert_kernel) flips Theano-trained kernels for a correlating backend.
            self.theano = (backend.decode() if isinstance(backend, bytes) else backend) == "theano"
            self.weights = {}
            for name, group in f["model_weights"].items():
                names = group.attrs.get("weight_names", [])
                self.weights[name] = [group[n.decode() if isinstance(n, bytes) else n][()] for n in names]
        self.layers = self.config["config"]["layers"]
        formats = {l["config"]["data_format"] for l in self.layers if "data_format" in l["config"]}
        assert len(formats) == 1, formats
        self.channels_first = formats.pop() == "channels_first"

    def channel_axis(self, keras_axis):
        """Keras axis of the 5D array -> torch NCDHW axis."""
        keras_axis %= 5
        order = [0, 1, 2, 3, 4] if self.channels_first else [0, 2, 3, 4, 1]
        return order[keras_axis]

    def run(self, x_keras, dtype=torch.float64):
        """x_keras: the Keras input array (batch first, per data_format). Returns the output the same way,
        and the output grid: per spatial axis, (first input index, stride) of output voxel 0."""
        x = torch.from_numpy(np.ascontiguousarray(x_keras)).to(dtype)
        if not self.channels_first:
            x = x.permute(0, 4, 1, 2, 3)
        values, grids = {}, {}
        for layer in self.layers:
            cls, cfg, name = layer["class_name"], layer["config"], layer["config"]["name"]
            ins = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            if cls == "InputLayer":
                values[name], grids[name] = x, [(0.0, 1.0)] * 3
                continue
            t = values[ins[0]]
            grid = grids[ins[0]]
            w = [torch.from_numpy(np.asarray(a)).to(dtype) for a in self.weights.get(name, [])]
            step = [(0.0, 1.0)] * 3
            if cls == "Conv3D":
                k, s, d = cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]
                if cfg["padding"] == "same":
                    pads = [tf_same_pads(t.shape[2 + a], k[a], s[a], d[a]) for a in range(3)]
                else:
                    pads = [(0, 0)] * 3
                t = F.pad(t, (pads[2][0], pads[2][1], pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
                kernel = w[0].flip(0, 1, 2) if self.theano else w[0]
                kernel = kernel.permute(4, 3, 0, 1, 2)
                t = F.conv3d(t, kernel, w[1] if cfg["use_bias"] else None, stride=s, dilation=d, groups=cfg.get("groups", 1))
                t = activation(t, cfg["activation"], self.channels_first)
                step = [(-pads[a][0] + (k[a] - 1) * d[a] / 2.0, float(s[a])) for a in range(3)]
            elif cls == "ZeroPadding3D":
                p = pads3(cfg["padding"])
                t = F.pad(t, (p[2][0], p[2][1], p[1][0], p[1][1], p[0][0], p[0][1]))
                step = [(-float(p[a][0]), 1.0) for a in range(3)]
            elif cls == "Cropping3D":
                c = pads3(cfg["cropping"])
                t = t[:, :, c[0][0]:t.shape[2] - c[0][1], c[1][0]:t.shape[3] - c[1][1], c[2][0]:t.shape[4] - c[2][1]]
                step = [(float(c[a][0]), 1.0) for a in range(3)]
            elif cls == "Activation":
                t = activation(t, cfg["activation"], self.channels_first)
            elif cls == "ReLU":
                t = keras_relu(t, cfg.get("negative_slope", 0.0), cfg.get("max_value"), cfg.get("threshold", 0.0))
            elif cls == "LeakyReLU":
                t = F.leaky_relu(t, cfg.get("alpha", 0.3))
            elif cls == "ELU":
                alpha = cfg.get("alpha", 1.0)
                t = torch.where(t > 0, t, alpha * torch.expm1(t))
            elif cls == "PReLU":
                alpha = w[0]  # Keras layout without the batch
                if not self.channels_first:
                    alpha = alpha.permute(3, 0, 1, 2)
                t = torch.where(t > 0, t, alpha[None] * t)
            elif cls == "Softmax":
                t = torch.softmax(t, dim=self.channel_axis(cfg.get("axis", -1)))
            elif cls == "BatchNormalization":
                axis = cfg["axis"][0] if isinstance(cfg["axis"], list) else cfg["axis"]
                assert self.channel_axis(axis) == 1
                k = 0
                gamma = w[k] if cfg["scale"] else None
                k += 1 if cfg["scale"] else 0
                beta = w[k] if cfg["center"] else None
                k += 1 if cfg["center"] else 0
                mean, var = w[k], w[k + 1]
                shape = (1, -1, 1, 1, 1)
                t = (t - mean.view(shape)) / torch.sqrt(var.view(shape) + cfg["epsilon"])
                if gamma is not None:
                    t = t * gamma.view(shape)
                if beta is not None:
                    t = t + beta.view(shape)
            elif cls in ("Dropout", "SpatialDropout3D"):
                pass
            elif cls == "Add":
                t = sum(values[n] for n in ins)
            elif cls == "Concatenate":
                t = torch.cat([values[n] for n in ins], dim=self.channel_axis(cfg["axis"]))
            else:
                raise ValueError(cls)
            values[name] = t
            grids[name] = [(g0 + gs * s0, gs * ss) for (g0, gs), (s0, ss) in zip(grid, step)]
        out_name = self.config["config"]["output_layers"][0][0]
        y = values[out_name]
        if not self.channels_first:
            y = y.permute(0, 2, 3, 4, 1)
        return y.numpy(), grids[out_name]


def activation(t, name, channels_first):
    if name == "linear":
        return t
    if name == "relu":
        return F.relu(t)
    if name == "tanh":
        return torch.tanh(t)
    if name == "sigmoid":
        return torch.sigmoid(t)
    if name == "elu":
        return F.elu(t)
    if name == "softmax":  # Keras: the last axis of the Keras array (W for channels_first)
        return torch.softmax(t, dim=4 if channels_first else 1)
    raise ValueError(name)


def keras_relu(t, slope, max_value, threshold):
    """Keras' relu(x, negative_slope, max_value, threshold), step by step as keras/backend.py writes it."""
    negative = F.relu(-t + threshold)
    y = t * (t > threshold).to(t.dtype) if threshold != 0 else F.relu(t)
    if max_value is not None:
        y = torch.clamp(y, 0, max_value)
    return y - slope * negative


# ---- geometry -------------------------------------------------------------------------

def expected_geometry(img, grid, axes="zyx"):
    """Output geometry (ITK/LPS) from the input's and the Keras-axis grid (first index, stride)."""
    spacing, origin, direction = itk_geometry(img)
    itk_of_keras = [2, 1, 0] if axes == "zyx" else [0, 1, 2]
    first, stride = np.zeros(3), np.ones(3)
    for a in range(3):
        first[itk_of_keras[a]], stride[itk_of_keras[a]] = grid[a]
    return {"spacing": (spacing * stride).tolist(), "origin": (origin + direction @ (spacing * first)).tolist(),
            "direction": direction.reshape(-1).tolist()}


def samples(out_itk, rng, count):
    idx = [rng.integers(0, n, size=count) for n in out_itk.shape]
    return [[int(z), int(y), int(x), int(c), float(out_itk[z, y, x, c])] for z, y, x, c in zip(*idx)]


def minmax(v):
    return (v - v.min()) / (v.max() - v.min())


def save_labels(path, labels_zyx, like_img):
    """labels (z, y, x) as a uint8 NIfTI on `like_img`'s grid (nibabel wants x, y, z)."""
    img = nib.Nifti1Image(labels_zyx.transpose(2, 1, 0).astype(np.uint8), like_img.affine)
    img.set_sform(like_img.affine, code=2)
    img.set_qform(None, code=0)
    nib.save(img, path)


# ---- cases ----------------------------------------------------------------------------

BRAINCHOP = os.path.join(ROOT, "data", "model5ae.h5")
T1 = os.path.join(ROOT, "data", "t1_crop.nii.gz")
CROP = (slice(80, 128), slice(80, 128), slice(104, 152))  # (x, y, z): background, grey and white matter


def brainchop_crop():
    t1 = nib.load(T1)
    crop_img = t1.slicer[CROP]
    data = np.asarray(crop_img.dataobj)
    crop_path = os.path.join(OUT, "t1_crop48.nii.gz")
    crop = nib.Nifti1Image(data, crop_img.affine)
    crop.set_sform(crop_img.affine, code=2)
    crop.set_qform(None, code=0)
    nib.save(crop, crop_path)
    crop = nib.load(crop_path)
    vol = np.asarray(crop.dataobj, dtype=np.float64).transpose(2, 1, 0)  # --axes zyx: (z, y, x)
    x = minmax(vol)[None, None]  # channels_first (1, 1, z, y, x), scaled over the input as brainchop does
    scores, grid = KerasModel(BRAINCHOP).run(x)
    assert all(g == (0.0, 1.0) for g in grid), grid  # padding + valid conv keep the grid
    scores_itk = scores[0].transpose(1, 2, 3, 0)  # (z, y, x, 3)
    labels = scores[0].argmax(axis=0)
    save_labels(os.path.join(OUT, "brainchop_crop_labels.nii.gz"), labels, crop)
    top2 = np.sort(scores[0], axis=0)[-2:]
    rtol, atol = 1e-4, 1e-5 * float(np.abs(scores).max())
    # Where the two best classes lie within the score tolerance, float32 may pick either.
    near_ties = np.argwhere(top2[1] - top2[0] <= 2 * (atol + rtol * np.abs(top2[1])))
    rng = np.random.default_rng(40)
    print("brainchop crop labels", np.bincount(labels.ravel(), minlength=3), "smallest top-2 margin",
          float((top2[1] - top2[0]).min()), "near ties", len(near_ties))
    return {
        "description": "brainchop model5ae (whole network, channels_first) on a 48^3 crop of t1_crop, min-max "
                       "scaled, PyTorch float64",
        "model": "data/model5ae.h5",
        "input": rel(crop_path),
        "args": ["--normalize", "minmax"],
        "output_itk_shape": [1] + list(scores_itk.shape),
        "expected_geometry": expected_geometry(crop, grid),
        "expected_labels": rel(os.path.join(OUT, "brainchop_crop_labels.nii.gz")),
        "near_ties": near_ties.tolist(),
        "rtol": rtol,
        "atol": atol,
        "samples": samples(scores_itk, rng, 2500),
    }


def brainchop_full():
    t1 = nib.load(T1)
    vol = np.asarray(t1.dataobj, dtype=np.float64).transpose(2, 1, 0)
    x = minmax(vol).astype(np.float32)[None, None]
    torch.set_num_threads(os.cpu_count() or 1)
    with torch.no_grad():
        scores, grid = KerasModel(BRAINCHOP).run(x, dtype=torch.float32)
    labels = scores[0].argmax(axis=0)
    print("brainchop full labels", np.bincount(labels.ravel(), minlength=3))
    path = os.path.join(OUT, "brainchop_t1_labels.nii.gz")
    save_labels(path, labels, t1)
    return {
        "description": "brainchop model5ae on the whole t1_crop (256^3), min-max scaled, argmax labels from "
                       "PyTorch float32",
        "model": "data/model5ae.h5",
        "input": "data/t1_crop.nii.gz",
        "args": ["--normalize", "minmax", "--argmax"],
        "expected_geometry": expected_geometry(t1, grid),
        "expected_labels": rel(path),
        "min_label_agreement": 0.999,
    }


def random(rng, shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def ops_model(channels_first):
    """A Functional model with every layer voxconv runs in a network; returns (config, weights)."""
    rng = np.random.default_rng(7 if channels_first else 3)
    fmt = "channels_first" if channels_first else "channels_last"
    ch_axis = 1 if channels_first else -1
    shape = [None, 2, 8, 9, 10] if channels_first else [None, 8, 9, 10, 2]
    E, S = kf.k2_entry, kf.simple
    conv = lambda name, f, k, **kw: kf.conv3d(name, f, k, data_format=fmt, **kw)
    entries = [
        E("InputLayer", kf.input_layer("in", shape)),
        E("Conv3D", conv("a", 4, 3, padding="same"), ["in"]),
        E("BatchNormalization", S("bn", axis=[4] if not channels_first else 1, momentum=0.99, epsilon=0.001,
                                   center=True, scale=not channels_first), ["a"]),
        E("PReLU", S("prelu", alpha_initializer={"class_name": "Zeros", "config": {}}, alpha_regularizer=None,
                     alpha_constraint=None, shared_axes=[2, 3, 4] if channels_first else [1, 2, 3]), ["bn"]),
        # Branch 1: a padding that equals 'same' (voxconv folds it into the conv), then a conv with relu.
        E("ZeroPadding3D", S("pad", padding=[[1, 1], [1, 1], [1, 1]], data_format=fmt), ["prelu"]),
        E("Conv3D", conv("b", 4, 3), ["pad"]),
        E("Activation", S("b_relu", activation="relu"), ["b"]),
        # Branch 2: a padding that is not what 'same' pads, and a dilated valid conv back to the same size.
        E("ZeroPadding3D", S("pad2", padding=[[2, 0], [2, 2], [0, 0]], data_format=fmt), ["prelu"]),
        E("Conv3D", conv("c", 4, [3, 3, 1], dilation=[1, 2, 1], activation="tanh"), ["pad2"]),
        E("SpatialDropout3D", S("drop", rate=0.5, noise_shape=None, seed=None), ["c"]),
        E("Add", S("sum"), ["b_relu", "drop"]),
        E("ReLU", S("relu6", max_value=6.0, negative_slope=0.1, threshold=0.25), ["sum"]),
        E("Concatenate", S("cat", axis=ch_axis), ["relu6", "prelu"]),
        E("Cropping3D", S("crop", cropping=[[1, 1], [0, 2], [2, 1]], data_format=fmt), ["cat"]),
        E("Conv3D", conv("d", 3, 3, padding="same", strides=2), ["crop"]),
        E("ELU", S("elu", alpha=0.7), ["d"]),
        E("LeakyReLU", S("leaky", alpha=0.2), ["elu"]),
        E("Dropout", S("dropout", rate=0.3, noise_shape=None, seed=None), ["leaky"]),
        E("Softmax", S("softmax", axis=ch_axis), ["dropout"]),
    ]
    config = kf.k2_functional("ops", entries, ["in"], ["softmax"])
    prelu_shape = (4, 1, 1, 1) if channels_first else (1, 1, 1, 4)
    bn = [("bn/beta:0", random(rng, (4,))), ("bn/moving_mean:0", random(rng, (4,))),
          ("bn/moving_variance:0", (np.abs(random(rng, (4,))) + 0.5).astype(np.float32))]
    if not channels_first:
        bn.insert(0, ("bn/gamma:0", random(rng, (4,)) + 1))
    weights = [
        ("in", []),
        ("a", [("a/kernel:0", random(rng, (3, 3, 3, 2, 4))), ("a/bias:0", random(rng, (4,)))]),
        ("bn", bn),
        ("prelu", [("prelu/alpha:0", random(rng, prelu_shape))]),
        ("pad", []),
        ("b", [("b/kernel:0", random(rng, (3, 3, 3, 4, 4), 0.3)), ("b/bias:0", random(rng, (4,)))]),
        ("b_relu", []),
        ("pad2", []),
        ("c", [("c/kernel:0", random(rng, (3, 3, 1, 4, 4), 0.3)), ("c/bias:0", random(rng, (4,)))]),
        ("drop", []), ("sum", []), ("relu6", []), ("cat", []), ("crop", []),
        ("d", [("d/kernel:0", random(rng, (3, 3, 3, 8, 3), 0.3)), ("d/bias:0", random(rng, (3,)))]),
        ("elu", []), ("leaky", []), ("dropout", []), ("softmax", []),
    ]
    return config, weights


def ops_cl():
    """channels_last model on a two-channel NIfTI (4D, rotated affine); output a NIfTI."""
    config, weights = ops_model(False)
    model_path = os.path.join(OUT, "ops_cl.h5")
    kf.write_keras2_model(model_path, config, weights)
    rng = np.random.default_rng(11)
    data = (rng.standard_normal((10, 9, 8, 2)) * 3).astype(np.float32)  # (x, y, z, t)
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rot @ np.diag([1.5, 2.0, 2.5])
    affine[:3, 3] = [-10.0, 20.0, 5.0]
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=2)
    in_path = os.path.join(OUT, "ops_cl_input.nii.gz")
    nib.save(img, in_path)
    img = nib.load(in_path)
    x = np.asarray(img.get_fdata(), dtype=np.float64).astype(np.float32).astype(np.float64)
    keras_in = x.transpose(2, 1, 0, 3)[None]  # --axes zyx: (1, z, y, x, 2)
    out, grid = KerasModel(model_path).run(keras_in)
    out_itk = out[0]  # zyx axes, channels_last: already (z, y, x, c)
    np.save(os.path.join(OUT, "ops_cl_expected.npy"), out_itk[None].astype(np.float32))
    return {
        "description": "synthetic channels_last Functional model (every layer voxconv runs) on a rotated 2-channel "
                       "NIfTI, PyTorch float64",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": [],
        "output_itk_shape": [1] + list(out_itk.shape),
        "expected": rel(os.path.join(OUT, "ops_cl_expected.npy")),
        "expected_geometry": expected_geometry(img, grid),
        "rtol": 1e-4,
        "atol": 1e-6,
    }


def ops_cf():
    """channels_first model on a .npy input (the exact Keras array); output a .npy."""
    config, weights = ops_model(True)
    model_path = os.path.join(OUT, "ops_cf.h5")
    kf.write_keras2_model(model_path, config, weights)
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((1, 2, 8, 9, 10)) * 3).astype(np.float32)
    in_path = os.path.join(OUT, "ops_cf_input.npy")
    np.save(in_path, x)
    out, _ = KerasModel(model_path).run(x.astype(np.float64))
    np.save(os.path.join(OUT, "ops_cf_expected.npy"), out.astype(np.float32))
    return {
        "description": "synthetic channels_first Functional model (BatchNormalization without scale, PReLU, "
                       "Concatenate on axis 1, Softmax on axis 1) on a .npy input, PyTorch float64",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": [],
        "output": "npy",
        "expected": rel(os.path.join(OUT, "ops_cf_expected.npy")),
        "rtol": 1e-4,
        "atol": 1e-6,
    }


def ops_cl_xyz_argmax():
    """The channels_last model with --axes xyz and --argmax: Keras dim1 is ITK x; labels written as a volume."""
    model_path = os.path.join(OUT, "ops_cl.h5")
    in_path = os.path.join(OUT, "ops_cl_input.nii.gz")
    img = nib.load(in_path)
    x = np.asarray(img.get_fdata(), dtype=np.float64).astype(np.float32).astype(np.float64)
    out, grid = KerasModel(model_path).run(x[None])  # --axes xyz: the Keras array is nibabel's (x, y, z, C)
    labels_itk = out[0].argmax(axis=-1).transpose(2, 1, 0)  # (x', y', z') -> ITK buffer (z', y', x')
    np.save(os.path.join(OUT, "ops_cl_xyz_labels.npy"), labels_itk[None, ..., None].astype(np.float32))
    return {
        "description": "the synthetic channels_last model with --axes xyz --argmax: labels on the input's grid",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": ["--axes", "xyz", "--argmax"],
        "output_itk_shape": [1] + list(labels_itk.shape) + [1],
        "expected": rel(os.path.join(OUT, "ops_cl_xyz_labels.npy")),
        "expected_geometry": expected_geometry(img, grid, "xyz"),
        "rtol": 0.0,
        "atol": 0.0,
    }


def many_classes():
    """A 1x1x1 Conv3D to 300 classes: argmax labels no longer fit uint8."""
    rng = np.random.default_rng(300)
    entries = [kf.k2_entry("InputLayer", kf.input_layer("in", [None, 3, 4, 5, 2])),
               kf.k2_entry("Conv3D", kf.conv3d("scores", 300, 1), ["in"])]
    config = kf.k2_functional("classes", entries, ["in"], ["scores"])
    kernel, bias = random(rng, (1, 1, 1, 2, 300)), random(rng, (300,))
    model_path = os.path.join(OUT, "classes300.h5")
    kf.write_keras2_model(model_path, config, [("in", []), ("scores", [("scores/kernel:0", kernel), ("scores/bias:0", bias)])])
    x = random(rng, (1, 3, 4, 5, 2), 2.0)
    in_path = os.path.join(OUT, "classes300_input.npy")
    np.save(in_path, x)
    scores = np.einsum("ndhwc,cf->ndhwf", x.astype(np.float64), kernel[0, 0, 0].astype(np.float64)) + bias
    np.save(os.path.join(OUT, "classes300_labels.npy"), scores.argmax(axis=-1).astype(np.float32))
    return {
        "description": "300 classes: --argmax writes uint16 labels (NumPy float64 reference)",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": ["--argmax"],
        "output": "npy",
        "expected": rel(os.path.join(OUT, "classes300_labels.npy")),
        "rtol": 0.0,
        "atol": 0.0,
    }


def keras3_archive():
    """tests/data/models/k3_functional.keras run whole: c1 (3^3 same) -> bn -> c2 (1^3); c3 (1^3, nested
    Sequential) on c1; add. Computed here from the fixture's variables with torch, not from its config."""
    archive = os.path.join(ROOT, "tests", "data", "models", "k3_functional.keras")
    v = kf.fixture_values
    t = lambda a: torch.from_numpy(a.astype(np.float64))
    k1, b1 = t(v((3, 3, 3, 1, 2), 0)), t(v((2,), 1))
    gamma, beta, mean, var = (t(v((2,), o)) for o in (2, 3, 4, 60))
    k2, b2 = t(v((1, 1, 1, 2, 2), 6)), t(v((2,), 7))
    k3, b3 = t(v((1, 1, 1, 2, 2), 8)), t(v((2,), 9))
    rng = np.random.default_rng(5)
    x = random(rng, (1, 5, 5, 5, 1), 1.0)
    in_path = os.path.join(OUT, "k3_input.npy")
    np.save(in_path, x)
    h = t(x).permute(0, 4, 1, 2, 3)
    conv = lambda a, k, b, pad: F.conv3d(F.pad(a, (pad,) * 6), k.permute(4, 3, 0, 1, 2), b)
    c1 = conv(h, k1, b1, 1)
    shape = (1, -1, 1, 1, 1)
    bn = (c1 - mean.view(shape)) / torch.sqrt(var.view(shape) + 0.001) * gamma.view(shape) + beta.view(shape)
    out = conv(bn, k2, b2, 0) + conv(c1, k3, b3, 0)
    np.save(os.path.join(OUT, "k3_expected.npy"), out.permute(0, 2, 3, 4, 1).numpy().astype(np.float32))
    return {
        "description": "Keras 3 .keras archive (nested Sequential, BatchNormalization, Add) run whole, PyTorch float64",
        "model": rel(archive),
        "input": rel(in_path),
        "args": [],
        "output": "npy",
        "expected": rel(os.path.join(OUT, "k3_expected.npy")),
        "rtol": 1e-4,
        "atol": 1e-4,
    }


def theano_model():
    """A Keras 2.0.8 full model written with the Theano backend (channels_first): Keras 2 flips its kernels."""
    rng = np.random.default_rng(808)
    fmt = "channels_first"
    entries = [kf.k2_entry("InputLayer", kf.input_layer("in", [None, 2, 7, 6, 5])),
               kf.k2_entry("Conv3D", kf.conv3d("c1", 3, [3, 2, 3], padding="same", data_format=fmt, activation="relu"), ["in"]),
               kf.k2_entry("Conv3D", kf.conv3d("c2", 2, 3, data_format=fmt), ["c1"])]
    config = kf.k2_functional("theano_net", entries, ["in"], ["c2"])
    model_path = os.path.join(OUT, "theano_cf.h5")
    kf.write_keras2_model(model_path, config, [
        ("in", []),
        ("c1", [("c1/kernel", random(rng, (3, 2, 3, 2, 3))), ("c1/bias", random(rng, (3,)))]),
        ("c2", [("c2/kernel", random(rng, (3, 3, 3, 3, 2))), ("c2/bias", random(rng, (2,)))]),
    ], keras_version="2.0.8", backend="theano")
    x = random(rng, (1, 2, 7, 6, 5), 1.0)
    in_path = os.path.join(OUT, "theano_input.npy")
    np.save(in_path, x)
    out, _ = KerasModel(model_path).run(x.astype(np.float64))
    np.save(os.path.join(OUT, "theano_expected.npy"), out.astype(np.float32))
    return {
        "description": "Keras 2.0.8 model saved with the Theano backend: kernels flipped on load, as Keras 2 does",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": [],
        "output": "npy",
        "expected": rel(os.path.join(OUT, "theano_expected.npy")),
        "rtol": 1e-4,
        "atol": 1e-5,
    }


def keras1_model():
    """A Keras 1.2 full model (th dim_ordering): Convolution3D, BatchNormalization (mode 0), LeakyReLU, Merge
    (concat), Convolution3D; kernels stored (filters, in, d, h, w) as <name>_W. Computed here with torch from
    those arrays, which are already in torch's (out, in, d, h, w) order."""
    rng = np.random.default_rng(12)

    def conv(name, nb, k, border):
        return {"class_name": "Convolution3D", "name": name,
                "config": {"W_constraint": None, "b_constraint": None, "name": name, "kernel_dim1": k[0],
                           "kernel_dim2": k[1], "kernel_dim3": k[2], "activation": "linear", "trainable": True,
                           "dim_ordering": "th", "subsample": [1, 1, 1], "init": "orthogonal", "bias": True,
                           "nb_filter": nb, "b_regularizer": None,
                           "W_regularizer": {"l2": 1e-4, "name": "L1L2Regularizer", "l1": 0.0},
                           "activity_regularizer": None, "border_mode": border}}

    def k1(entry, inbound):
        entry["inbound_nodes"] = [[[n, 0, 0] for n in inbound]] if inbound else []
        return entry

    layers = [
        k1({"class_name": "InputLayer", "name": "input_1",
            "config": {"batch_input_shape": [None, 2, 6, 7, 5], "input_dtype": "float32", "sparse": False,
                       "name": "input_1"}}, []),
        k1(conv("convolution3d_1", 3, (3, 3, 3), "same"), ["input_1"]),
        k1({"class_name": "BatchNormalization", "name": "batchnormalization_1",
            "config": {"gamma_regularizer": None, "name": "batchnormalization_1", "epsilon": 0.001, "trainable": True,
                       "mode": 0, "beta_regularizer": None, "momentum": 0.99, "axis": 1}}, ["convolution3d_1"]),
        k1({"class_name": "LeakyReLU", "name": "leakyrelu_1",
            "config": {"alpha": 0.01, "trainable": True, "name": "leakyrelu_1"}}, ["batchnormalization_1"]),
        k1({"class_name": "Merge", "name": "merge_1",
            "config": {"name": "merge_1", "concat_axis": 1, "mode_type": "raw", "dot_axes": -1,
                       "output_mask_type": "raw", "arguments": {}, "output_mask": None, "mode": "concat",
                       "output_shape": None, "output_shape_type": "raw"}}, ["leakyrelu_1", "input_1"]),
        k1(conv("convolution3d_2", 2, (1, 2, 3), "valid"), ["merge_1"]),
    ]
    config = {"class_name": "Model", "config": {"layers": layers, "input_layers": [["input_1", 0, 0]],
                                                "output_layers": [["convolution3d_2", 0, 0]], "name": "model_1"}}
    w1, b1 = random(rng, (3, 2, 3, 3, 3)), random(rng, (3,))
    gamma, beta, mean = random(rng, (3,)) + 1, random(rng, (3,)), random(rng, (3,))
    var = (np.abs(random(rng, (3,))) + 0.5).astype(np.float32)
    w2, b2 = random(rng, (2, 5, 1, 2, 3)), random(rng, (2,))
    model_path = os.path.join(OUT, "keras1_th.h5")
    kf.write_keras2_model(model_path, config, [
        ("input_1", []),
        ("convolution3d_1", [("convolution3d_1_W", w1), ("convolution3d_1_b", b1)]),
        ("batchnormalization_1", [("batchnormalization_1_gamma", gamma), ("batchnormalization_1_beta", beta),
                                  ("batchnormalization_1_running_mean", mean), ("batchnormalization_1_running_std", var)]),
        ("leakyrelu_1", []), ("merge_1", []),
        ("convolution3d_2", [("convolution3d_2_W", w2), ("convolution3d_2_b", b2)]),
    ], keras_version="1.2.0")
    x = random(rng, (1, 2, 6, 7, 5), 1.0)
    in_path = os.path.join(OUT, "keras1_input.npy")
    np.save(in_path, x)
    t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))
    h = F.conv3d(F.pad(t(x), (1, 1, 1, 1, 1, 1)), t(w1), t(b1))
    shape = (1, -1, 1, 1, 1)
    # Keras 1's running_std holds the moving variance (it is what K.batch_normalization receives as var).
    h = (h - t(mean).view(shape)) / torch.sqrt(t(var).view(shape) + 0.001) * t(gamma).view(shape) + t(beta).view(shape)
    h = F.leaky_relu(h, 0.01)
    h = torch.cat([h, t(x)], dim=1)
    out = F.conv3d(h, t(w2), t(b2))
    np.save(os.path.join(OUT, "keras1_expected.npy"), out.numpy().astype(np.float32))
    return {
        "description": "Keras 1.2 full model (Convolution3D th, BatchNormalization mode 0, Merge concat), kernels "
                       "(filters, in, d, h, w), PyTorch float64",
        "model": rel(model_path),
        "input": rel(in_path),
        "args": [],
        "output": "npy",
        "expected": rel(os.path.join(OUT, "keras1_expected.npy")),
        "rtol": 1e-4,
        "atol": 1e-5,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", action="store_true", help="skip the full 256^3 brainchop run")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    cases = [("brainchop_crop", brainchop_crop), ("ops_cl", ops_cl), ("ops_cf", ops_cf),
             ("ops_cl_xyz_argmax", ops_cl_xyz_argmax), ("classes300", many_classes), ("keras3_archive", keras3_archive),
             ("theano_model", theano_model), ("keras1_model", keras1_model)]
    if not args.small:
        cases.append(("brainchop_full", brainchop_full))
    for name, make in cases:
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(make(), f, indent=None, separators=(",", ":"))
        print("wrote", name)


if __name__ == "__main__":
    main()
