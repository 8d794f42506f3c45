#!/usr/bin/env python3
"""Reads a weights file the way Keras' load_weights does, with h5py only (no Keras needed).

    keras_load_weights_check.py FILE LAYOUT LAYER_NAME KERNEL_SHAPE BIAS_SHAPE OUT_PREFIX

LAYOUT is "keras2" or "keras3"; shapes are comma-separated ("3,3,3,2,16"; "-" for no bias).
The lookups follow the loaders step by step (paraphrased from their sources):

keras2 -- tf.keras 2.x `hdf5_format.load_weights_from_hdf5_group` (the same steps in Keras
2.2.4 `saving.load_weights_from_hdf5_group` and Keras 3 `legacy_h5_format`), for a model
whose only layer with weights is this Conv3D, plus the by_name=True variant:
  * `original_keras_version = f.attrs["keras_version"].decode("utf8")` (Keras 2.2.4 calls
    .decode, so the attribute must be bytes), "1" when absent; != "1" or the loader would
    transpose the kernel as a Keras 1 file;
  * `original_backend = f.attrs["backend"].decode("utf8")`; "theano" would flip kernels;
  * `layer_names = load_attributes_from_hdf5_group(f, "layer_names")`, each `.decode`d;
  * layers whose `weight_names` attribute is non-empty; exactly one here;
  * `weight_values = [g[name] for name in weight_names]`, count and shapes must equal the
    layer's `[kernel, bias]`.
keras3 -- Keras 3 `saving_lib.load_weights_only` -> `_load_state` -> `H5IOStore.get(path)`:
  * path "layers/conv3d" (snake-cased class name of the model's first Conv3D) must hold a
    "vars" group; `BaseConv.load_own_variables` checks `len(store.keys()) == len(weights)`
    (`_check_load_own_variables`) and reads store["0"] (kernel) and store["1"] (bias);
  * the model's own root path "" needs no "vars" group (missing reads as an empty store).

Writes OUT_PREFIX_kernel.npy / OUT_PREFIX_bias.npy (float32) with what h5py read, and
prints one JSON line. Exits 1 with a message on the first lookup Keras would fail.
"""
import json
import sys

import h5py
import numpy as np


def fail(message):
    print("keras would fail: " + message)
    sys.exit(1)


def decode_all(values):
    out = []
    for v in values:
        if not hasattr(v, "decode"):
            fail("a string attribute is not bytes (Keras 2.2.4 calls .decode on it): %r" % (v,))
        out.append(v.decode("utf8"))
    return out


def load_keras2(f, layer_name):
    if "keras_version" not in f.attrs:
        fail("no keras_version attribute: the loader takes the file for Keras 1 and transposes kernels")
    version = f.attrs["keras_version"]
    if not hasattr(version, "decode"):
        fail("keras_version is not bytes")
    if version.decode("utf8") == "1":
        fail("keras_version is 1")
    backend = f.attrs["backend"].decode("utf8") if "backend" in f.attrs else None
    if backend == "theano":
        fail("backend theano: the loader would flip the kernels")
    layer_names = decode_all(f.attrs["layer_names"])
    with_weights = []
    for name in layer_names:
        g = f[name]
        weight_names = decode_all(g.attrs["weight_names"]) if "weight_names" in g.attrs else []
        if weight_names:
            with_weights.append((name, weight_names))
    if len(with_weights) != 1:
        fail("%d layers with weights, the model has 1" % len(with_weights))
    name, weight_names = with_weights[0]
    if name != layer_name:
        fail("by_name=True finds no layer %r (file has %r)" % (layer_name, name))
    g = f[name]
    return [np.asarray(g[w]) for w in weight_names]


def load_keras3(f):
    path = "layers/conv3d"
    if not (path in f and "vars" in f[path]):
        fail("no group %s/vars" % path)
    store = f[path]["vars"]
    values = []
    for key in sorted(store.keys(), key=int):
        ds = store[key]
        if "dtype" in ds.attrs and ds.attrs["dtype"] == "bfloat16":
            fail("unexpected bfloat16 marker")
        values.append(np.asarray(ds))
    if "vars" in f and len(f["vars"].keys()) != 0:
        fail("the model's own vars group is not empty")
    return values


def main():
    path, layout, layer_name, kernel_shape, bias_shape, out_prefix = sys.argv[1:7]
    want = [tuple(int(d) for d in kernel_shape.split(","))]
    if bias_shape != "-":
        want.append(tuple(int(d) for d in bias_shape.split(",")))
    with h5py.File(path, "r") as f:
        values = load_keras2(f, layer_name) if layout == "keras2" else load_keras3(f)
    if len(values) != len(want):
        fail("the file holds %d weights, the layer expects %d" % (len(values), len(want)))
    for value, shape in zip(values, want):
        if value.shape != shape:
            fail("weight shape %s, the layer expects %s" % (value.shape, shape))
        if value.dtype != np.float32:
            fail("dtype %s" % value.dtype)
    np.save(out_prefix + "_kernel.npy", values[0])
    if len(values) > 1:
        np.save(out_prefix + "_bias.npy", values[1])
    print(json.dumps({"weights": len(values), "kernel_sum": float(values[0].astype(np.float64).sum())}))


if __name__ == "__main__":
    main()
