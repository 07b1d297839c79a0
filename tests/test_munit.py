"End-to-end: MUNIT's papermill notebook, exact resume, and reference-based inference on a real line drawing."
import numpy as np
import pandas as pd
import papermill as pm
import pytest
import torch

from colorseg.images import read_image, shared_data
from colorseg.munit_infer import colorize_reference, load_munit, sample_styles
from colorseg.munit_train import MunitConfig, train_munit
from colorseg.train import load_checkpoint, save_checkpoint

SMALL = dict(image_size=32, n_train=8, n_val=4, batch_size=4, epochs=1, device="cpu", progress=False, log_every=1)
SKETCH = shared_data("real", "style2paints", "001.sketch.png")
REFERENCE = shared_data("real", "style2paints", "001.reference.png")


@pytest.fixture(scope="module")
def concat_run(root, tmp_path_factory):
    "`papermill nbs/12_train_munit.ipynb ... -p fusion concat` at a tiny size; returns (run folder, executed notebook)."
    d = tmp_path_factory.mktemp("munit")
    out, nb = d / "run", d / "train_munit.ipynb"
    pm.execute_notebook(str(root / "nbs/12_train_munit.ipynb"), str(nb), kernel_name="python3", cwd=str(root / "nbs"),
                        parameters=dict(SMALL, fusion="concat", out_dir=str(out)), progress_bar=False)
    return out, nb


def test_papermill_train_munit_notebook(concat_run):
    out, nb = concat_run
    cfg = MunitConfig.from_json(out / "config.json")
    assert cfg.fusion == "concat" and cfg.image_size == 32 and cfg.lr_g == 1e-4 and cfg.lr_d == 4e-4
    for f in ("last.pt", "stats.csv", "val.csv", "loss_curves.png", "summary.csv", "log.txt", "samples/epoch_001.png"):
        assert (out / f).exists(), f
    st = pd.read_csv(out / "stats.csv")
    assert len(st) == 2 and st[["g_x_a", "g_x_b", "g_s", "g_c", "g_adv_a", "d_b"]].notna().all().all()
    summ = pd.read_csv(out / "summary.csv")
    assert summ.loc[0, "model"] == "munit+concat" and 0 < summ.loc[0, "l1"] < 2
    assert {"region_de", "ref_swd", "gt_region_de", "gt_ref_swd"} <= set(summ.columns)
    assert "image/png" in nb.read_text()  # the executed notebook shows the curves and the grid


def test_papermill_rejects_unknown_parameter(root, tmp_path):
    with pytest.raises(pm.PapermillExecutionError, match="did you mean 'epochs'"):
        pm.execute_notebook(str(root / "nbs/12_train_munit.ipynb"), str(tmp_path / "bad.ipynb"), kernel_name="python3",
                            cwd=str(root / "nbs"), parameters=dict(SMALL, epoch=3, out_dir=str(tmp_path / "r")), progress_bar=False)


def test_resume_after_interruption_is_exact(tmp_path):
    "K iterations straight == K/2, a crash, then resume: identical weights, clock and logs (references come from the RNG)."
    kw = dict(SMALL, epochs=2, lr_step=1)  # lr halves every iteration, so the restored clock matters
    run_a, _ = train_munit(MunitConfig(**kw, out_dir=str(tmp_path / "a")))
    train_munit(MunitConfig(**kw, max_steps=3, out_dir=str(tmp_path / "b")))  # stops mid-epoch 2, as a crash after a checkpoint would
    run_b, _ = train_munit(MunitConfig(**kw, resume=True, out_dir=str(tmp_path / "b")))
    a, b = load_checkpoint(run_a / "last.pt"), load_checkpoint(run_b / "last.pt")
    assert a["step"] == b["step"] == 4 and int(a["modules"]["clock"]["step"]) == 4
    for net in ("gen_a", "gen_b", "dis_a", "dis_b", "clock"):
        for k, v in a["modules"][net].items():
            assert torch.equal(v, b["modules"][net][k]), (net, k)
    assert pd.read_csv(run_a / "stats.csv")["lr_g"].tolist() == [1e-4, 5e-5, 2.5e-5, 1.25e-5]
    pd.testing.assert_frame_equal(pd.read_csv(run_a / "stats.csv").drop(columns="time"), pd.read_csv(run_b / "stats.csv").drop(columns="time"))
    with pytest.raises(ValueError, match="fusion='none' in the checkpoint but 'concat' now"):
        train_munit(MunitConfig(**{**kw, "fusion": "concat"}, resume=True, out_dir=str(tmp_path / "b")))
    # a none-fusion model colours without any skeleton
    out = colorize_reference(read_image(SKETCH, "L")[::4, ::4], REFERENCE, run_a / "last.pt")
    assert out.shape == (250, 177, 3)


def test_colorize_real_sketch_with_its_reference(concat_run):
    ckpt = concat_run[0] / "last.pt"
    out = colorize_reference(SKETCH, REFERENCE, ckpt)  # RGBA 708x1000 line art; the skeleton comes from the line art
    assert out.shape == (1000, 708, 3) and out.dtype == np.uint8 and out.std() > 1
    small = read_image(SKETCH, "L")[::4, ::4]
    given = colorize_reference(small, read_image(REFERENCE), ckpt, skeleton=np.full(small.shape, 128, np.uint8))
    assert given.shape == (250, 177, 3)
    styles = sample_styles(small, ckpt, n=2, seed=3, skeleton=np.full(small.shape, 128, np.uint8))
    assert styles.shape == (2, 250, 177, 3) and not np.array_equal(styles[0], styles[1])


def test_load_errors_are_clear(tmp_path, concat_run):
    fake = tmp_path / "tag2pix.pt"
    save_checkpoint(fake, dict(config={}, modules={"G": {}, "D": {}}))
    with pytest.raises(ValueError, match="is not a MUNIT checkpoint"):
        load_munit(fake)
    with pytest.raises(FileNotFoundError, match="none.pt does not exist"):
        colorize_reference(SKETCH, REFERENCE, tmp_path / "none.pt")
    with pytest.raises(ValueError, match="differ in size"):
        colorize_reference(read_image(SKETCH, "L")[:40, :40], REFERENCE, concat_run[0] / "last.pt", skeleton=np.zeros((8, 8), np.uint8))


def test_cli_reference_colorize_and_styles(concat_run, tmp_path):
    import subprocess
    run, _ = concat_run
    from conftest import CLI
    sketch, ref = shared_data("real", "style2paints", "001.sketch.png"), shared_data("real", "style2paints", "001.reference.png")
    out = tmp_path / "out.png"
    r = subprocess.run([CLI, "colorize", str(sketch), "--reference", str(ref), "--ckpt", str(run / "last.pt"), "-o", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert read_image(out).shape[:2] == read_image(sketch).shape[:2]
    r = subprocess.run([CLI, "colorize", str(sketch), "--styles", "2", "--ckpt", str(run / "last.pt"), "-o", str(tmp_path / "s.png")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.glob("s.*.png")) == ["s.0.png", "s.1.png"]
