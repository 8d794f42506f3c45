#!/usr/bin/env python3
"""Generates the synthetic malformed files of the bad-input suite and its table, cases.json.

Run from anywhere with /usr/bin/python3 (numpy, h5py): it rewrites configs/, arrays/, volumes/,
weights/ and cases.json here. Every file is small (at most a few KB) and deterministic.

Each case: the file, the role it plays in `voxconv run` (config, weights, input; the other two
are the good ones: configs/brainchop_model5ae_layer21.json, data/model5ae.h5 and
good_input.npy), the keywords the one-line error must contain besides the file's name, and
optionally environment entries. Files already in the repo that fit (tests/data/weights/bad_*,
the libhdf5 reproducers and fuzz regressions) are listed by path. tests/e2e/bad_inputs_test.cpp
runs every case and checks: exit code 2, one line on stderr naming the file and each keyword,
no output or temporary file created.
Role "manifest" is reserved for batch manifests (issue 5): add them under manifests/.
"""
import gzip
import json
import os
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def path(sub, name):
    folder = os.path.join(HERE, sub)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def case(rel, role, keywords, why, env=None):
    entry = {"file": rel, "role": role, "keywords": keywords, "why": why}
    if env:
        entry["env"] = env
    CASES.append(entry)


def write(sub, name, data, role, keywords, why, env=None):
    with open(path(sub, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    case(f"tests/bad_inputs/{sub}/{name}", role, keywords, why, env)


# ---- configs ------------------------------------------------------------------------------
GOOD = {"name": "21", "trainable": False, "filters": 5, "kernel_size": [3, 3, 3], "strides": [1, 1, 1],
        "padding": "valid", "data_format": "channels_first", "dilation_rate": [1, 1, 1], "activation": "relu",
        "use_bias": True}


def config(name, keywords, why, **changes):
    c = dict(GOOD)
    for k, v in changes.items():
        if v is None and k.startswith("drop_"):
            c.pop(k[5:], None)
        else:
            c[k] = v
    write("configs", name, json.dumps(c), "config", keywords, why)


write("configs", "truncated.json", '{"filters": 5, "kernel_size": 3,', "config", ["malformed JSON"],
      "JSON cut short")
write("configs", "empty.json", "", "config", ["malformed JSON"], "empty file")
write("configs", "not_an_object.json", "[1, 2, 3]", "config", ["must be a JSON object"], "a list")
write("configs", "binary.json", bytes(range(256)), "config", ["malformed JSON"], "binary garbage")
write("configs", "number_overflow.json",
      json.dumps(GOOD)[:-1] + ', "kernel_regularizer": {"class_name": "L2", "config": {"l2": 1e400}}}',
      "config", ["malformed JSON"], "a number beyond double (found by fuzzing: was exit 3)")
write("configs", "deeply_nested.json", '{"class_name": "Sequential", "config": ' + "[" * 100000 + "]" * 100000 + "}",
      "config", ["nested"], "100000 nested lists: no stack overflow")
config("unknown_key.json", ['"fliters"', "not a Conv3D argument"], "misspelt key", fliters=5)
config("missing_filters.json", ['"filters"'], "required key absent", drop_filters=None)
config("filters_zero.json", ['"filters"', ">= 1"], "no filters", filters=0)
config("filters_string.json", ['"filters"', "integer"], "wrong type", filters="5")
config("filters_huge.json", ['"filters"', "absurdly large"], "2^40 filters", filters=2 ** 40)
config("kernel_size_two.json", ['"kernel_size"', "3 integers"], "a 2D kernel", kernel_size=[3, 3])
config("kernel_size_negative.json", ['"kernel_size"', ">= 1"], "negative size", kernel_size=[3, -3, 3])
config("kernel_size_mismatch.json", ["kernel_size (5, 5, 5)", "has shape (3, 3, 3, 1, 5)"],
       "does not fit the weights", kernel_size=[5, 5, 5])
config("kernel_size_2e31.json", ["kernel_size (2147483648, 2147483648, 2147483648)"],
       "2^93 kernel elements: refused before any product is formed", kernel_size=[2 ** 31] * 3)
config("filters_mismatch.json", ["filters 7"], "does not fit the weights", filters=7)
config("padding_causal.json", ['"padding"', "Conv1D"], "causal is Conv1D only", padding="causal")
config("data_format_bad.json", ['"data_format"'], "unknown layout", data_format="channels_middle")
config("activation_unknown.json", ['"activation"', "not a built-in"], "unknown activation", activation="swoosh")
config("activation_custom.json", ['"activation"', "custom activations"], "a custom object",
       activation={"class_name": "MyAct", "config": {"alpha": 1}})
config("groups_not_dividing.json", ['"groups"', "divisible"], "5 filters in 2 groups", groups=2)
config("strides_and_dilation.json", ['"strides"', "dilation_rate"], "Keras forbids both",
       strides=[2, 2, 2], dilation_rate=[2, 2, 2])
config("dtype_int8.json", ['"dtype"'], "integer layer", dtype="int8")
config("use_bias_false.json", ["has a bias", "use_bias = false"], "weights have a bias", use_bias=False)
config("kernel_too_big_for_input.json", ["kernel_size", "larger than the input"],
       "a 9-voxel kernel on an 8-voxel input", kernel_size=[3, 3, 3], dilation_rate=[4, 4, 4])
write("configs", "keras1.json", json.dumps({"nb_filter": 5, "kernel_dim1": 3, "kernel_dim2": 3, "kernel_dim3": 3,
                                           "dim_ordering": "xy"}),
      "config", ['"dim_ordering"', "Keras 1"], "Keras 1 Convolution3D keys with an impossible dim_ordering")
write("configs", "dense_layer.json", json.dumps({"class_name": "Dense", "config": {"units": 3}}), "config",
      ['"class_name"', "no Conv3D"], "not a Conv3D")
write("configs", "model_two_conv3d.json",
      json.dumps({"class_name": "Sequential", "config": {"layers": [
          {"class_name": "Conv3D", "config": dict(GOOD, name="a")},
          {"class_name": "Conv3D", "config": dict(GOOD, name="b")}]}}),
      "config", ["2 Conv3D layers", "--layer"], "which layer?")
write("configs", "model_name_not_string.json",
      json.dumps({"class_name": "Sequential", "config": {"layers": [
          {"class_name": "Conv3D", "config": dict(GOOD, name=5)},
          {"class_name": "Conv3D", "config": dict(GOOD, name="b")}]}}),
      "config", ["--layer"], "a numeric layer name (found by fuzzing: was exit 3)")

# ---- .npy arrays -----------------------------------------------------------------------------
def npy_bytes(header, data=b"", version=(1, 0)):
    h = header.encode("latin1")
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    if version == (1, 0):
        prefix = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h))
    else:
        prefix = b"\x93NUMPY" + bytes(version) + struct.pack("<I", len(h))
    return prefix + h + data


F4 = np.arange(512, dtype="<f4").tobytes()


def npy(name, header, data, keywords, why, version=(1, 0)):
    write("arrays", name, npy_bytes(header, data, version), "input", keywords, why)


write("arrays", "bad_magic.npy", b"\x93NUMPX\x01\x00" + b"\x00" * 120, "input", ["not a .npy file"], "bad magic")
write("arrays", "too_short.npy", b"\x93NUM", "input", ["too short"], "5 bytes")
write("arrays", "header_length_huge.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 0xFFFFFFF0) + b"{}",
      "input", ["implausibly large"], "4 GB header length")
write("arrays", "header_cut.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }")[:40],
      "input", ["truncated .npy header"], "header cut short")
npy("version_9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", F4,
    ["unsupported .npy format version 9.0"], "unknown version", version=(9, 0))
npy("structured_dtype.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", F4,
    ["structured dtypes"], "record array")
npy("complex_dtype.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1, 1, 8, 8, 4), }", F4,
    ["unsupported dtype '<c8'"], "complex64")
npy("object_dtype.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", F4,
    ["unsupported dtype '|O'"], "pickled objects")
npy("missing_shape.npy", "{'descr': '<f4', 'fortran_order': False, }", F4, ["'shape' missing"], "no shape")
npy("shape_overflow.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", F4,
    ["overflows"], "2^66 elements")
npy("shape_1e12.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 10000, 10000, 10000), }", F4,
    ["truncated", "needs 4000000000000 data bytes"], "a 10^12-voxel header on 2 KB of data")
npy("data_truncated.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", F4[:1000],
    ["truncated"], "data cut short")
npy("scalar.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", F4[:4], ["0-d"], "a scalar")
npy("rank3.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 8, 8), }", F4, ["must be 5D"], "no channels")
nan = np.zeros(512, "<f4")
nan[100] = np.nan
npy("contains_nan.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", nan.tobytes(),
    ["NaN", "element 100"], "non-finite input")
inf = np.zeros(512, "<f8")
inf[7] = -np.inf
npy("contains_inf.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 8, 8, 8), }", inf.tobytes(),
    ["infinity", "element 7"], "non-finite float64 input")
npy("wrong_channels.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 8, 8, 4), }", F4,
    ["2 input channels", "needs 1"], "kernel wants one channel")

# ---- volumes -------------------------------------------------------------------------------------
def nifti1(dims=(3, 8, 8, 8, 1, 1, 1, 1), datatype=16, bitpix=32, vox_offset=352.0, magic=b"n+1\0", sizeof_hdr=348):
    h = bytearray(348)
    struct.pack_into("<i", h, 0, sizeof_hdr)
    struct.pack_into("<8h", h, 40, *dims)
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<f", h, 108, vox_offset)
    struct.pack_into("<f", h, 112, 1.0)
    h[344:348] = magic
    return bytes(h) + b"\0\0\0\0"


VOXELS = np.linspace(0, 1, 512, dtype="<f4").tobytes()


def vol(name, data, keywords, why):
    write("volumes", name, data, "input", keywords, why)


vol("empty.nii", b"", ["too short for a NIfTI header"], "0 bytes")
vol("bad_sizeof_hdr.nii", nifti1(sizeof_hdr=100) + VOXELS, ["neither 348 nor 540"], "not NIfTI")
vol("header_cut.nii", nifti1()[:200], ["truncated NIfTI header"], "200 of 348 bytes")
vol("analyze_magic.nii", nifti1(magic=b"xyz\0") + VOXELS, ["bad magic"], "Analyze 7.5 or garbage")
vol("two_file_magic.nii", nifti1(magic=b"ni1\0") + VOXELS, ["two-file"], ".hdr/.img pair")
vol("dim0_zero.nii", nifti1(dims=(0, 8, 8, 8, 1, 1, 1, 1)) + VOXELS, ["dim[0] = 0"], "no dimensions")
vol("dim_negative.nii", nifti1(dims=(3, 8, -8, 8, 1, 1, 1, 1)) + VOXELS, ["dim[2] = -8"], "negative size")
vol("vox_offset_inside_header.nii", nifti1(vox_offset=100.0) + VOXELS, ["vox_offset 100"], "data inside header")
vol("vox_offset_nan.nii", nifti1(vox_offset=float("nan")) + VOXELS, ["bad vox_offset"], "NaN offset")
vol("data_truncated.nii", nifti1() + VOXELS[:1000], ["truncated file", "promises 2400 bytes"], "data cut short")
vol("voxels_1e12.nii", nifti1(dims=(3, 10000, 10000, 10000, 1, 1, 1, 1)) + VOXELS,
    ["truncated file", "promises 4000000000352 bytes"],
    "a 10^12-voxel header: refused before allocating (the slab reader checks the payload first)")
vol("datatype_unknown.nii", nifti1(datatype=9999) + VOXELS, ["datatype 9999"], "no such datatype")
good_gz = gzip.compress(nifti1() + VOXELS, mtime=0)
flipped = bytearray(good_gz)
flipped[len(flipped) // 2] ^= 0x40
vol("gzip_corrupt.nii.gz", bytes(flipped), ["corrupt compressed data"], "a flipped bit in the deflate stream")
vol("gzip_truncated.nii.gz", good_gz[: len(good_gz) - 30], ["truncated"], "gzip stream cut short")
vol("gzip_crc_wrong.nii.gz", good_gz[:-8] + struct.pack("<I", zlib.crc32(b"x")) + good_gz[-4:],
    ["corrupt compressed data"], "gzip trailer CRC does not match")
NRRD = "NRRD0004\ntype: float\nendian: little\nencoding: raw\n"
vol("nrrd_sizes_count.nrrd", (NRRD + "dimension: 3\nsizes: 8 8\n\n").encode() + VOXELS,
    ["2 entries for 3 dimensions"], "sizes shorter than dimension")
vol("nrrd_size_zero.nrrd", (NRRD + "dimension: 3\nsizes: 8 0 8\n\n").encode() + VOXELS, ["sizes entry '0'"], "empty axis")
vol("nrrd_dimension_99.nrrd", (NRRD + "dimension: 99\nsizes: 8 8 8\n\n").encode() + VOXELS, ["dimension '99'"],
    "more axes than NRRD allows")
vol("nrrd_voxels_1e12.nrrd", (NRRD + "dimension: 3\nsizes: 10000 10000 10000\n\n").encode() + VOXELS,
    ["of memory available"], "a 10^12-voxel header")
vol("nrrd_truncated.nrrd", (NRRD + "dimension: 3\nsizes: 8 8 8\n\n").encode() + VOXELS[:1000], ["truncated"],
    "data cut short")
vol("nrrd_missing_data_file.nhdr", NRRD + "dimension: 3\nsizes: 8 8 8\ndata file: nowhere.raw\n",
    ["nowhere.raw not found"], "detached data absent")
MHA = "ObjectType = Image\nElementType = MET_FLOAT\n"
vol("mha_ndims_11.mha", (MHA + "NDims = 11\nDimSize = 1 1 1 1 1 1 1 1 1 1 1\nElementDataFile = LOCAL\n").encode()
    + VOXELS, ["NDims '11'"], "more dimensions than MetaIO holds")
vol("mha_dimsize_negative.mha", (MHA + "NDims = 3\nDimSize = 8 -8 8\nElementDataFile = LOCAL\n").encode() + VOXELS,
    ["DimSize entry '-8'"], "negative size")
vol("mha_voxels_1e12.mha", (MHA + "NDims = 3\nDimSize = 10000 10000 10000\nElementDataFile = LOCAL\n").encode()
    + VOXELS, ["of memory available"], "a 10^12-voxel header")
vol("mha_channels_zero.mha",
    (MHA + "NDims = 3\nDimSize = 8 8 8\nElementNumberOfChannels = 0\nElementDataFile = LOCAL\n").encode() + VOXELS,
    ["ElementNumberOfChannels '0'"], "no components")
vol("mha_truncated.mha", (MHA + "NDims = 3\nDimSize = 8 8 8\nElementDataFile = LOCAL\n").encode() + VOXELS[:1000],
    ["truncated"], "data cut short")
vol("mha_missing_data_file.mhd", MHA + "NDims = 3\nDimSize = 8 8 8\nElementDataFile = nowhere.raw\n",
    ["nowhere.raw not found"], "detached data absent")
vol("unknown_extension.vol", nifti1() + VOXELS, ["unsupported extension"], "not a format voxconv reads")

# ---- weights -------------------------------------------------------------------------------------
write("weights", "empty.h5", b"", "weights", ["not an HDF5 file"], "0 bytes")
write("weights", "text.h5", "kernel = [[[1, 2, 3]]]\n", "weights", ["not an HDF5 file"], "text")
EXISTING = {
    "bad_bias_mismatch.h5": ["bias length must equal"],
    "bad_bias_rank.h5": ["a bias has rank 1"],
    "bad_compound.h5": ["type compound"],
    "bad_external_link.h5": ["external link"],
    "bad_external_storage.h5": ["external files"],
    "bad_float64_range.h5": ["does not fit in float32"],
    "bad_garbage_after_signature.h5": ["cannot open as HDF5"],
    "bad_inf_bias.h5": ["-inf at index 2"],
    "bad_int.h5": ["type int32"],
    "bad_keras1.h5": ["Keras 1"],
    "bad_missing_dataset.h5": ["does not exist"],
    "bad_model_config_only.h5": ["no model_weights group"],
    "bad_nan.h5": ["NaN at index 17"],
    "bad_no_layout.h5": ["no Keras weights found"],
    "bad_not_hdf5.h5": ["not an HDF5 file"],
    "bad_rank.h5": ["rank 5"],
    "bad_soft_link.h5": ["soft link"],
    "bad_soft_link_group.h5": ["soft link"],
    "bad_string.h5": ["type string"],
    "bad_three_weights.h5": ["has 3 weights"],
    "bad_truncated.h5": ["truncated"],
    "bad_virtual.h5": ["virtual dataset"],
    "bad_zero_dim.h5": ["no dimension may be 0"],
    "bad_zip.keras": ["zip archive"],
}
for name, keywords in EXISTING.items():
    case(f"tests/data/weights/{name}", "weights", keywords, "tests/data/weights/make_weight_fixtures.py")
case("tests/fuzz/libhdf5_hazards/segv_global_heap_read.h5", "weights", ["the HDF5 library crashed or hung"],
     "libhdf5 1.10.8 segfaults on it (tests/fuzz/README.md)")
case("tests/fuzz/libhdf5_hazards/hang_global_heap_protect.h5", "weights", ["no answer after 1 s"],
     "libhdf5 1.10.8 loops forever on it", env=["VOXCONV_HDF5_TIMEOUT=1"])
case("tests/fuzz/libhdf5_hazards/oom_vlen_string_conversion.h5", "weights", ["weight_names", "empty name"],
     "libhdf5 1.10.8 allocates (and frees) ~2 GB five times converting its corrupt vlen strings (found by fuzzing)")
case("tests/fuzz/corpus/fuzz_hdf5_weights/oom-kernel-shape-9gib-in-11kb.h5", "weights",
     ["9.0 GiB", "stores 432 bytes"], "a 9 GiB kernel header in an 11 KB file (found by fuzzing: was an OOM kill)")

# ---- outputs -------------------------------------------------------------------------------------
case("tests/bad_inputs/good_input.npy", "existing_output", ["already exists", "--force"],
     "an existing output is never replaced without --force")

# The good input every config and weights case runs on: (1, 1, 8, 8, 8), channels_first.
np.save(path(".", "good_input.npy"), np.linspace(-1, 1, 512, dtype="<f4").reshape(1, 1, 8, 8, 8))

with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump(CASES, f, indent=1)
    f.write("\n")
print(f"{len(CASES)} cases")
