"User study end to end: a study folder from checkpoints, the rating app (anonymised, resumable, atomic saves), the statistics on planted effects, and the report notebook."
import os
import numpy as np
import pandas as pd
import papermill as pm
import pytest
from scipy import stats

from colorseg import study as S


@pytest.fixture(scope="module")
def study_dir(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("study") / "study"
    S.make_study({"tag2pix": tiny_run / "last.pt", "dual": tiny_run / "last.pt"}, out, n=3, seed=0, progress=False)
    return out


def _rate_all(app, score=4):
    for b in app.controls:
        for w in b.values(): w.value = score
    app.save_button.click()


def _texts(w):
    "Every string a participant can see in a widget tree."
    out = [str(getattr(w, "value", "")) if not isinstance(getattr(w, "value", None), bytes) else ""]
    out += [str(getattr(w, "description", ""))] + [str(o) for o in getattr(w, "options", ())]
    for c in getattr(w, "children", ()): out += _texts(c)
    return out


def test_study_folder(study_dir):
    st = S.load_study(study_dir)
    assert st["methods"] == ["tag2pix", "dual"] and st["baseline"] == "tag2pix" and st["size"] == 32
    for s in st["samples"]:
        for f in ("lineart", "reference", "tag2pix", "dual"): assert (study_dir / "samples" / s["id"] / f"{f}.png").is_file()
    (study_dir / "samples" / "s000" / "dual.png").rename(study_dir / "x.png")
    try:
        with pytest.raises(FileNotFoundError, match="dual.png"): S.load_study(study_dir)
    finally: (study_dir / "x.png").rename(study_dir / "samples" / "s000" / "dual.png")
    with pytest.raises(ValueError, match="at least 2 methods"): S.make_study({"a": "x.pt"}, study_dir.parent / "o")


def test_rating_app_is_anonymised_resumable_and_saves_each_answer(study_dir):
    app = S.RatingApp(study_dir, "alice")
    shown = " ".join(_texts(app.widget))
    assert "tag2pix" not in shown and "dual" not in shown and "Output A" in shown and "Output B" in shown
    assert "Less Color Bleeding" in shown and "Tag Accuracy" in shown and "Overall Quality" in shown
    _rate_all(app)
    df = S.read_responses(app.path)
    assert len(df) == 2 * 3 and set(df["position"]) == {0, 1}
    del app
    app = S.RatingApp(study_dir, "alice")  # reopened: one drawing done, two to go
    assert len(app.done) == 1 and "Drawing 2 of 3" in app.header.value
    _rate_all(app, 2); _rate_all(app, 5)
    assert app.current is None and "Thank you" in app.header.value and app.save_button.disabled
    assert len(S.read_responses(study_dir / "responses")) == 3 * 2 * 3
    orders = {str(S.participant_plan(S.load_study(study_dir), f"p{i}")) for i in range(10)}
    assert len(orders) > 1


def test_a_failed_save_keeps_the_previous_answers(tmp_path, monkeypatch):
    p = tmp_path / "bob.csv"
    r = {"a": {c: 3 for c in S.CRITERIA}, "b": {c: 4 for c in S.CRITERIA}}
    S.save_answer(p, "bob", "s000", r)
    before = p.read_text()
    def crash(*a, **k): raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError): S.save_answer(p, "bob", "s001", r)
    assert p.read_text() == before and not [f for f in tmp_path.iterdir() if f.name != "bob.csv"]  # no temp file left


METHODS = ["tag2pix", "concat", "dual"]


def test_planted_effect_is_detected(tmp_path):
    S.simulate_responses(tmp_path, METHODS, n_participants=8, n_samples=12, effects={"concat": 0.5, "dual": 1.0}, seed=1)
    res = S.aggregate(tmp_path, methods=METHODS, n_boot=1000, seed=0)
    assert res.meta["baseline"] == "tag2pix" and res.meta["n_participants"] == 8
    assert (res.tests["p"] < 1e-3).all() and (res.tests["kendall_w"] > 0.1).all()
    dual = res.pairwise.query("a == 'dual' and b == 'tag2pix'")
    assert (dual["p_holm"] < 0.01).all()
    inc = res.scores.set_index(["method", "criterion"])
    assert (inc.loc["dual", "delta_lo"] > 0).all()  # the increment's CI excludes 0
    assert (inc.loc["dual", "delta"] > inc.loc["concat", "delta"]).all() and (inc.loc["concat", "delta"] > 0).all()  # ordered as planted (clipping at 5 shrinks sizes)
    by_p = S.aggregate(tmp_path, methods=METHODS, n_boot=200, block="participant")  # the conservative unit still sees it
    assert (by_p.tests["n_blocks"] == 8).all() and (by_p.tests["p"] < 0.05).all()


def test_no_effect_is_not_detected(tmp_path):
    S.simulate_responses(tmp_path / "0", METHODS, n_participants=8, n_samples=12, effects=None, seed=0)
    res = S.aggregate(tmp_path / "0", methods=METHODS, n_boot=1000, seed=0)
    assert (res.tests["p"] > 0.05).all() and (res.pairwise["p_holm"] > 0.05).all()
    assert (res.tests["kendall_w"] < 0.05).all()
    # one seed could be lucky: over 30 null studies the Friedman test rejects at about its nominal 5 % rate
    rejections = []
    for seed in range(30):
        df = S.read_responses(S.simulate_responses(tmp_path / f"n{seed}", METHODS, n_participants=4, n_samples=6, seed=100 + seed)[0].parent)
        rejections += [stats.friedmanchisquare(*S.score_matrix(df, c, METHODS).to_numpy().T).pvalue < 0.05 for c in S.CRITERIA]
    assert np.mean(rejections) < 0.12


def test_simulated_numbers_are_never_presented_as_real(tmp_path):
    S.simulate_responses(tmp_path / "r", METHODS[:2], n_participants=2, n_samples=3, seed=0)
    res = S.aggregate(tmp_path / "r", n_boot=100)
    with pytest.raises(ValueError, match="SIMULATED"): S.table2_markdown(res)
    md = S.table2_markdown(res, simulated=True)
    assert "SIMULATED RESPONSES: NOT A USER STUDY" in md and "| – |" in md  # two methods: no Friedman test
    S.save_answer(tmp_path / "r" / "carol.csv", "carol", "s000", {m: {c: 3 for c in S.CRITERIA} for m in METHODS[:2]})
    with pytest.raises(ValueError, match="separate folders"): S.table2_markdown(S.aggregate(tmp_path / "r", n_boot=100), simulated=True)
    assert S.write_table2(tmp_path / "empty", tmp_path / "t.md") is None and "No user-study responses" in (tmp_path / "t.md").read_text()


def test_report_notebook(root, study_dir, tmp_path):
    out = tmp_path / "reports"
    run = lambda name, **p: pm.execute_notebook(str(root / "nbs/31_user_study.ipynb"), str(tmp_path / name), kernel_name="python3",
                                               cwd=str(root / "nbs"), parameters=dict(n_boot=200, out_dir=str(out), **p), progress_bar=False)
    run("a.ipynb", study_dir=str(tmp_path / "nothing"))
    assert "No user-study responses" in (out / "table2.md").read_text()
    assert "SIMULATED RESPONSES: NOT A USER STUDY" in (out / "table2_simulated.md").read_text()
    run("b.ipynb", study_dir=str(study_dir))  # alice's real answers from the rating-app test (or none yet: write some)
    if not (study_dir / "responses").is_dir():
        app = S.RatingApp(study_dir, "dave"); [_rate_all(app, 3) for _ in range(3)]
        run("b.ipynb", study_dir=str(study_dir))
    t = (out / "table2.md").read_text()
    assert "| tag2pix (baseline) |" in t and "SIMULATED" not in t and not (out / "table2_simulated.md").exists()
