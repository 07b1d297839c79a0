"The finished picture on real drawings with the shipped default weights: the issue's targets on DanbooRegion's X, framing, the CLI's outputs."
import subprocess, warnings
import numpy as np
import pytest
from conftest import CLI
from colorseg.colorize import colorize, colorize_full, content_box, load_colorizer
from colorseg.evaluate_real import item_data, lines_kept, load_items, score
from colorseg.images import read_image, save_image, shared_data
from colorseg.metrics import region_inconsistency
from colorseg.tags import TagConflictWarning, parse_tags

LINER = shared_data("real", "tag2pix", "liner_40.png")


def test_finished_picture_keeps_lines_and_regions_on_X():
    "X has colour and region truth: the default output keeps >= 0.9 of the lines and bleeds <= 1.6x the illustration's own ΔE."
    item = load_items(names=["X"])[0]
    d = item_data(item)
    F = colorize_full(d["lineart"], item.tags)
    lines = d["lineart"] < 128
    s = score(F["color"], None, d, parse_tags(item.tags))
    assert s["lines_kept"] >= 0.9 and s["de"] <= 1.6 * s["truth_de"], s
    raw = score(F["model"], None, d, parse_tags(item.tags))   # the model's own output does not meet them: the finish does
    assert raw["lines_kept"] < 0.9 and raw["de"] > 1.6 * raw["truth_de"], raw
    # one colour per line-art region in the flat layer
    flat = F["flat"]
    assert region_inconsistency(flat, F["labels"]) < 1e-6


def test_framing_a_small_drawing_on_a_big_page():
    "A drawing pasted small onto a page 3x its size is cropped to its ink: the model sees it at the same scale, the colours agree."
    la = read_image(LINER, "L")[::2, ::2]                               # 612 px
    page = np.full((1836, 1836), 255, np.uint8); page[900:1512, 200:812] = la
    a, b = np.array(content_box(page)), np.array(content_box(la)) + (900, 900, 200, 200)
    # the drawing's own crop, plus the margin the page has room for (alone, its ink touches the top and bottom edges)
    assert a[0] <= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] >= b[3] and (a[1] - a[0]) <= 1.1 * (b[1] - b[0]), (a, b)
    tags = "light_brown_hair green_eyes black_shirt black_skirt white_background"
    alone, onpage = colorize(la, tags), colorize(page, tags)
    unframed = colorize_full(page, tags, crop=False)["color"]           # the model on the whole page: the character is small
    assert onpage.shape == (1836, 1836, 3)
    paper = la > 200
    diff = lambda img: np.abs(img[900:1512, 200:812][paper].astype(int) - alone[paper]).mean()
    assert diff(onpage) < 0.6 * diff(unframed), (diff(onpage), diff(unframed))
    assert (onpage[:800] > 240).all()                                    # the empty page stays paper white


def test_cli_outputs_and_tag_conflicts(tmp_path):
    src = tmp_path / "liner.png"; save_image(read_image(LINER, "L")[::4, ::4], src)
    r = subprocess.run([CLI, "colorize", str(src), "--tags", "red_hair blue_hair green_eyes", "-o", str(tmp_path / "f.png")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "red_hair and blue_hair all set the hair colour, using red_hair" in r.stderr, r.stderr
    r = subprocess.run([CLI, "colorize", str(src), "--tags", "red_hair green_eyes", "--output", "model", "-o", str(tmp_path / "m.png")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    f, m, la = read_image(tmp_path / "f.png"), read_image(tmp_path / "m.png"), read_image(src, "L")
    assert f.shape == m.shape == la.shape + (3,)
    from colorseg.fill import regions_from_lineart
    regions = regions_from_lineart(la)                                   # the finish paints these flat (plus shading)
    de = lambda img: region_inconsistency(img, regions, la < 128)
    assert lines_kept(f, la) >= 0.9 and de(f) < 0.6 * de(m), (lines_kept(f, la), de(f), de(m))
    r = subprocess.run([CLI, "colorize", str(src), "--tags", "red_hair", "--output", str(tmp_path / "x.png")], capture_output=True, text=True)
    assert r.returncode == 2 and "invalid choice" in r.stderr and "finished" in r.stderr
    r = subprocess.run([CLI, "colorize", str(src), "--tags", "red_hair", "--shading", "-1"], capture_output=True, text=True)
    assert r.returncode == 2 and "shading=-1" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_training_scores_the_real_dev_set(tmp_path):
    "real_dev=True: each epoch's validation row has the real dev set's hits, swap hits, hair and eyes beside the synthetic scores."
    import pandas as pd
    from colorseg.config import ColorizeConfig
    from colorseg.tag2pix import REAL_KEYS, train_colorizer
    cfg = ColorizeConfig(fusion="parts", preset="tiny", data="synth2", image_size=64, n_train=8, n_val=4, batch_size=4, seg_epochs=0,
                         epochs=1, lfe_path="off", real_dev=True, progress=False, out_dir=str(tmp_path / "run"))
    run_dir, val = train_colorizer(cfg)
    v = pd.read_csv(run_dir / "val.csv")
    assert set(REAL_KEYS) <= set(v.columns) and len(v) == 1
    for k in ("real_hits", "real_swap", "real_hair", "real_eyes"): assert 0 <= v[k].iloc[0] <= 1, (k, v[k].iloc[0])
    assert v["real_de_truth"].iloc[0] > 0 and v["tag_acc"].notna().all()
    assert val["real_hits"] == pytest.approx(v["real_hits"].iloc[0], abs=1e-5)
    assert '"data": "synth2"' in (run_dir / "config.json").read_text()   # the run record names its world


def test_part_parsing_report(tmp_path):
    "nbs/36_real_parsing.ipynb on two dev drawings: one checkpoint under two labels scores the same; the shipped parts weights parse liner_40 well; a model without a part map is refused by name."
    import pandas as pd
    import papermill as pm
    from pathlib import Path
    from colorseg.weights import weights_dir
    root = Path(__file__).resolve().parents[1]
    w = weights_dir() / "colorizer-parts.pt"
    pm.execute_notebook(str(root / "nbs" / "36_real_parsing.ipynb"), str(tmp_path / "36.ipynb"), kernel_name="python3", cwd=str(root),
                        parameters=dict(checkpoints=f"a={w},b={w}", items="liner_40,test1", out_dir=str(tmp_path)), progress_bar=False)
    df = pd.read_csv(tmp_path / "real_parsing.csv")
    a, b = (df[df.model == k].set_index("item") for k in "ab")
    pd.testing.assert_frame_equal(a.drop(columns="model"), b.drop(columns="model"))
    assert set(a.index) == {"pooled", "liner_40", "test1"} and a.loc["pooled", "known_px"] == a.loc[["liner_40", "test1"], "known_px"].sum()
    assert a.loc["liner_40", "pixel_acc"] > 0.8, a          # world-2 parts weights: 0.94 on liner_40 at 256 px
    assert (tmp_path / "figures" / "real_parsing.png").stat().st_size > 10_000
    assert "majority" in (tmp_path / "real_parsing.md").read_text()
    top = df[(df.item == "pooled") & df.model.str.startswith("regions given their true part")]   # the finish is constant on regions
    assert len(top) == 1 and top.pixel_acc.iloc[0] >= a.loc["pooled", "pixel_acc"] and top.pixel_acc.iloc[0] > 0.9, top
    with pytest.raises(pm.PapermillExecutionError, match="only part-routing models"):
        pm.execute_notebook(str(root / "nbs" / "36_real_parsing.ipynb"), str(tmp_path / "36b.ipynb"), kernel_name="python3", cwd=str(root),
                            parameters=dict(checkpoints=f"none={weights_dir() / 'colorizer-none.pt'}", items="liner_40", out_dir=str(tmp_path)), progress_bar=False)


def test_part_mask_does_not_leak_at_small_scoring_sizes():
    "At 256 px test1's paper joined its hair (82 % of the picture 'hair') and s010's its jacket; the mask is now the 512-px one resized."
    from colorseg.evaluate_real import UNKNOWN
    from colorseg.synth_shapes import PART_INDEX
    for name, part in (("test1", "hair"), ("s010", "upper_garment")):
        item = load_items(names=[name])[0]
        small, big = (item_data(item, s)["parts"] for s in (256, 512))
        share = lambda m: float((m == PART_INDEX[part]).mean())
        assert abs(share(small) - share(big)) < 0.01 and share(small) < 0.2, (name, share(small), share(big))
        assert small.shape == item_data(item, 256)["lineart"].shape and (small == UNKNOWN).any()
