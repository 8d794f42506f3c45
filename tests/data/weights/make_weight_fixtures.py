#!/usr/bin/env python3
"""Writes the small HDF5 weight fixtures used by tests/unit/keras/weights_hdf5_test.cpp.

h5py is an independent writer (it is what Keras itself uses), so these files exercise the
same encodings as real Keras files: fixed- and variable-length string attributes, split
`layer_names0/1` attributes, empty float64 `weight_names`, float16/float64/big-endian data,
links, external and virtual storage. Run with a python3 that has h5py and numpy (Debian:
python3-h5py, h5py 3.7 wrote the committed files); files land next to this script and the
output is byte-identical from run to run:

    python3 tests/data/weights/make_weight_fixtures.py

bad_storage_claim.h5 is not written here: it is an input found by fuzz_hdf5_weights (tests/fuzz),
kept as found (its headers claim 4.8 GB of storage in a 2.5 KB file).

Values are deterministic so the C++ test recomputes them:
    kernel flat element i of a layer with offset o = ((i + o) % 97) * 0.125 - 6.0
    bias element j                                 = 0.5 * j - 1.0 + o
(all exactly representable in float16).
"""
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KSHAPE = (3, 3, 3, 2, 4)
VLEN = h5py.string_dtype("utf-8")


def kernel(shape=KSHAPE, offset=0, dtype="<f4"):
    n = int(np.prod(shape))
    return (((np.arange(n) + offset) % 97) * 0.125 - 6.0).reshape(shape).astype(dtype)


def bias(n=KSHAPE[-1], offset=0, dtype="<f4"):
    return (0.5 * np.arange(n) - 1.0 + offset).astype(dtype)


def path(name):
    return os.path.join(HERE, name)


def new(name, **kwargs):
    # The oldest file format, as Keras/h5py write by default, keeps the files small.
    return h5py.File(path(name), "w", libver="earliest", **kwargs)


def fixed(strings):
    """numpy |S array: Keras 2.0-2.2 style fixed-length, NUL-padded, not NUL-terminated when full."""
    return np.array([s.encode("utf-8") for s in strings])


def vlen(strings):
    return np.array(strings, dtype=VLEN)


def keras2_layer(root, name, weights, names_attr):
    """weights: list of (weight_name, array). names_attr converts the list of names."""
    g = root.create_group(name)
    if weights:
        g.attrs["weight_names"] = names_attr([w for w, _ in weights])
        for wname, value in weights:
            g.create_dataset(wname, data=value)
    else:
        g.attrs["weight_names"] = np.array([], dtype="float64")  # what Keras writes
    return g


def good_files():
    # 1. Keras 2 full model, vlen strings (tf.keras 2.5+), voxelmorph-like renamed datasets.
    with new("good_keras2_model.h5") as f:
        f.attrs["keras_version"] = "2.7.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = '{"class_name": "Functional", "config": {"name": "m", "layers": []}}'
        mw = f.create_group("model_weights")
        mw.attrs["keras_version"] = "2.7.0"
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["layer_names"] = vlen(["input_1", "conv_a", "conv_a_pad", "conv_b", "dense"])
        keras2_layer(mw, "input_1", [], vlen)
        keras2_layer(mw, "conv_a", [("conv_a/kernel:0", kernel(offset=0)), ("conv_a/bias:0", bias(offset=0))], vlen)
        keras2_layer(mw, "conv_a_pad", [], vlen)
        keras2_layer(mw, "conv_b", [("conv_b_33/kernel:0", kernel((1, 1, 1, 4, 3), offset=5)),
                                    ("conv_b_33/bias:0", bias(3, offset=5))], vlen)
        keras2_layer(mw, "dense", [("dense/kernel:0", kernel((6, 2), offset=7)), ("dense/bias:0", bias(2))], vlen)
        keras2_layer(mw, "top_level_model_weights", [], vlen)

    # 2. Keras 2 save_weights, fixed-length strings, theano names without ":0".
    with new("good_keras2_weights_fixed.h5") as f:
        f.attrs["layer_names"] = fixed(["conv3d_1", "leaky", "dense_1"])  # |S8: "conv3d_1" fills it
        f.attrs["backend"] = np.bytes_(b"theano")
        f.attrs["keras_version"] = np.bytes_(b"2.0.8")
        keras2_layer(f, "conv3d_1", [("conv3d_1/kernel", kernel(offset=3)), ("conv3d_1/bias", bias(offset=3))], fixed)
        keras2_layer(f, "leaky", [], fixed)
        keras2_layer(f, "dense_1", [("dense_1/kernel", kernel((4, 2), offset=1))], fixed)

    # 3. Keras 2 save_weights with layer_names split in chunks (attributes > 64 KB), a
    #    UTF-8 layer name and a space-padded fixed string.
    with new("good_keras2_weights_split.h5") as f:
        f.attrs["layer_names0"] = vlen(["conv_x", "conv_ü"])
        f.attrs["layer_names1"] = vlen(["conv_z"])
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(12)
        tid.set_strpad(h5py.h5t.STR_SPACEPAD)
        aid = h5py.h5a.create(f.id, b"keras_version", tid, h5py.h5s.create(h5py.h5s.SCALAR))
        aid.write(np.array(b"2.2.4       ", dtype="S12"), mtype=tid)
        f.attrs["backend"] = "tensorflow"
        keras2_layer(f, "conv_x", [("conv_x/kernel:0", kernel(offset=11))], vlen)
        keras2_layer(f, "conv_ü", [("conv_ü/kernel:0", kernel(offset=12)), ("conv_ü/bias:0", bias(offset=12))], vlen)
        keras2_layer(f, "conv_z", [], vlen)

    # 4. Keras 3 .weights.h5: class-named groups, "name" attr only from 3.6, nesting.
    with new("good_keras3.weights.h5") as f:
        f.create_group("vars")  # the model's own (empty) vars
        layers = f.create_group("layers")
        v = layers.create_group("conv3d").create_group("vars")  # Keras <= 3.5: no name attr
        v["0"] = kernel(offset=20)
        v["1"] = bias(offset=20)
        v = layers.create_group("conv3d_1").create_group("vars")
        v.attrs["name"] = "my_conv"  # Keras >= 3.6
        v["0"] = kernel(offset=21)
        v["1"] = bias(offset=21)
        layers.create_group("max_pooling3d").create_group("vars")  # weightless: empty vars
        v = layers.create_group("dense").create_group("vars")
        v["0"] = kernel((8, 3), offset=22)
        v["1"] = bias(3)
        inner = layers.create_group("functional").create_group("layers")
        v = inner.create_group("conv3d").create_group("vars")
        v["0"] = kernel((1, 1, 1, 2, 2), offset=23)  # use_bias=False
        opt = f.create_group("optimizer").create_group("vars")
        opt["0"] = np.array(10, dtype="int64")  # iterations: not a layer

    # 5. Keras 3 file that is one layer's save: top-level vars, bfloat16 kernel stored as
    #    2-byte opaque data with attr dtype="bfloat16" (Keras 3 H5IOStore).
    with new("good_keras3_root_vars_bf16.weights.h5") as f:
        v = f.create_group("vars")
        k = kernel(offset=30).astype("<f4")
        bits = (k.view("<u4") >> 16).astype("<u2")  # exact: values have <= 7 mantissa bits
        ds = v.create_dataset("0", data=bits.view("V2"))
        ds.attrs["dtype"] = "bfloat16"
        v["1"] = bias(offset=30)

    # 6. Plain layouts and dtypes.
    with new("good_plain.h5") as f:
        f["kernel"] = kernel(offset=40)
        f["bias"] = bias(offset=40)
    with new("good_plain_nobias.h5") as f:
        f["kernel"] = kernel(offset=41)
    with new("good_float16.h5") as f:
        f["kernel"] = kernel(offset=42, dtype="<f2")
        f["bias"] = bias(offset=42, dtype="<f2")
    with new("good_float16_be.h5") as f:
        f["kernel"] = kernel(offset=43, dtype=">f2")
        f["bias"] = bias(offset=43, dtype=">f2")
    with new("good_float64.h5") as f:
        f["kernel"] = kernel(offset=44, dtype="<f8")
        f["bias"] = bias(offset=44, dtype="<f8")
    with new("good_bigendian.h5") as f:
        f["kernel"] = kernel(offset=45, dtype=">f4")
        f["bias"] = bias(offset=45, dtype=">f8")
    with new("good_chunked_gzip.h5") as f:
        f.create_dataset("kernel", data=kernel(offset=46), chunks=(3, 3, 3, 1, 2), compression="gzip")
        f["bias"] = bias(offset=46)
    # HDF5 signature at offset 512 (user block), not 0.
    with h5py.File(path("good_userblock.h5"), "w", libver="earliest", userblock_size=512) as f:
        f["kernel"] = kernel(offset=47)
        f["bias"] = bias(offset=47)


def bad_files():
    # Non-finite kernel at flat index 17, in the Keras 2 model layout.
    with new("bad_nan.h5") as f:
        f.attrs["keras_version"] = "2.7.0"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = "{}"
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = vlen(["c"])
        k = kernel()
        k.reshape(-1)[17] = np.nan
        keras2_layer(mw, "c", [("c/kernel:0", k), ("c/bias:0", bias())], vlen)
    with new("bad_inf_bias.h5") as f:
        b = bias()
        b[2] = -np.inf
        f["kernel"] = kernel()
        f["bias"] = b
    with new("bad_float64_range.h5") as f:
        k = kernel(dtype="<f8")
        k.reshape(-1)[5] = 1e300
        f["kernel"] = k
    with new("bad_rank.h5") as f:
        f["kernel"] = kernel((3, 3, 2, 4))
        f["bias"] = bias()
    with new("bad_bias_rank.h5") as f:
        f["kernel"] = kernel()
        f["bias"] = bias().reshape(2, 2)
    with new("bad_bias_mismatch.h5") as f:
        f["kernel"] = kernel()
        f["bias"] = bias(5)
    with new("bad_zero_dim.h5") as f:
        f["kernel"] = np.zeros((3, 3, 3, 0, 4), dtype="<f4")
    with new("bad_int.h5") as f:
        f["kernel"] = np.arange(216, dtype="<i4").reshape(KSHAPE)
    with new("bad_string.h5") as f:
        f["kernel"] = np.array([b"abc"] * 4).reshape(1, 1, 1, 1, 4)
    with new("bad_compound.h5") as f:
        f["kernel"] = np.zeros((1, 1, 1, 1, 4), dtype=[("a", "<f4"), ("b", "<f4")])
    with new("bad_three_weights.h5") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        keras2_layer(f, "conv", [("conv/kernel:0", kernel()), ("conv/bias:0", bias()),
                                 ("conv/extra:0", bias())], fixed)
    with new("bad_missing_dataset.h5") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        g = f.create_group("conv")
        g.attrs["weight_names"] = fixed(["conv/kernel:0", "conv/bias:0"])
        g["conv/kernel:0"] = kernel()
    # A soft link where a weight dataset should be.
    with new("bad_soft_link.h5") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        g = f.create_group("conv")
        g.attrs["weight_names"] = fixed(["conv/kernel:0"])
        f["elsewhere"] = kernel()
        g.create_group("conv")["kernel:0"] = h5py.SoftLink("/elsewhere")
    # A soft link for a whole layer group.
    with new("bad_soft_link_group.h5") as f:
        f.attrs["layer_names"] = fixed(["conv"])
        real = f.create_group("real")
        real.attrs["weight_names"] = fixed(["conv/kernel:0"])
        real["conv/kernel:0"] = kernel()
        f["conv"] = h5py.SoftLink("/real")
    with new("bad_external_link.h5") as f:
        f["kernel"] = h5py.ExternalLink("good_plain.h5", "/kernel")
    # Raw data in an external file (H5Pset_external); the file itself is not needed.
    with new("bad_external_storage.h5") as f:
        f.create_dataset("kernel", shape=KSHAPE, dtype="<f4", external=[("bad_external_storage.bin", 0, 216 * 4)])
    ext = path("bad_external_storage.bin")
    if os.path.exists(ext):
        os.remove(ext)
    with new("bad_virtual.h5") as f:
        f["source"] = kernel()
        # Low-level API: h5py's create_virtual_dataset records a modification time, which
        # would make the file differ on every run. "." = this file (no absolute path).
        space = h5py.h5s.create_simple(KSHAPE)
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        dcpl.set_virtual(space, b".", b"source", h5py.h5s.create_simple(KSHAPE))
        h5py.h5d.create(f.id, b"kernel", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    with new("bad_no_layout.h5") as f:
        f.create_group("foo")["bar"] = kernel()
    with new("bad_model_config_only.h5") as f:
        f.attrs["model_config"] = "{}"
    # Keras 1.2: kernels (out, in, d, h, w) named <layer>_W / _b directly in the group.
    with new("bad_keras1.h5") as f:
        f.attrs["keras_version"] = np.bytes_(b"1.2.0")
        f.attrs["model_config"] = "{}"
        mw = f.create_group("model_weights")
        mw.attrs["layer_names"] = fixed(["convolution3d_1"])
        keras2_layer(mw, "convolution3d_1", [("convolution3d_1_W", kernel((4, 2, 3, 3, 3))),
                                             ("convolution3d_1_b", bias(4))], fixed)
    # Not HDF5 at all, a zip (.keras), and a truncated HDF5 file.
    with open(path("bad_not_hdf5.h5"), "wb") as out:
        out.write(b"this is not an HDF5 file\n" * 4)
    with zipfile.ZipFile(path("bad_zip.keras"), "w") as z:
        z.writestr(zipfile.ZipInfo("metadata.json", date_time=(2024, 1, 1, 0, 0, 0)), '{"keras_version": "3.6.0"}')
    with open(path("good_keras2_model.h5"), "rb") as src:
        data = src.read()
    with open(path("bad_truncated.h5"), "wb") as out:
        out.write(data[: len(data) // 2])
    # Valid signature, garbage after it.
    with open(path("bad_garbage_after_signature.h5"), "wb") as out:
        out.write(b"\x89HDF\r\n\x1a\n" + bytes((i * 37) % 256 for i in range(2000)))


if __name__ == "__main__":
    good_files()
    bad_files()
