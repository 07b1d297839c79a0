"Inference end to end: Tag2pix's real line art with its real tags, through the library and the CLI."
import subprocess, sys
import numpy as np
import pytest

from conftest import CLI

from colorseg.colorize import colorize, load_colorizer
from colorseg.images import read_image, shared_data
from colorseg.tags import parse_tags

LINER = shared_data("real", "tag2pix", "liner_40.png")
TAGS = shared_data("real", "tag2pix", "liner_40.tags.txt").read_text()


def test_colorize_real_lineart_with_its_tags(tiny_run):
    out = colorize(LINER, TAGS, tiny_run / "last.pt")
    assert out.shape == (1224, 1224, 3) and out.dtype == np.uint8
    assert out.std() > 1  # not a constant image


def test_cli_colorize_file_and_folder(tiny_run, tmp_path):
    dst = tmp_path / "out.png"
    r = subprocess.run([CLI, "colorize", str(LINER), "--tags", TAGS, "--ckpt", str(tiny_run / "last.pt"), "-o", str(dst)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert read_image(dst).shape == (1224, 1224, 3)
    # a folder in, a folder out
    src = tmp_path / "lines"; src.mkdir()
    small = read_image(LINER, "L")[::8, ::8]
    from colorseg.images import save_image
    save_image(small, src / "a.png"); save_image(small[:100, :90], src / "b.png")
    r = subprocess.run([CLI, "colorize", str(src), "--tags", "red_hair", "--ckpt", str(tiny_run / "last.pt"), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert read_image(tmp_path / "o" / "b.png").shape == (100, 90, 3)


def test_cli_errors_are_clear(tiny_run, tmp_path):
    r = subprocess.run([CLI, "colorize", str(LINER), "--tags", "red_hiar", "--ckpt", str(tiny_run / "last.pt")], capture_output=True, text=True)
    assert r.returncode == 2 and "closest: red_hair" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.png"; bad.write_bytes(b"not an image")
    r = subprocess.run([CLI, "colorize", str(bad), "--tags", "red_hair", "--ckpt", str(tiny_run / "last.pt")], capture_output=True, text=True)
    assert r.returncode == 2 and "cannot decode" in r.stderr and str(bad) in r.stderr
    r = subprocess.run([CLI, "colorize", str(LINER), "--tags", "red_hair", "--ckpt", str(tmp_path / "none.pt")], capture_output=True, text=True)
    assert r.returncode == 2 and "none.pt does not exist" in r.stderr
