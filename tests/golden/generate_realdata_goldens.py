#!/usr/bin/env python3
"""Golden values for voxconv on real files, computed with PyTorch (float64), not voxconv.

Run with Debian's python3 (python3-torch, python3-h5py, python3-nibabel):
    /usr/bin/python3 tests/golden/generate_realdata_goldens.py
Writes tests/golden/realdata/*.json: sampled output voxels (in the ITK buffer layout
voxconv's volume reader returns: z, y, x, channel) and the expected output geometry (LPS,
as ITK reports it).
"""
import json
import os

import h5py
import nibabel as nib
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "golden", "realdata")


def itk_geometry(img):
    """spacing, origin, direction (row-major) as ITK reads a NIfTI: RAS affine -> LPS."""
    hdr = img.header
    affine = img.get_sform() if hdr["sform_code"] > 0 and hdr["qform_code"] == 0 else nifti_io_qform(hdr)
    lps = np.diag([-1.0, -1.0, 1.0]) @ affine[:3, :]
    spacing = np.linalg.norm(lps[:, :3], axis=0)
    direction = lps[:, :3] / spacing
    return spacing, lps[:, 3], direction


def nifti_io_qform(hdr):
    """qform affine computed as nifti1_io's nifti_quatern_to_mat44 does (ITK uses that code).

    nibabel takes a = sqrt(1 - b^2 - c^2 - d^2) as is; the NIfTI reference code treats
    a < 1e-7 as a = 0 and renormalises (b, c, d), so quaternions stored in float32 such as
    (0, 0.70710677, 0.70710677) give an exact 180-degree rotation instead of a 2.6e-4 tilt.
    """
    b, c, d = (float(hdr[k]) for k in ("quatern_b", "quatern_c", "quatern_d"))
    a = 1.0 - (b * b + c * c + d * d)
    if a < 1e-7:
        n = 1.0 / np.sqrt(b * b + c * c + d * d)
        b, c, d, a = b * n, c * n, d * n, 0.0
    else:
        a = np.sqrt(a)
    rot = np.array([
        [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
        [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
        [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b]])
    pixdim = hdr["pixdim"]
    qfac = -1.0 if pixdim[0] < 0 else 1.0
    scale = np.array([pixdim[1], pixdim[2], qfac * pixdim[3]], dtype=np.float64)
    affine = np.eye(4)
    affine[:3, :3] = rot * scale
    affine[:3, 3] = [float(hdr["qoffset_x"]), float(hdr["qoffset_y"]), float(hdr["qoffset_z"])]
    return affine


def conv3d_torch(x_ncdhw, kernel_dhwio, bias, pads, stride=(1, 1, 1), dilation=(1, 1, 1)):
    """Keras Conv3D with explicit (before, after) padding per axis, float64."""
    x = torch.from_numpy(np.ascontiguousarray(x_ncdhw, dtype=np.float64))
    w = torch.from_numpy(np.ascontiguousarray(np.transpose(kernel_dhwio, (4, 3, 0, 1, 2)), dtype=np.float64))
    b = torch.from_numpy(bias.astype(np.float64))
    (d0, d1), (h0, h1), (w0, w1) = pads
    x = torch.nn.functional.pad(x, (w0, w1, h0, h1, d0, d1))
    return torch.nn.functional.conv3d(x, w, b, stride=stride, dilation=dilation).numpy()


def sample(out_itk, rng, count):
    """count random (z, y, x, c) voxels of a (Z, Y, X, C) array."""
    idx = [rng.integers(0, n, size=count) for n in out_itk.shape]
    return [[int(z), int(y), int(x), int(c), float(out_itk[z, y, x, c])] for z, y, x, c in zip(*idx)]


def brainchop_layer21():
    """data/model5ae.h5 layer '21' (channels_first, 1 -> 5, 3x3x3 valid) on data/t1_crop.nii.gz."""
    img = nib.load(os.path.join(ROOT, "data", "t1_crop.nii.gz"))
    vol = np.asarray(img.dataobj, dtype=np.float64)  # (x, y, z)
    with h5py.File(os.path.join(ROOT, "data", "model5ae.h5"), "r") as f:
        kernel = f["/model_weights/21/21/kernel:0"][()]
        bias = f["/model_weights/21/21/bias:0"][()]
    keras_in = vol.transpose(2, 1, 0)[None, None]  # --axes zyx: (1, 1, z, y, x), channels_first
    out = conv3d_torch(keras_in, kernel, bias, ((0, 0), (0, 0), (0, 0)))  # (1, 5, z', y', x')
    out_itk = out[0].transpose(1, 2, 3, 0)  # (z', y', x', 5)
    spacing, origin, direction = itk_geometry(img)
    first = np.array([1.0, 1.0, 1.0])  # valid 3x3x3: first receptive-field centre at index 1 on every axis
    rng = np.random.default_rng(21)
    samples = sample(out_itk, rng, 4000)
    # The corners and centre too, where padding mistakes show.
    for z, y, x in [(0, 0, 0), (253, 253, 253), (0, 253, 127), (127, 127, 127)]:
        for c in range(5):
            samples.append([z, y, x, c, float(out_itk[z, y, x, c])])
    return {
        "description": "brainchop model5ae layer 21 on t1_crop (uint8 256^3), PyTorch float64",
        "config": "configs/brainchop_model5ae_layer21.json",
        "weights": "data/model5ae.h5",
        "input": "data/t1_crop.nii.gz",
        "output_itk_shape": [1] + list(out_itk.shape),
        "expected_geometry": {
            "spacing": spacing.tolist(),
            "origin": (origin + direction @ (spacing * first)).tolist(),
            "direction": direction.reshape(-1).tolist(),
        },
        "rtol": 1e-5,
        "atol": 1e-5 * float(np.abs(out).max()),
        "samples": samples,
    }


SHARED = os.path.join(ROOT, "..", "shared", "realdata")


def shared(rel):
    """A ../shared/realdata path, as written into the golden (relative to the repo root)."""
    return os.path.join("..", "shared", "realdata", rel)


def layer_config_from_model(h5_rel, layer_name, out_name):
    """Writes the Conv3D's config from a full model's model_config attr; returns its path."""
    with h5py.File(os.path.join(SHARED, h5_rel), "r") as f:
        mc = f.attrs["model_config"]
        mc = json.loads(mc if isinstance(mc, str) else mc.decode())
    for layer in mc["config"]["layers"]:
        if layer["class_name"] == "Conv3D" and layer["config"]["name"] == layer_name:
            path = os.path.join("tests", "golden", "realdata", out_name + ".config.json")
            with open(os.path.join(ROOT, path), "w") as out:
                json.dump({"class_name": "Conv3D", "config": layer["config"]}, out, indent=1)
            return path, layer["config"]
    raise KeyError(layer_name)


def read_weights(h5_rel, kernel_path, bias_path):
    with h5py.File(os.path.join(SHARED, h5_rel), "r") as f:
        return f[kernel_path][()], f[bias_path][()]


def same_pads(shape, k, s, d):
    pads = []
    for L, kk, ss, dd in zip(shape, k, s, d):
        out = -(-L // ss)
        total = max((out - 1) * ss + (kk - 1) * dd + 1 - L, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def volume_case(description, config_path, cfg, weights_rel, kernel, bias, inputs, axes, seed):
    """Runs the layer over volumes stacked as channels; samples the ITK-layout output."""
    channels, geo_img = [], None
    for rel in inputs:
        img = nib.load(os.path.join(SHARED, rel))
        geo_img = geo_img or img
        data = np.asarray(img.get_fdata(dtype=np.float64)).astype(np.float32).astype(np.float64)  # (x, y, z[, t])
        if data.ndim == 3:
            data = data[..., None]
        for t in range(data.shape[3]):
            channels.append(data[..., t])
    xyz = np.stack(channels, axis=-1)  # (x, y, z, C)
    keras_spatial = xyz if axes == "xyz" else xyz.transpose(2, 1, 0, 3)  # (dim1, dim2, dim3, C)
    k, s, d = cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]
    pads = same_pads(keras_spatial.shape[:3], k, s, d) if cfg["padding"] == "same" else [(0, 0)] * 3
    out = conv3d_torch(keras_spatial.transpose(3, 0, 1, 2)[None], kernel, bias, pads, tuple(s), tuple(d))[0]
    if cfg.get("activation") == "relu":
        out = np.maximum(out, 0)
    keras_out = out.transpose(1, 2, 3, 0)  # (dim1', dim2', dim3', F)
    out_itk = keras_out if axes == "zyx" else keras_out.transpose(2, 1, 0, 3)  # (z', y', x', F)
    spacing, origin, direction = itk_geometry(geo_img)
    first_keras = np.array([-pads[a][0] + (k[a] - 1) * d[a] / 2.0 for a in range(3)])
    stride_keras = np.array(s, dtype=np.float64)
    itk_of_keras = [2, 1, 0] if axes == "zyx" else [0, 1, 2]
    first = np.zeros(3)
    stride = np.ones(3)
    for a in range(3):
        first[itk_of_keras[a]] = first_keras[a]
        stride[itk_of_keras[a]] = stride_keras[a]
    rng = np.random.default_rng(seed)
    return {
        "description": description,
        "config": config_path,
        "weights": shared(weights_rel),
        "inputs": [shared(r) for r in inputs],
        "args": ["--axes", axes],
        "output_itk_shape": [1] + list(out_itk.shape),
        "expected_geometry": {
            "spacing": (spacing * stride).tolist(),
            "origin": (origin + direction @ (spacing * first)).tolist(),
            "direction": direction.reshape(-1).tolist(),
        },
        "rtol": 1e-5,
        "atol": 1e-5 * float(np.abs(out).max()),
        "samples": sample(out_itk, rng, 3000),
    }


def voxelmorph_stride2():
    w = "models/voxelmorph/cvpr2018_vm2_cc.h5"
    path, cfg = layer_config_from_model(w, "conv3d_245", "voxelmorph_conv3d_245")
    kernel, bias = read_weights(w, "/model_weights/conv3d_245/conv3d_245/kernel:0", "/model_weights/conv3d_245/conv3d_245/bias:0")
    vol = "volumes/dipy/aniso_vox.nii.gz"
    return volume_case("voxelmorph conv3d_245 (2 -> 16, stride 2 same, Keras 2.2.4) on a real 4x4x5 mm brain, "
                       "stacked twice, --axes xyz", path, cfg, w, kernel, bias, [vol, vol], "xyz", 245)


def skullstrip_relu():
    w = "models/skullstrip_qc_nik1097/3d_image_classification.h5"
    path, cfg = layer_config_from_model(w, "conv3d", "skullstrip_conv3d")
    kernel, bias = read_weights(w, "/model_weights/conv3d/conv3d/kernel:0", "/model_weights/conv3d/conv3d/bias:0")
    return volume_case("skull-strip QC conv3d (relu in the config, valid, tf.keras 2.5, vlen attrs) on the ITK "
                       "KmeansTest T1 (LSA)", path, cfg, w, kernel, bias,
                       ["volumes/itk_examples/KmeansTest_T1UCharRaw.nii.gz"], "zyx", 3)


def nicms_4d_input():
    w = "models/nicMSlesions/baseline_2ch_model_1_tensorflow.hdf5"
    # No config in a save_weights file: the repository's code builds conv1_1 as below (SOURCES.md).
    cfg = {"name": "conv1_1", "filters": 32, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "same",
           "data_format": "channels_first", "dilation_rate": [1, 1, 1], "activation": None, "use_bias": True}
    path = os.path.join("tests", "golden", "realdata", "nicms_conv1_1.config.json")
    with open(os.path.join(ROOT, path), "w") as out:
        json.dump(cfg, out, indent=1)
    kernel, bias = read_weights(w, "/conv1_1/conv1_1/kernel:0", "/conv1_1/conv1_1/bias:0")
    return volume_case("nicMSlesions conv1_1 (save_weights file, Keras 2.0.0, channels_first same) on nibabel's "
                       "4D example (2 time points -> 2 channels)", path, cfg, w, kernel, bias,
                       ["volumes/nibabel/example4d.nii.gz"], "zyx", 11)


def nicms_theano():
    """The Theano-backend save_weights file: Keras 2 flips its kernels (conv_utils.convert_kernel) on load."""
    w = "models/nicMSlesions/baseline_2ch_model_1_theano.hdf5"
    path = os.path.join("tests", "golden", "realdata", "nicms_conv1_1.config.json")  # written by nicms_4d_input
    with open(os.path.join(ROOT, path)) as f:
        cfg = json.load(f)
    kernel, bias = read_weights(w, "/conv1_1/conv1_1/kernel", "/conv1_1/conv1_1/bias")
    flipped = np.ascontiguousarray(kernel[::-1, ::-1, ::-1, :, :])
    return volume_case("nicMSlesions conv1_1 from the Theano-backend file (Keras 2.0.8): kernel flipped along d, h, w "
                       "as Keras 2 loads it, on nibabel's 4D example", path, cfg, w, flipped, bias,
                       ["volumes/nibabel/example4d.nii.gz"], "zyx", 12)


def dsb2017_keras1():
    """Keras 1.2 Convolution3D (dim_ordering th) of the DSB2017 model, kernel stored (filters, in, d, h, w)."""
    w = "models/dsb2017_hammack/model_des_v35_sigmoid_64_24.h5"
    kernel_oidhw, bias = read_weights(w, "/model_weights/convolution3d_6/convolution3d_6_W",
                                      "/model_weights/convolution3d_6/convolution3d_6_b")
    cfg = {"kernel_size": [3, 3, 3], "strides": [1, 1, 1], "dilation_rate": [1, 1, 1], "padding": "same",
           "activation": "linear"}  # nb_filter 8, kernel_dim1..3 = 3, subsample 1, border_mode same, th
    case = volume_case("DSB2017 Keras 1.2 convolution3d_6 (th, kernel (8, 1, 3, 3, 3) as stored) through --model, "
                       "on nibabel's big-endian anatomical.nii", None, cfg, w, np.transpose(kernel_oidhw, (2, 3, 4, 1, 0)),
                       bias, ["volumes/nibabel/anatomical.nii"], "zyx", 6)
    del case["config"], case["weights"]
    case["model"] = shared(w)
    case["layer"] = "convolution3d_6"
    return case


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in [("brainchop_model5ae_layer21", brainchop_layer21), ("voxelmorph_conv3d_245", voxelmorph_stride2),
                       ("skullstrip_conv3d", skullstrip_relu), ("nicms_conv1_1", nicms_4d_input),
                       ("nicms_theano_conv1_1", nicms_theano), ("dsb2017_keras1_conv3d_6", dsb2017_keras1)]:
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(make(), f, indent=None, separators=(",", ":"))
        print("wrote", name)


if __name__ == "__main__":
    main()
