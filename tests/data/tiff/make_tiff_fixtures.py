#!/usr/bin/env python3
"""TIFF stack fixtures written by Pillow (not ITK), with the values voxconv must read as .npy.

    /usr/bin/python3 tests/data/tiff/make_tiff_fixtures.py   # rewrites the files beside this script

stack_u16.tif: 5 pages of 7x6 (width x height) uint16, resolution 2 pixels per mm -> spacing 0.5 mm in x and y.
stack_f32.tif: 3 pages of 4x5 float32.
expected_*.npy: the (z, y, x) arrays, float32.
Needs numpy and Pillow (Debian: python3-numpy python3-pil).
"""
import os

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def save_stack(name, pages, **kw):
    images = [Image.fromarray(p) for p in pages]
    images[0].save(os.path.join(HERE, name), save_all=True, append_images=images[1:], **kw)
    np.save(os.path.join(HERE, "expected_" + name.split(".")[0] + ".npy"), np.stack(pages).astype(np.float32))


def main():
    z, y, x = np.meshgrid(np.arange(5), np.arange(6), np.arange(7), indexing="ij")
    save_stack("stack_u16.tif", list((1000 * z + 10 * y + x + 60000 * (x == 6)).astype(np.uint16)),
               resolution=20.0, resolution_unit=3)  # 20 pixels per cm = 2 per mm
    rng = np.random.default_rng(5)
    save_stack("stack_f32.tif", list(rng.standard_normal((3, 5, 4)).astype(np.float32)))


if __name__ == "__main__":
    main()
