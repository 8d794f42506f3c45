"""Writers for small Keras model files in the exact layouts Keras writes, for voxconv's tests.

No Keras is needed (nor available on the CI machine): the layouts follow
../shared/keras-semantics.md section 5 and the real files in ../shared/realdata.

- Keras 2 full model (`model.save("m.h5")`, tf.keras 2.7): root attributes `model_config`
  (JSON), `keras_version`, `backend`; group `model_weights` with attribute `layer_names` and one
  group per layer whose attribute `weight_names` lists its datasets; empty weight lists are
  float64 arrays of shape (0,).
- Keras 3 `.keras`: a zip (stored, not deflated, as Python's zipfile writes by default) with
  `metadata.json`, `config.json` and `model.weights.h5`, whose variables live at
  `layers/<snake_case(class)>[_k]/vars/<i>` (nested models inside their own `layers`).

Imported by make_model_fixtures.py and tests/golden/generate_network_goldens.py.
"""
import io
import json
import zipfile

import h5py
import numpy as np

VLEN = h5py.string_dtype("utf-8")
ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed, so the archives are byte-identical from run to run


def fixture_values(shape, offset):
    """Deterministic values the C++ tests recompute: ((i + offset) % 97) * 0.125 - 6.0."""
    n = int(np.prod(shape))
    return (((np.arange(n) + offset) % 97) * 0.125 - 6.0).reshape(shape).astype("<f4")


# ---- layer configs (tf.keras 2.7 get_config forms) -------------------------------------

def conv3d(name, filters, kernel, strides=1, padding="valid", data_format="channels_last", dilation=1,
           activation="linear", use_bias=True, groups=1):
    triple = lambda v: list(v) if isinstance(v, (list, tuple)) else [v, v, v]
    return {"name": name, "trainable": True, "dtype": "float32", "filters": filters, "kernel_size": triple(kernel),
            "strides": triple(strides), "padding": padding, "data_format": data_format,
            "dilation_rate": triple(dilation), "groups": groups, "activation": activation, "use_bias": use_bias,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}


def input_layer(name, batch_shape):
    return {"batch_input_shape": list(batch_shape), "dtype": "float32", "sparse": False, "ragged": False,
            "name": name}


def simple(name, **extra):
    """Config of a layer with only base keys plus `extra` (Activation, ZeroPadding3D, Add, ...)."""
    config = {"name": name, "trainable": True, "dtype": "float32"}
    config.update(extra)
    return config


# ---- Keras 2 -----------------------------------------------------------------------------

def k2_entry(class_name, config, inbound=()):
    """A Functional layer entry; inbound: names of the producing layers (one call)."""
    nodes = [[[name, 0, 0, {}] for name in inbound]] if inbound else []
    return {"class_name": class_name, "config": config, "name": config["name"], "inbound_nodes": nodes}


def k2_functional(name, entries, inputs, outputs):
    return {"class_name": "Functional",
            "config": {"name": name, "layers": entries, "input_layers": [[n, 0, 0] for n in inputs],
                       "output_layers": [[n, 0, 0] for n in outputs]}}


def write_keras2_model(path, model_config, layer_weights, keras_version="2.7.0", backend="tensorflow"):
    """layer_weights: list of (layer name, [(weight name, array), ...]) in model.layers order.

    keras_version starting with "1." writes what Keras 1.2 wrote: no backend attribute anywhere, and no
    keras_version or backend on the model_weights group (so Keras 2 loads it as a Keras 1 file)."""
    keras1 = keras_version.startswith("1.")
    with h5py.File(path, "w", libver="earliest") as f:
        f.attrs["keras_version"] = np.bytes_(keras_version.encode()) if keras1 else keras_version
        if not keras1:
            f.attrs["backend"] = backend
        f.attrs["model_config"] = json.dumps(model_config)
        mw = f.create_group("model_weights")
        if not keras1:
            mw.attrs["keras_version"] = keras_version
            mw.attrs["backend"] = backend
        mw.attrs["layer_names"] = np.array([n for n, _ in layer_weights], dtype=VLEN)
        for name, weights in layer_weights:
            g = mw.create_group(name)
            if weights:
                g.attrs["weight_names"] = np.array([w for w, _ in weights], dtype=VLEN)
                for wname, value in weights:
                    g.create_dataset(wname, data=value)
            else:
                g.attrs["weight_names"] = np.array([], dtype="float64")


# ---- Keras 3 -----------------------------------------------------------------------------

def k3_tensor(producer, shape):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": "float32", "keras_history": [producer, 0, 0]}}


def k3_entry(class_name, config, inbound=(), merge=False, build_shape=None):
    """inbound: list of (producer name, shape); merge=True passes them as one list (Add, Concatenate)."""
    tensors = [k3_tensor(n, s) for n, s in inbound]
    if not tensors:
        nodes = []
    else:
        nodes = [{"args": [tensors] if merge else tensors, "kwargs": {}}]
    entry = {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None,
             "name": config["name"], "inbound_nodes": nodes}
    if build_shape is not None:
        entry["build_config"] = {"input_shape": list(build_shape)}
    return entry


def k3_config(config):
    """Keras >= 3.4 base keys: the dtype is a DTypePolicy object."""
    out = dict(config)
    out["dtype"] = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                    "registered_name": None}
    out.pop("ragged", None)
    if "batch_input_shape" in out:
        out["batch_shape"] = out.pop("batch_input_shape")
    return out


def k3_functional(name, entries, inputs, outputs):
    one = lambda names: [[n, 0, 0] for n in names] if len(names) > 1 else [names[0], 0, 0]
    return {"module": "keras", "class_name": "Functional",
            "config": {"name": name, "trainable": True, "layers": entries, "input_layers": one(inputs),
                       "output_layers": one(outputs)},
            "registered_name": "Functional", "build_config": {"input_shape": None}}


def write_keras3_archive(path, config, variables, layer_names=None, with_weights=True, keras_version="3.6.0"):
    """variables: {"layers/conv3d": [kernel, bias], ...}; layer_names: {path: name} for the vars "name" attr."""
    buffer = io.BytesIO()
    if with_weights:
        with h5py.File(buffer, "w") as f:
            for group_path, arrays in variables.items():
                vars_group = f.create_group(group_path + "/vars")
                if layer_names and group_path in layer_names:
                    vars_group.attrs["name"] = layer_names[group_path]
                for i, value in enumerate(arrays):
                    vars_group.create_dataset(str(i), data=value)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("metadata.json", date_time=ZIP_DATE),
                   json.dumps({"keras_version": keras_version, "date_saved": "2024-01-01@00:00:00"}))
        z.writestr(zipfile.ZipInfo("config.json", date_time=ZIP_DATE), json.dumps(config))
        if with_weights:
            z.writestr(zipfile.ZipInfo("model.weights.h5", date_time=ZIP_DATE), buffer.getvalue())
