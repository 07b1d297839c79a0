"The demo app's logic without a browser: set widget values, click, and check what the page would show."
import base64, datetime, io, json, os
import numpy as np
import torch
import pytest
from PIL import Image

from colorseg.demo_app import DemoApp
from colorseg.widgets import discover_checkpoints


def upload(widget, content: bytes, name: str):
    "Set a FileUpload's value the way the browser does."
    widget.value = ({"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
                     "last_modified": datetime.datetime.now()},)


def png(a: np.ndarray) -> bytes:
    buf = io.BytesIO(); Image.fromarray(a).save(buf, "PNG"); return buf.getvalue()


def decode_link(html: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(html.split("base64,")[1].split('"')[0]))))


@pytest.fixture(scope="module")
def ckpt(tiny_run):
    return tiny_run / "last.pt"


def test_tags_change_the_output_and_the_page_shows_it(ckpt):
    app = DemoApp({"dual": ckpt}, size=128)
    assert app.lineart.shape == (128, 128) and "done" not in app.status.value
    app.pickers["hair"].value = "red_hair"; app.pickers["background"].value = "white_background"
    app.button.click()
    assert "done" in app.status.value, app.status.value
    red, red_model = app.results["dual"]["color"], app.results["dual"]["model"]
    shown = np.asarray(Image.open(io.BytesIO(app.cols["dual"].image.value)))
    assert shown.shape == (128, 128, 3) and np.array_equal(shown, red)
    assert np.array_equal(decode_link(app.cols["dual"].download.value), red)  # the download is the output
    assert "red_hair" in app.cols["dual"].caption.value
    app.pickers["hair"].value = "blue_hair"; app.pickers["background"].value = "black_background"
    app.button.click()
    # the tags reach the model (this tiny stand-in barely shifts its region medians, so look at its own output)
    assert np.abs(app.results["dual"]["model"].astype(int) - red_model).mean() > 0.1
    assert app.button.description == "Colorize" and not app.button.disabled  # not left busy


def test_searchable_tag_list_keeps_the_selection(ckpt):
    app = DemoApp({"dual": ckpt}, size=64)
    app.set_tags("1girl red_hair long_hair smile")
    assert app.tags() == ["red_hair", "long_hair", "smile"]  # 1girl: a Danbooru tag the models ignore
    app.cit_filter.value = "twin"
    assert app.cit.options[:2] == ("long_hair", "smile") and "twintails" in app.cit.options and "short_hair" not in app.cit.options
    app.cit.value = ("long_hair", "smile", "twintails")
    app.cit_filter.value = ""
    assert app.tags()[-3:] == ["long_hair", "smile", "twintails"] and "twintails" in app.tag_line.value


def test_overlays_and_side_by_side_columns(ckpt):
    app = DemoApp({"dual": ckpt, "dual again": ckpt}, size=64)
    app.button.click()
    assert set(app.results) == {"dual", "dual again"} and all(c.image.value for c in app.cols.values())
    plain = app.cols["dual"].image.value
    app.show_skeleton.value = True
    assert app.cols["dual"].image.value != plain
    app.show_regions.value = True
    assert "regions" in app.cols["dual"].caption.value
    app.show_skeleton.value = app.show_regions.value = False
    assert app.cols["dual"].image.value == plain  # overlays re-render, they do not re-run the model
    assert app.ref_box.layout.display == "none"  # no MUNIT checkpoint, no reference upload


def test_real_lineart_brings_its_tags(ckpt):
    app = DemoApp({"dual": ckpt}, size=128)
    app.source.value = "Tag2pix liner_40 (real)"
    assert app.lineart.shape == (128, 128)
    assert app.pickers["hair"].value == "light_brown_hair" and app.pickers["eyes"].value == "green_eyes"
    app.button.click()
    assert app.results["dual"]["color"].shape == (128, 128, 3)


def test_errors_are_messages_not_tracebacks(ckpt, tmp_path):
    app = DemoApp({"dual": ckpt, "concat": tmp_path / "missing.pt"}, size=64)
    upload(app.upload, b"\x89PNG broken", "drawing.png")
    assert app.source.value == "upload" and "cannot decode 'drawing.png'" in app.status.value
    app.button.click()
    assert "no line art to colorize" in app.status.value
    upload(app.upload, png(np.full((40, 50), 255, np.uint8)), "blank.png")
    assert app.lineart.shape == (40, 50)
    app.button.click()
    assert "concat failed" in app.status.value and "missing.pt does not exist" in app.cols["concat"].caption.value
    assert app.cols["dual"].image.value  # the good column still renders
    # a file that is not a checkpoint
    bad = tmp_path / "bad.pt"; bad.write_bytes(b"not a checkpoint")
    app = DemoApp({"dual": bad}, size=64); app.button.click()
    assert "bad.pt" in app.cols["dual"].caption.value and "dual failed" in app.status.value
    assert "Traceback" not in app.status.value + app.cols["dual"].caption.value
    # a typo in a tag
    app.set_tags("long_hair"); app._selected.append("long_hiar"); app.button.click()
    assert "closest: long_hair" in app.status.value


def test_busy_while_working(ckpt):
    app = DemoApp({"dual": ckpt}, size=64)
    seen = []
    def model(lineart, tags):  # stands in for the colorizer: records what the page shows meanwhile
        seen.append((app.button.disabled, app.button.description, app.status.value))
        return {"color": np.zeros((*lineart.shape, 3), np.uint8), "skeleton": None}
    app.models["dual"] = model
    app.button.click()
    (disabled, label, status), = seen
    assert disabled and label != "Colorize" and "colorizing with dual" in status
    assert not app.button.disabled and "done" in app.status.value


def test_no_checkpoint_says_make_train(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORSEG_WEIGHTS", str(tmp_path / "no-weights"))   # as if weights/ were missing
    app = DemoApp(runs_dir=tmp_path)
    assert "make train" in app.status.value and str(tmp_path) in app.status.value and not app.cols
    app.button.click()
    assert "make train" in app.status.value
    monkeypatch.setenv("COLORSEG_DEMO_CKPTS", "{not json")
    app = DemoApp.from_env(runs_dir=tmp_path)
    assert "COLORSEG_DEMO_CKPTS is not usable" in app.status.value


def with_fusion(ckpt, fusion, out, kind="colorizer"):
    "A copy of a checkpoint that says another family / fusion (what discover_checkpoints reads)."
    from colorseg.train import load_checkpoint
    st = load_checkpoint(ckpt)
    torch.save({**st, "kind": kind, "config": {**st["config"], "fusion": fusion}}, out)


def test_checkpoints_from_env_and_runs_folder(ckpt, tmp_path, monkeypatch):
    monkeypatch.setenv("COLORSEG_WEIGHTS", str(tmp_path / "no-weights"))
    monkeypatch.setenv("COLORSEG_DEMO_CKPTS", json.dumps({"mine": str(ckpt)}))
    assert list(DemoApp.from_env(runs_dir=tmp_path).checkpoints) == ["mine"]
    monkeypatch.delenv("COLORSEG_DEMO_CKPTS")
    for name, fusion in [("b", "none"), ("a", "dual")]:
        (tmp_path / name).mkdir()
        with_fusion(ckpt, fusion, tmp_path / name / "last.pt")
    monkeypatch.setenv("COLORSEG_RUNS_DIR", str(tmp_path))
    app = DemoApp.from_env()
    assert list(app.checkpoints) == ["none", "dual"] == list(discover_checkpoints(tmp_path))
    assert list(app.cols) == ["none", "dual"]


def test_munit_column_only_when_configured(ckpt, tmp_path):
    app = DemoApp({"dual": ckpt, "munit": tmp_path / "munit.pt"}, size=64)
    assert list(app.cols) == ["dual", "munit"] and app.ref_box.layout.display is None
    assert app.reference is not None  # style2paints' reference image by default
    app.button.click()  # the MUNIT checkpoint does not exist: a message in its column, the dual column still renders
    assert "munit failed" in app.status.value and "munit.pt does not exist" in app.cols["munit"].caption.value
    assert "error" not in app.results["dual"]
    got = []
    def munit(lineart, reference):  # stands in for colorseg.munit.ReferenceColorizer
        got.append(reference.shape); return np.full((*lineart.shape, 3), 200, np.uint8)
    app.models["munit"] = munit
    upload(app.ref_upload, png(np.zeros((8, 9, 3), np.uint8)), "ref.png")
    app.button.click()
    assert got == [(8, 9, 3)] and "done" in app.status.value  # the uploaded reference reached the model
    assert decode_link(app.cols["munit"].download.value).shape == (64, 64, 3) and "reference" in app.cols["munit"].caption.value


def test_shipped_weights_fill_the_columns_runs_lack(ckpt, tmp_path, monkeypatch):
    w = tmp_path / "weights"; w.mkdir()
    os.symlink(ckpt, w / "colorizer-parts.pt"); os.symlink(ckpt, w / "colorizer-dual.pt")
    monkeypatch.setenv("COLORSEG_WEIGHTS", str(w))
    (tmp_path / "runs" / "a").mkdir(parents=True)
    with_fusion(ckpt, "dual", tmp_path / "runs" / "a" / "last.pt")
    found = discover_checkpoints(tmp_path / "runs")
    assert list(found) == ["parts", "dual"] and found["parts"] == w / "colorizer-parts.pt" and found["dual"] == tmp_path / "runs" / "a" / "last.pt"
    assert list(discover_checkpoints(tmp_path / "runs", shipped=False)) == ["dual"]


def test_munit_runs_are_found_by_their_checkpoint_kind(ckpt, tmp_path):
    for name, kind, fusion in [("m", "munit", "none"), ("mc", "munit", "concat"), ("skeleton", "skeleton", None)]:
        (tmp_path / name).mkdir(); with_fusion(ckpt, fusion, tmp_path / name / "last.pt", kind=kind)
    assert list(discover_checkpoints(tmp_path, shipped=False)) == ["munit-none", "munit-concat"]
