# colorseg — every command a user needs. `make train` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN ?= runs/train
export CI_JOBS ?= 2

.PHONY: install browser-deps test skeleton demo train-munit lineart-net prepare report sync-check pytest nbtest data train weights skeleton-weights feature-net-weights weights-report real-report real-parsing demo-figure bench gpu-check clean-runs help

help:
	@echo "make train   - install, then train the CPU recipe (part routing, 128 px) on the synthetic set (2 CPU cores, ~10 min)"
	@echo "make weights - retrain the shipped weights/ on synthetic world 2 (parts at 256 px, none, concat, dual at 128 px; skeleton nets; reports; ~3.5 h on 2 cores)"
	@echo "make skeleton-weights - retrain the shipped skeleton nets weights/skeleton-{lineart,color}.pt (part of make weights)"
	@echo "make weights-report - score the shipped weights on 256 held-out drawings; grids -> reports/weights.md, reports/figures/"
	@echo "make real-report - the shipped weights on real drawings (data/real/): reports/real.md, reports/figures/real_grid_*.png"
	@echo "make real-parsing - part maps of the part-routing weights against the real dev set's part annotation: reports/real_parsing.md"
	@echo "make test    - install, then check notebooks/package sync, run pytest and nbdev_test"
	@echo "make data    - write a small synthetic set to data/synth and reports/figures/synth_grid.png"
	@echo "make report  - fusion ablation (CPU recipe, 4 fusions x 3 seeds; GAN arm none/dual x 3 seeds; trains only runs without a record in reports/runs/) + Table 1, Table 2, figures"
	@echo "make bench   - benchmarks -> reports/bench.json and reports/bench.md"
	@echo "make gpu-check - on a GPU: CUDA checks, GPU benchmarks, a short training run -> reports/gpu/<date>-<card>/ (~8 min; README: GPU check)"
	@echo "make demo    - serve the interactive demo on http://127.0.0.1:8866/ (shipped weights; no make train needed)"
	@echo "make demo-figure - the README's demo pictures: the demo in headless Chromium, shipped weights on liner_40 -> reports/figures/demo*.png"
	@echo "make skeleton - train the tiny line-art skeleton net on the synthetic set (CPU, minutes) -> runs/skeleton/last.pt"

install: $(STAMP)

$(STAMP): pyproject.toml settings.ini
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "python3 (colorseg)" >/dev/null
	touch $(STAMP)

# Fails when the notebooks (the source) and the exported package disagree, or when a notebook is not clean.
sync-check: install
	@before=$$(find colorseg nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/.ipynb_checkpoints/*' | sort | xargs sha1sum); \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean >/dev/null; \
	after=$$(find colorseg nbs -type f \( -name '*.py' -o -name '*.ipynb' \) -not -path '*/.ipynb_checkpoints/*' | sort | xargs sha1sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "ERROR: nbdev_export/nbdev_clean changed files: notebooks and package are out of sync."; \
	  diff <(echo "$$before") <(echo "$$after"); \
	  echo "Fix: edit the notebook, run 'nbdev_export && nbdev_clean', and commit both."; exit 1; \
	fi; echo "notebooks and package in sync"

pytest: install
	$(BIN)/python -m pytest -q tests

nbtest: install
	$(BIN)/nbdev_test --n_workers $(CI_JOBS) --timing

# headless Chromium + ChromeDriver for the browser test (Debian packages; needs root, as in CI)
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium present"; \
	else (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || { echo "ERROR: could not install chromium + chromium-driver (needs root and Debian's apt); the browser test needs them"; exit 1; }; fi

test: install browser-deps
	$(MAKE) sync-check
	$(MAKE) pytest
	$(MAKE) nbtest

data: install
	$(BIN)/colorseg synth --n 64 --size 256 --out data/synth --grid reports/figures/synth_grid.png

TRAIN_EPOCHS ?= 3

# the CPU recipe of nbs/10_train.ipynb (its parameter defaults) for TRAIN_EPOCHS x 250 steps; --log-output streams progress
train: install
	mkdir -p $(RUN) reports/figures
	CI=true $(BIN)/papermill nbs/10_train.ipynb $(RUN)/train.ipynb --log-output -p out_dir $(RUN) -p epochs $(TRAIN_EPOCHS)
	cp "$$(ls -d $(RUN)/samples/*.png | tail -n 1)" reports/figures/train_samples.png
	@echo "run folder: $(RUN) (checkpoint last.pt, samples/, loss_curves.png, learning_curve.png, summary.csv, test_metrics.json, train.ipynb)"; cat $(RUN)/summary.csv

# The shipped default weights, all trained on synthetic world 2 (WEIGHT_WORLD; nbs/02d_synth_world2.ipynb), seed 0, exported to
# fp16 beside their run record and held-out test metrics; weights/MANIFEST.json gets their sha256.
# parts: 256 px (real drawings' strands and eyes need it), batch 8, PARTS_EPOCHS x 250 steps, the real dev set scored every epoch;
# none / concat / dual: the CPU recipe at 128 px for WEIGHT_EPOCHS x 250 steps (at that budget they do not learn part tags: Table 1).
WEIGHT_FUSIONS ?= parts none concat dual
WEIGHT_EPOCHS ?= 4
WEIGHT_WORLD ?= synth2
PARTS_EPOCHS ?= 5
PARTS_ARGS ?= -p image_size 256 -p batch_size 8 -p n_train 2000 -p epochs $(PARTS_EPOCHS) -p cpu_bf16 False -p real_dev True
weights: install
	set -e; for f in $(WEIGHT_FUSIONS); do \
	  mkdir -p runs/weights/$$f; \
	  if [ $$f = parts ]; then args="$(PARTS_ARGS)"; else args="-p epochs $(WEIGHT_EPOCHS)"; fi; \
	  CI=true $(BIN)/papermill nbs/10_train.ipynb runs/weights/$$f/train.ipynb --log-output -p fusion $$f -p data $(WEIGHT_WORLD) $$args -p out_dir runs/weights/$$f; \
	  $(BIN)/colorseg export runs/weights/$$f/last.pt weights/colorizer-$$f.pt --metrics runs/weights/$$f/test_metrics.json; \
	done
	$(MAKE) skeleton-weights
	$(MAKE) weights-report
	$(MAKE) real-report
	$(MAKE) real-parsing
	$(MAKE) demo-figure

# The shipped skeleton nets (weights/skeleton-{lineart,color}.pt): tiny U-Nets, 128 px crops of the synthetic set,
# 1,500 steps at lr 1e-3 each; each run scores itself on DanbooRegion's X (never trained on) at the end of its notebook.
SKELETON_KINDS ?= lineart color
skeleton-weights: install
	set -e; for i in $(SKELETON_KINDS); do \
	  mkdir -p runs/weights/skeleton-$$i; \
	  CI=true $(BIN)/papermill nbs/13_train_skeleton.ipynb runs/weights/skeleton-$$i/train.ipynb --log-output -p input $$i \
	    -p image_size 128 -p load_size 160 -p n_train 2000 -p epochs 6 -p device cpu -p progress False -p out_dir runs/weights/skeleton-$$i; \
	  $(BIN)/colorseg export runs/weights/skeleton-$$i/last.pt weights/skeleton-$$i.pt --metrics runs/weights/skeleton-$$i/x_metrics.json; \
	done

# The shipped FID-cs feature net (weights/tagnet-color.pt): a colour tag net, 128 px, 512 synthetic drawings, 1,500 steps,
# seed 0 (~25 min on 1 core). Every study record names the net's sha256 prefix (feature_net); rebuilding it changes FID-cs,
# so the committed records' FID-cs values then no longer compare with new ones (rescore them: delete reports/runs/*/metrics.json).
feature-net-weights: install
	mkdir -p runs/weights/tagnet-color
	$(BIN)/colorseg fit --model tagnet -p input color -p image_size 128 -p n_train 512 -p n_val 16 -p max_steps 1500 \
	  -p batch_size 32 -p seed 0 -p device cpu -p progress False -p out_dir runs/weights/tagnet-color
	$(BIN)/python -c "import json, pandas as pd; r = pd.read_csv('runs/weights/tagnet-color/val.csv').iloc[-1].to_dict(); \
	  json.dump(dict(r, note='last validation row: 16 held-out drawings'), open('runs/weights/tagnet-color/val_metrics.json', 'w'), indent=2)"
	$(BIN)/colorseg export runs/weights/tagnet-color/last.pt weights/tagnet-color.pt --metrics runs/weights/tagnet-color/val_metrics.json

# held-out numbers (test[64:320]), learning curves and grids of the shipped weights -> reports/weights.md, reports/figures/weights_*.png
weights-report: install
	mkdir -p $(REPORT_NB) reports/figures
	CI=true $(BIN)/papermill nbs/33_weights_report.ipynb $(REPORT_NB)/33_weights_report.ipynb --cwd .

# the shipped colorizers on the real dev set (data/real/*.json, images from ../shared/data): model output and finished picture
# -> reports/real.md, reports/real.csv, reports/figures/real_grid_<fusion>.png (~15 min on 2 cores)
real-report: install
	mkdir -p $(REPORT_NB) reports/figures
	CI=true $(BIN)/papermill nbs/34_real_report.ipynb $(REPORT_NB)/34_real_report.ipynb --cwd . --log-output

# part maps of the part-routing weights against the dev set's part annotation -> reports/real_parsing.{md,csv},
# reports/figures/real_parsing.png (~1 min); REAL_PARSING='label=path,...' compares other part-routing checkpoints
REAL_PARSING ?=
real-parsing: install
	mkdir -p $(REPORT_NB) reports/figures
	CI=true $(BIN)/papermill nbs/36_real_parsing.ipynb $(REPORT_NB)/36_real_parsing.ipynb --cwd . -p checkpoints "$(REAL_PARSING)"

DEMO_PORT ?= 8866

# the interactive demo (nbs/41_demo.ipynb) as a local web app; columns: the shipped weights/colorizer-*.pt, each replaced by
# the newest runs/*/last.pt of its fusion, plus MUNIT runs; or only COLORSEG_DEMO_CKPTS='{"dual": "/abs/path/last.pt"}'
demo: install
	@echo "colorseg demo: open http://127.0.0.1:$(DEMO_PORT)/ (Ctrl-C stops it; shipped weights from weights/, plus any runs/*/last.pt)"
	$(BIN)/voila nbs/41_demo.ipynb --port=$(DEMO_PORT) --no-browser --Voila.ip=127.0.0.1

# the README's demo pictures, made in the page itself (tests/demo_page.py, the browser test's code): voila serves the demo
# with the shipped weights only, headless Chromium loads liner_40, picks its own colour tags and clicks Colorize ->
# reports/figures/demo.png (the page); then flat layers on and a click paints the skirt -> reports/figures/demo_layers.png.
# Fails if the page shows an error. make weights ends with it, so the pictures follow the weights (~1 min)
demo-figure: install browser-deps
	$(BIN)/python tests/demo_page.py --out reports/figures/demo.png --layers-out reports/figures/demo_layers.png

train-munit: install
	mkdir -p runs/munit
	CI=true $(BIN)/papermill nbs/12_train_munit.ipynb runs/munit/train.ipynb -p out_dir runs/munit -p fusion concat -p device cpu

skeleton: install
	mkdir -p runs/skeleton
	CI=true $(BIN)/papermill nbs/13_train_skeleton.ipynb runs/skeleton/train.ipynb -p out_dir runs/skeleton -p device cpu

lineart-net: install
	$(BIN)/colorseg lineart-net --out runs/lineart-net

SRC ?= data/danbooru/images
META ?= data/danbooru/metadata.jsonl
prepare: install
	$(BIN)/colorseg prepare $(SRC) data/prepared --meta $(META) --size 256 --workers $(CI_JOBS)

# Fusion ablation + reports, end to end on CPU: 11 (train + score the runs that have no record in reports/runs/: the CPU recipe,
# 4 fusions x 3 seeds x 1,000 steps, ~2.5 h on 2 cores; then MUNIT and MUNIT + Concat x 3 seeds, ~1.5 h) -> 30 (Table 1 from the records) -> 31 (Table 2) -> 32 (figures).
# Runs with a record are skipped, so with the committed records `make report` only rebuilds the reports. More: make report ABLATION="-p seeds 0,1,2,3,4"
ABLATION ?=
# MUNIT vs MUNIT + Concat with MUNIT's recipe (AblationConfig.munit_*), seeds 0-2 (the colorizer none-s* records are skipped)
ABLATION_MUNIT ?=
REPORT_NB := runs/report

report: install
	mkdir -p $(REPORT_NB) reports/figures
	CI=true $(BIN)/papermill nbs/11_ablation.ipynb $(REPORT_NB)/11_ablation.ipynb --cwd . $(ABLATION)
	CI=true $(BIN)/papermill nbs/11_ablation.ipynb $(REPORT_NB)/11_ablation_gan.ipynb --cwd . -p fusions "" -p gan none,dual -p seeds 0,1,2 -p cpu_bf16 False $(ABLATION_GAN)
	CI=true $(BIN)/papermill nbs/11_ablation.ipynb $(REPORT_NB)/11_ablation_munit.ipynb --cwd . -p fusions none -p munit none,concat -p seeds 0,1,2 $(ABLATION_MUNIT)
	CI=true $(BIN)/papermill nbs/30_results_table.ipynb $(REPORT_NB)/30_results_table.ipynb --cwd .
	CI=true $(BIN)/papermill nbs/31_user_study.ipynb $(REPORT_NB)/31_user_study.ipynb --cwd . -p study_dir study -p out_dir reports
	CI=true $(BIN)/papermill nbs/32_figures.ipynb $(REPORT_NB)/32_figures.ipynb --cwd .
	@echo "reports/: runs/ (records) ablation.csv table1.md table1.csv table1_paired.csv table2.md figures/; executed notebooks: $(REPORT_NB)/"

bench: install
	$(BIN)/python -m colorseg.bench --out reports/bench.json

# The GPU check (nbs/24_gpucheck.ipynb): CUDA checks, GPU benchmarks and a short training run in one call of about
# 8 minutes, into $(GPU_ROOT)/<date>-<card>/gpucheck.{json,md}. On a lent GPU machine nothing can be installed: use its
# own Python there, e.g. make gpu-check GPU_PYTHON=python3 GPU_ROOT=$OUT. Extra flags: GPU_CHECK="--skip train,evaluate".
GPU_PYTHON ?= $(BIN)/python
GPU_ROOT ?= reports/gpu
GPU_CHECK ?=
gpu-check: $(if $(filter $(BIN)/python,$(GPU_PYTHON)),install)
	$(GPU_PYTHON) -m colorseg.gpucheck --root $(GPU_ROOT) $(GPU_CHECK)

clean-runs:
	rm -rf runs
