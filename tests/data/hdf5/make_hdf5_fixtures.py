#!/usr/bin/env python3
"""Writes the small HDF5 volume fixtures that tests/unit/volume/hdf5_volume_test.cpp and
tests/e2e/hdf5_test.cpp read, with h5py (an implementation independent of voxconv).

Run from anywhere with numpy, h5py and nibabel:  python3 tests/data/hdf5/make_hdf5_fixtures.py
Values follow formulas of the C-order flat index i that the C++ tests repeat:
  good_int16_be_gzip.h5   /ct/volume  int16 big-endian (10, 11, 12), gzip chunks,
                          value (i * 37) % 200 - 100, attribute element_size_um = (2, 1.5, 1) (z, y, x)
  good_float64_4d.h5      /data       float64 (4, 5, 6, 3), value (i - 100) * 0.125,
                          spacing (0.5, 0.75, 1.25), origin (-1, 2, 3), direction: z rotation by 30 degrees
  good_uint8.h5           /v          uint8 (3, 4, 5), value i % 251, no attributes
  golden_vol_zyx_same_k3.h5  /scan    the input of tests/golden/cases/vol_zyx_same_k3 as (z, y, x) float32
and files voxconv must refuse (bad_*.h5).
"""
import math
import os

import h5py
import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def path(name):
    return os.path.join(HERE, name)


def flat(shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def main():
    with h5py.File(path("good_int16_be_gzip.h5"), "w") as f:
        data = ((flat((10, 11, 12)) * 37) % 200 - 100).astype(">i2")
        d = f.create_dataset("/ct/volume", data=data, chunks=(4, 11, 12), compression="gzip")
        d.attrs["element_size_um"] = np.array([2.0, 1.5, 1.0])

    with h5py.File(path("good_float64_4d.h5"), "w") as f:
        d = f.create_dataset("data", data=(flat((4, 5, 6, 3)) - 100) * 0.125)
        a = math.radians(30.0)
        d.attrs["spacing"] = [0.5, 0.75, 1.25]
        d.attrs["origin"] = [-1.0, 2.0, 3.0]
        d.attrs["direction"] = [math.cos(a), -math.sin(a), 0.0, math.sin(a), math.cos(a), 0.0, 0.0, 0.0, 1.0]

    with h5py.File(path("good_uint8.h5"), "w") as f:
        f.create_dataset("v", data=(flat((3, 4, 5)) % 251).astype(np.uint8))

    # The golden case's input volume, with nibabel's (x, y, z) array turned into (z, y, x).
    scan = nib.load(os.path.join(ROOT, "golden/cases/vol_zyx_same_k3/input.nii.gz"))
    with h5py.File(path("golden_vol_zyx_same_k3.h5"), "w") as f:
        f.create_dataset("scan", data=np.asarray(scan.get_fdata(), dtype=np.float32).transpose(2, 1, 0))

    small = (flat((3, 4, 5)) % 7).astype(np.float32)
    with h5py.File(path("bad_links.h5"), "w") as f:
        f.create_dataset("g/v", data=small)
        f["soft"] = h5py.SoftLink("/g/v")
        f["soft_group"] = h5py.SoftLink("/g")
        f["external"] = h5py.ExternalLink("good_uint8.h5", "/v")
    with h5py.File(path("bad_types.h5"), "w") as f:
        f.create_dataset("strings", data=np.array([b"a", b"b"], dtype="S1"))
        f.create_dataset("compound", data=np.zeros((2, 2, 2), dtype=[("a", "<f4"), ("b", "<i4")]))
        f.create_dataset("rank2", data=np.zeros((4, 5), dtype=np.float32))
        f.create_dataset("rank5", data=np.zeros((1, 2, 2, 2, 1), dtype=np.float32))
        f.create_dataset("empty", data=np.zeros((0, 2, 2), dtype=np.float32))
        f.create_dataset("external_storage", shape=(2, 2, 2), dtype="<f4", external=[("raw.bin", 0, 32)])
    with h5py.File(path("bad_attributes.h5"), "w") as f:
        f.create_dataset("two_spacings", data=small).attrs["spacing"] = [1.0, 2.0]
        f.create_dataset("negative_spacing", data=small).attrs["spacing"] = [1.0, -2.0, 1.0]
        f.create_dataset("text_origin", data=small).attrs["origin"] = "here"
        f.create_dataset("singular_direction", data=small).attrs["direction"] = [1.0, 0, 0, 1.0, 0, 0, 0, 0, 1.0]
    with open(path("bad_not_hdf5.h5"), "w") as f:
        f.write("not an HDF5 file\n")


if __name__ == "__main__":
    main()
