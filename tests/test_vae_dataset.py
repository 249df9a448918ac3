"""`--dataset mnist` for the vae assignment, with MNIST stood in for by upscaled digits
(the real files are not shipped): the pass mark is calibrated by training the reference."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT, failed_numbers, grade_file
from sample_builder import samples_folder


@pytest.fixture
def fake_mnist(monkeypatch):
    import autograder.data as data

    images, _ = data.load_digits_binary()
    big = np.kron(images.reshape(-1, 8, 8), np.ones((3, 3), dtype=np.float32)).reshape(-1, 24 * 24)
    big = np.concatenate([big] * 7)[:12000]
    monkeypatch.setattr(data, "load_mnist_binary", lambda folder=None, split="train": big)


def test_mnist_mode_calibrates_its_own_mark(fake_mnist):
    results = grade_file("vae", ROOT / "solutions" / "vae.py", dataset="mnist")
    assert results.score == results.max_score, {t.number: t.output for t in results.tests if t.status != "passed"}
    output = {t.number: t.output for t in results.tests}["2.8"]
    assert "required: below" in output
    broken = grade_file("vae", samples_folder("vae") / "wrong" / "decoder_ignores_z.py", dataset="mnist")
    assert {"2.8", "2.9"} <= failed_numbers(broken)
