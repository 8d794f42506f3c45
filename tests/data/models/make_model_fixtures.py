#!/usr/bin/env python3
"""Writes the small model-file fixtures used by tests/unit/keras/model_file_test.cpp.

Run with a python3 that has h5py and numpy (Debian: python3-h5py; h5py 3.7 wrote the
committed files); the files land next to this script, byte-identical from run to run:

    python3 tests/data/models/make_model_fixtures.py

Weights are keras_files.fixture_values(shape, offset) with an offset per variable (listed
below), so the C++ test recomputes them and can tell which dataset went to which layer.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import keras_files as kf  # noqa: E402


def path(name):
    return os.path.join(HERE, name)


def k2_nested():
    """tf.keras 2.7 Functional "outer" with a nested Sequential and a nested Functional.

    input_1 (6^3 x 2) -> conv3d (2->4, k3 same) -> block (Sequential: conv3d 4->3 k1 [named like the
    outer conv3d: flattened as "block/conv3d"], bn, conv3d_1 3->3 k3 same no bias) -> head (Functional:
    head_in -> head_conv 3->2 k1 -> head_act relu); conv3d -> custom (MyCustomLayer, no weights).
    Outputs: head, custom.
    Offsets: conv3d kernel 0 bias 1; block/conv3d kernel 10 bias 11; bn gamma 20 beta 21 mean 22 var 70 (positive);
    conv3d_1 kernel 30; head_conv kernel 40 bias 41.
    The nested Sequential's group lists its trainable variables first, then the moving statistics
    (Model.weights in Keras 2): kernel 10, bias 11, gamma 20, beta 21, kernel 30, mean 22, var 70.
    """
    v = kf.fixture_values
    block = {"class_name": "Sequential", "name": "block", "inbound_nodes": [[["conv3d", 0, 0, {}]]],
             "config": {"name": "block", "layers": [
                 {"class_name": "InputLayer", "config": kf.input_layer("block_input", [None, 6, 6, 6, 4])},
                 {"class_name": "Conv3D", "config": kf.conv3d("conv3d", 3, 1)},
                 {"class_name": "BatchNormalization",
                  "config": kf.simple("bn", axis=[4], momentum=0.99, epsilon=0.001, center=True, scale=True)},
                 {"class_name": "Conv3D", "config": kf.conv3d("conv3d_1", 3, 3, padding="same", use_bias=False)}]}}
    head = {"class_name": "Functional", "name": "head", "inbound_nodes": [[["block", 0, 0, {}]]],
            "config": {"name": "head", "layers": [
                kf.k2_entry("InputLayer", kf.input_layer("head_in", [None, 6, 6, 6, 3])),
                kf.k2_entry("Conv3D", kf.conv3d("head_conv", 2, 1), ["head_in"]),
                kf.k2_entry("Activation", kf.simple("head_act", activation="relu"), ["head_conv"])],
                "input_layers": [["head_in", 0, 0]], "output_layers": [["head_act", 0, 0]]}}
    entries = [
        kf.k2_entry("InputLayer", kf.input_layer("input_1", [None, 6, 6, 6, 2])),
        kf.k2_entry("Conv3D", kf.conv3d("conv3d", 4, 3, padding="same"), ["input_1"]),
        block,
        head,
        kf.k2_entry("MyCustomLayer", {"name": "custom", "trainable": True, "factor": 2}, ["conv3d"]),
    ]
    config = kf.k2_functional("outer", entries, ["input_1"], ["head", "custom"])
    kf.write_keras2_model(path("k2_nested.h5"), config, [
        ("input_1", []),
        ("conv3d", [("conv3d/kernel:0", v((3, 3, 3, 2, 4), 0)), ("conv3d/bias:0", v((4,), 1))]),
        ("block", [("conv3d_2/kernel:0", v((1, 1, 1, 4, 3), 10)), ("conv3d_2/bias:0", v((3,), 11)),
                   ("bn/gamma:0", v((3,), 20)), ("bn/beta:0", v((3,), 21)),
                   ("conv3d_1/kernel:0", v((3, 3, 3, 3, 3), 30)),
                   ("bn/moving_mean:0", v((3,), 22)), ("bn/moving_variance:0", v((3,), 70))]),
        ("head", [("head_conv/kernel:0", v((1, 1, 1, 3, 2), 40)), ("head_conv/bias:0", v((2,), 41))]),
        ("custom", []),
    ])


def k2_custom_on_path():
    """input_1 (6^3 x 2) -> conv (2->2, k1; kernel offset 50, bias 51) -> warp (MyWarpLayer): the model's output
    depends on a custom layer."""
    v = kf.fixture_values
    entries = [
        kf.k2_entry("InputLayer", kf.input_layer("input_1", [None, 6, 6, 6, 2])),
        kf.k2_entry("Conv3D", kf.conv3d("conv", 2, 1), ["input_1"]),
        kf.k2_entry("MyWarpLayer", {"name": "warp", "trainable": True}, ["conv"]),
    ]
    config = kf.k2_functional("warped", entries, ["input_1"], ["warp"])
    kf.write_keras2_model(path("k2_custom_on_path.h5"), config, [
        ("input_1", []),
        ("conv", [("conv/kernel:0", v((1, 1, 1, 2, 2), 50)), ("conv/bias:0", v((2,), 51))]),
        ("warp", []),
    ])


def k3_model(with_weights=True):
    """Keras 3.6 Functional: input_layer (5^3 x 1) -> c1 (Conv3D) -> bn -> c2 (Conv3D) and a nested
    Sequential "seq" (c3) on c1; add = Add(c2, seq). Variables by class-based path: c1 at layers/conv3d
    (offsets 0, 1), bn at layers/batch_normalization (2, 3, 4, 60: a positive variance), c2 at layers/conv3d_1 (6, 7), c3 at
    layers/sequential/layers/conv3d (8, 9). Only c2's vars group has the "name" attribute (Keras >= 3.6)."""
    v = kf.fixture_values
    shape = [None, 5, 5, 5, 1]
    c = lambda cfg: kf.k3_config(cfg)
    seq = {"module": "keras", "class_name": "Sequential", "registered_name": None, "name": "seq",
           "config": {"name": "seq", "trainable": True, "layers": [
               {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                "config": c(kf.input_layer("seq_in", [None, 5, 5, 5, 2]))},
               {"module": "keras.layers", "class_name": "Conv3D", "registered_name": None,
                "config": c(kf.conv3d("c3", 2, 1))}]},
           "inbound_nodes": [{"args": [kf.k3_tensor("c1", [None, 5, 5, 5, 2])], "kwargs": {}}]}
    entries = [
        kf.k3_entry("InputLayer", c(kf.input_layer("input_layer", shape))),
        kf.k3_entry("Conv3D", c(kf.conv3d("c1", 2, 3, padding="same")), [("input_layer", shape)], build_shape=shape),
        kf.k3_entry("BatchNormalization", c(kf.simple("bn", axis=-1, momentum=0.99, epsilon=0.001, center=True,
                                                      scale=True)), [("c1", [None, 5, 5, 5, 2])]),
        kf.k3_entry("Conv3D", c(kf.conv3d("c2", 2, 1)), [("bn", [None, 5, 5, 5, 2])]),
        seq,
        kf.k3_entry("Add", c(kf.simple("add")), [("c2", [None, 5, 5, 5, 2]), ("seq", [None, 5, 5, 5, 2])],
                    merge=True),
    ]
    config = kf.k3_functional("functional", entries, ["input_layer"], ["add"])
    variables = {
        "layers/conv3d": [v((3, 3, 3, 1, 2), 0), v((2,), 1)],
        "layers/batch_normalization": [v((2,), 2), v((2,), 3), v((2,), 4), v((2,), 60)],
        "layers/conv3d_1": [v((1, 1, 1, 2, 2), 6), v((2,), 7)],
        "layers/sequential/layers/conv3d": [v((1, 1, 1, 2, 2), 8), v((2,), 9)],
    }
    name = "k3_functional.keras" if with_weights else "k3_no_weights.keras"
    kf.write_keras3_archive(path(name), config, variables, {"layers/conv3d_1": "c2"}, with_weights=with_weights)


if __name__ == "__main__":
    k2_nested()
    k2_custom_on_path()
    k3_model(True)
    k3_model(False)
