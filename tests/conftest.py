import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CI", "true")

@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT

@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    "A briefly trained tiny dual colorizer (shared by the tests that need a checkpoint)."
    from colorseg.config import ColorizeConfig
    from colorseg.tag2pix import train_colorizer
    d = tmp_path_factory.mktemp("runs")
    cfg = ColorizeConfig(fusion="dual", image_size=32, n_train=16, n_val=4, batch_size=4, seg_epochs=1, epochs=1,
                      lfe_steps=5, device="cpu", progress=False, out_dir=str(d / "dual"))
    run, val = train_colorizer(cfg)
    return run

# the console script of the venv running the tests (the venv's bin/ need not be on PATH)
CLI = str(Path(sys.executable).parent / "colorseg")
