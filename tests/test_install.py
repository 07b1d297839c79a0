"A plain (not editable) `pip install` of the project, used outside the checkout: `colorseg colorize` finds the shipped weights."
import os, subprocess, sys, sysconfig
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the project's wheel installed (--no-deps); the heavy dependencies (torch, ...) come from the test
    venv's site-packages through a .pth path line, which adds the folder but not its editable-install hooks."""
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    wheel = next(wheels.glob("colorseg-*.whl"))
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    # only now the dependencies: with the test venv's packages visible during the install, pip would uninstall its
    # (editable) colorseg to replace it
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, *args, cwd, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("COLORSEG_")} | {"PATH": f"{venv / 'bin'}:/usr/bin:/bin"} | (env or {})
    return subprocess.run([str(venv / "bin" / "colorseg"), *args], capture_output=True, text=True, cwd=cwd, env=e)


def test_installed_colorize_finds_the_shipped_weights(installed, tmp_path):
    py = installed / "bin" / "python"
    where = subprocess.run([str(py), "-c", "import colorseg, colorseg.weights as w; print(colorseg.__file__); print(w.weights_dir())"],
                           capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    mod, wdir = where.stdout.split()
    assert str(installed) in mod and str(ROOT) not in mod, where        # the installed copy, not the checkout
    assert Path(wdir) == installed / "share" / "colorseg" / "weights", wdir
    line = np.full((96, 80), 255, np.uint8); line[20:70, 20] = 0; line[20, 20:60] = 0; line[70, 20:60] = 0; line[20:71, 60] = 0
    Image.fromarray(line).save(tmp_path / "box.png")
    # outside the checkout there is no ../shared/data: the tags are encoded with the weights' own tag list, and the
    # warning says what that cannot check
    r = run(installed, "colorize", "box.png", "--tags", "red_hair 1girl", "-o", "out.png", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert np.asarray(Image.open(tmp_path / "out.png")).shape == (96, 80, 3)
    assert "tag vocabulary" in r.stderr and "1girl" in r.stderr, r.stderr
    # weights missing (an empty folder named by COLORSEG_WEIGHTS): the error says where to put them
    (tmp_path / "empty").mkdir()
    r = run(installed, "colorize", "box.png", "--tags", "red_hair", cwd=tmp_path, env={"COLORSEG_WEIGHTS": str(tmp_path / "empty")})
    assert r.returncode == 2 and "colorizer-parts.pt" in r.stderr and "share/colorseg/weights" in r.stderr and "Traceback" not in r.stderr, r.stderr
