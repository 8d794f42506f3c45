#!/usr/bin/env python3
"""Writes the small .npy fixtures that tests/unit/volume/npy_test.cpp reads.

Run from anywhere with numpy installed:  python3 tests/data/npy/make_npy_fixtures.py
The values follow formulas of the C-order flat index i that the C++ test repeats, so the
test checks them without trusting any other reader:
  bool:      i % 3 == 0
  signed:    (i - 12) * SCALE[size]
  unsigned:  i * SCALE[size]
  float:     (i - 12) * 0.25
Every array has shape (2, 3, 4) unless the file name says otherwise.
"""
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (2, 3, 4)
SIGNED_SCALE = {1: 10, 2: 1000, 4: 100000, 8: 10**12}
UNSIGNED_SCALE = {1: 10, 2: 2500, 4: 150000000, 8: 5 * 10**17}


def values(kind, size):
    i = np.arange(24, dtype=np.int64)
    if kind == "b":
        return (i % 3 == 0)
    if kind == "i":
        return [int(v) * SIGNED_SCALE[size] for v in (i - 12)]
    if kind == "u":
        return [int(v) * UNSIGNED_SCALE[size] for v in i]
    return (i - 12) * 0.25


def save(name, array, **kwargs):
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, array, allow_pickle=False, **kwargs)


def raw_npy(name, header_dict, payload):
    """A version 1.0 file with a hand-written header (for markers numpy never writes)."""
    header = header_dict.encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload)


def main():
    # Every dtype in both byte orders (one-byte types have only '|').
    for kind, sizes in (("b", [1]), ("i", [1, 2, 4, 8]), ("u", [1, 2, 4, 8]), ("f", [2, 4, 8])):
        for size in sizes:
            orders = ["|"] if size == 1 else ["<", ">"]
            for order in orders:
                dtype = np.dtype(f"{order}{kind}{size}")
                array = np.array(values(kind, size), dtype=dtype).reshape(SHAPE)
                tag = {"<": "le", ">": "be", "|": "na"}[order]
                save(f"{kind}{size}_{tag}.npy", array)

    # Fortran order: same logical arrays, column-major bytes on disk.
    save("f4_le_fortran.npy", np.asfortranarray(np.array(values("f", 4), "<f4").reshape(SHAPE)))
    save("i2_be_fortran.npy", np.asfortranarray(np.array(values("i", 2), ">i2").reshape(SHAPE)))

    # Header versions 2.0 and 3.0 (4-byte header length).
    save("f4_le_v2.npy", np.array(values("f", 4), "<f4").reshape(SHAPE), version=(2, 0))
    save("f4_le_v3.npy", np.array(values("f", 4), "<f4").reshape(SHAPE), version=(3, 0))

    # Other ranks and an empty array.
    save("f4_le_shape_24.npy", np.array(values("f", 4), "<f4"))
    save("f4_le_shape_1x2x3x2x2.npy", np.array(values("f", 4), "<f4").reshape(1, 2, 3, 2, 2))
    save("f4_le_shape_0x3.npy", np.zeros((0, 3), "<f4"))

    # Byte-order markers numpy normalises away: '=' (native, little here) and '|' on a
    # multi-byte type; and Python 2's long literals in the shape.
    f4 = np.array(values("f", 4), "<f4").tobytes()
    raw_npy("f4_eq_marker.npy", "{'descr': '=f4', 'fortran_order': False, 'shape': (2, 3, 4), }", f4)
    raw_npy("f4_pipe_marker.npy", "{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3, 4), }", f4)
    raw_npy("f4_py2_long_shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L, 4L), }", f4)

    # float16 special values: zeros, subnormals, the largest finite value, infinities.
    specials = np.array([0.0, -0.0, 6e-8, 1e-5, 6.1035156e-05, 65504.0, -2.5, np.inf, -np.inf], "<f2")
    save("f2_le_specials.npy", specials)
    save("f2_be_specials.npy", specials.astype(">f2"))

    # What numpy.save writes for float32 arrays, to compare write_npy byte for byte.
    np.save(os.path.join(HERE, "numpy_save_f4_2x3x4.npy"), np.array(values("f", 4), "<f4").reshape(SHAPE))
    np.save(os.path.join(HERE, "numpy_save_f4_7.npy"), np.arange(7, dtype="<f4"))
    np.save(os.path.join(HERE, "numpy_save_f4_12345678901x0.npy"), np.zeros((12345678901, 0), "<f4"))


if __name__ == "__main__":
    main()
