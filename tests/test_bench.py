"The benchmark's quick mode end to end through its command line: both reports written with the expected keys (no timing assertions)."
import json, subprocess, sys
from colorseg.config import FUSIONS


def test_bench_quick_writes_json_and_markdown(tmp_path):
    out = tmp_path / "reports" / "bench.json"
    r = subprocess.run([sys.executable, "-m", "colorseg.bench", "--out", str(out), "--quick"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    j = json.loads(out.read_text())
    assert {"machine", "settings", "reference", "train", "colorize", "stand_in", "targets", "skeleton", "data", "memory", "notes", "elapsed_s"} <= set(j)
    assert {"device", "cpu_model", "cpu_cores", "torch_threads", "torch", "python", "date", "peak_fp32_source"} <= set(j["machine"])
    assert j["settings"]["quick"] is True
    assert {r["fusion"] for r in j["train"]} == set(FUSIONS)
    recipe = [r for r in j["train"] if r["preset"] == "cpu"]   # the CPU recipe's row: parts, its L1 warm-up step
    assert recipe and {r["fusion"] for r in recipe} == {"parts"}
    for row in j["train"]:
        assert {"preset", "variant", "images_per_s", "gflop_per_image", "mfu", "speedup_vs_fp32_eager", "peak_mem_mb", "load_1min"} <= set(row)
    assert {r["variant"] for r in j["train"]} >= {"fp32 eager", "channels_last"}
    for row in j["colorize"]:
        assert {"fusion", "variant", "what", "batch", "latency_s_median", "s_per_image", "speedup_vs_own_fp32_eager", "time_vs_none_fp32_eager"} <= set(row)
    assert {r["what"] for r in j["colorize"]} == {"end-to-end", "networks"}
    assert {"region_to_skeleton_s_median", "danbooregion_s_median", "speedup"} <= set(j["skeleton"])
    assert j["line_regions"]["ms_per_mp_median"] > 0 and "## Regions of line art" in (tmp_path / "reports" / "bench.md").read_text()
    assert "samples_per_s_median" in j["data"]["synth"] and "prepare" in j["data"]
    md = (tmp_path / "reports" / "bench.md").read_text()
    for section in ("# colorseg benchmark", "## Training throughput", "## Colorize latency", "## Skeleton maps", "## Data", "## Memory"):
        assert section in md
