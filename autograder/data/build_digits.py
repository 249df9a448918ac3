"""Rebuild ``digits.npz`` from scikit-learn's copy of the UCI optical digits (run once;
scikit-learn is needed only here, never by the grader).

    python -m autograder.data.build_digits
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

THRESHOLD = 8  # pixel values run 0..16; binarised at pixel >= 8


def main() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.data >= THRESHOLD).astype(np.uint8)  # (1797, 64)
    target = Path(__file__).with_name("digits.npz")
    np.savez_compressed(target, images=np.packbits(images, axis=1), labels=digits.target.astype(np.uint8),
                        shape=np.array(images.shape))
    print(f"wrote {target} ({target.stat().st_size} bytes, {images.shape[0]} images)")


if __name__ == "__main__":
    main()
