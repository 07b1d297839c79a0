"""Serve the demo (nbs/41_demo.ipynb) with voila and drive it in headless Chromium (selenium): the browser test
(tests/test_browser.py) and the README's demo picture (`make demo-figure`) share this code.

    python tests/demo_page.py --out reports/figures/demo.png --layers-out reports/figures/demo_layers.png

serves the demo with the shipped weights only (weights/; the runs folder is an empty one), loads the real drawing
liner_40, sets its own colour tags, clicks Colorize and saves the page (and, with --layers-out, the output columns
with flat layers on). Anything wrong on the page (a failed column, a traceback, a missing weight) is an error."""
from __future__ import annotations
import argparse, contextlib, os, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
START_S, PAGE_S, RUN_S = 90, 240, 240  # generous: on 2 busy cores voila's kernel alone can take 20+ s to import torch
SHIPPED = ("parts", "none", "concat", "dual")  # the columns the shipped weights give, in the page's order
FIGURE_SOURCE = "Tag2pix liner_40 (real)"  # the drawing of the README's picture
FIGURE_PICKS = {"hair": "light brown", "eyes": "green", "upper-garment": "black shirt", "lower-garment-dress": "black skirt",
                "background": "white"}  # picker (its CSS class suffix) -> option: liner_40's own colour tags
FIGURE_TAGS = "light_brown_hair green_eyes black_shirt black_skirt white_background"  # what those picks make
FIGURE_WINDOW = (1680, 1000)  # wide enough for four output columns in one row
PAINT_AT = (0.44, 0.82)  # (x, y) as fractions of the image: liner_40's skirt, one line-art region (the model does not move it)


def have_browser() -> bool: return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def stop_server(proc: subprocess.Popen):
    "Stop voila by its process group; then any kernel it started that outlived it (kernels get their own session)."
    import psutil
    try: kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess: kids = []
    try: os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError: pass
    try: proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL); proc.wait(10)
    for k in kids:
        try: k.wait(10)
        except psutil.TimeoutExpired: k.kill()
        except psutil.NoSuchProcess: pass


def serve_demo(env: dict, log: Path) -> tuple[subprocess.Popen, str]:
    "voila serving the demo notebook on a free local port with `env`; returns (process, url) once it answers."
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "voila", "nbs/41_demo.ipynb", f"--port={port}", "--no-browser",
                                 "--Voila.ip=127.0.0.1"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + START_S
    while True:  # a static file: every GET of / would start a kernel
        if proc.poll() is not None: raise RuntimeError(f"voila exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "voila/static/voila.js", timeout=5) as r:
                if r.status == 200: return proc, url
        except OSError: pass
        if time.monotonic() > deadline:
            stop_server(proc); raise RuntimeError(f"voila did not answer within {START_S} s:\n{log.read_text()}")
        time.sleep(0.5)


def shipped_env(runs_dir: Path) -> dict:
    "The environment of a demo that shows only the shipped weights: no $COLORSEG_DEMO_CKPTS, runs found in an empty folder."
    env = {k: v for k, v in os.environ.items() if k not in ("COLORSEG_DEMO_CKPTS", "COLORSEG_WEIGHTS")}
    return {**env, "COLORSEG_RUNS_DIR": str(runs_dir)}


def chrome(profile: Path, window: tuple = (1500, 1250)):
    "Headless Chromium (Debian's chromium + chromedriver) with its own profile folder."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    if not have_browser(): raise RuntimeError(f"needs {CHROMIUM} and {CHROMEDRIVER}: run `make browser-deps`")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
              "--force-device-scale-factor=1", "--hide-scrollbars", f"--window-size={window[0]},{window[1]}"]:
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(PAGE_S)
    return driver


def save_png(driver, out: Path, box: tuple | None = None):
    "A screenshot of the window (or of `box`, CSS px (left, top, right, bottom)), written atomically (temp + rename)."
    import io
    from PIL import Image
    img = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    if box is not None:
        s = driver.execute_script("return window.devicePixelRatio") or 1
        img = img.crop(tuple(round(v * s) for v in box))
    out = Path(out); out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    img.save(tmp, format="PNG", optimize=True); os.replace(tmp, out)
    return img


def open_page(driver, url: str, loaded: str = "line art: synth"):
    "Load the page and wait for its Colorize button and the first line art ('line art: synth' in the status line)."
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(url)
    button = WebDriverWait(driver, PAGE_S).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.colorseg-colorize")))
    WebDriverWait(driver, RUN_S).until(text_has(".colorseg-status", loaded))
    return button


def text_has(sel: str, s: str):
    "A wait condition: the element `sel` shows `s`."
    from selenium.webdriver.common.by import By
    return lambda d: s in d.find_element(By.CSS_SELECTOR, sel).text


def page_error(driver) -> str | None:
    "What is wrong on the page: a traceback, an error in the status line or in a column; None if nothing."
    from selenium.webdriver.common.by import By
    body = driver.find_element(By.TAG_NAME, "body").text
    if "Traceback" in body: return f"the page shows a traceback:\n{body}"
    errs = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".colorseg-error")]
    errs += [c.text for c in driver.find_elements(By.CSS_SELECTOR, "[class*='colorseg-caption-']") if "\u26a0" in c.text]
    return "\n".join(errs) or None


def fit_page(driver):
    "Make the window as tall as the page, so that a screenshot holds all of it; scroll to the top."
    need, inner = driver.execute_script(  # voila's page scrolls inside a container: measure the widgets, not the document
        "const b = Array.from(document.querySelectorAll('.widget-box, .jp-RenderedMarkdown')).map(e => e.getBoundingClientRect().bottom);"
        "return [Math.ceil(Math.max(document.documentElement.scrollHeight, ...b) + 24), window.innerHeight]")
    if need > inner:
        size = driver.get_window_size(); driver.set_window_size(size["width"], size["height"] + need - inner)
    driver.execute_script("window.scrollTo(0, 0)")


def colorize_figure(driver, url: str, out: Path, layers_out: Path | None = None,
                    source: str = FIGURE_SOURCE, picks: dict = FIGURE_PICKS, tags: str = FIGURE_TAGS,
                    columns: tuple = SHIPPED, window: tuple = FIGURE_WINDOW,
                    paint_column: str = "parts", paint_at: tuple = PAINT_AT) -> dict:
    """The README's demo pictures: `source` with the colour `picks`, Colorize, every column in `columns` from weights/;
    the whole page saved to `out`; then (with `layers_out`) flat layers on, a click at `paint_at` (fractions of the
    image) paints that region of `paint_column`, and the output columns are saved. Returns {column: caption}."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    css = lambda sel: driver.find_element(By.CSS_SELECTOR, sel)
    driver.set_window_size(*window)
    button = open_page(driver, url)
    wait = WebDriverWait(driver, RUN_S)
    Select(css(".colorseg-source select")).select_by_visible_text(source)
    wait.until(text_has(".colorseg-status", f"line art: {source}"))
    for part, option in picks.items(): Select(css(f".colorseg-part-{part} select")).select_by_visible_text(option)
    wait.until(lambda d: css(".colorseg-tags").text.split(":", 1)[-1].split() == tags.split())  # the kernel has the picks
    shown = [c.get_attribute("class").split("colorseg-output-")[1].split()[0]
             for c in driver.find_elements(By.CSS_SELECTOR, "img.colorseg-output")]
    if tuple(shown) != tuple(columns): raise RuntimeError(f"the page shows the columns {shown}, not {list(columns)}")
    for c in columns:
        title = css(f".colorseg-caption-{c}").find_element(By.XPATH, "../*[1]").text
        if f"weights/colorizer-{c}.pt" not in title:
            raise RuntimeError(f"column {c} is {title!r}, not the shipped weights/colorizer-{c}.pt")
    button.click()
    wait.until(lambda d: "done" in css(".colorseg-status").text or page_error(d))
    if err := page_error(driver): raise RuntimeError(f"the demo failed on {source}: {err}")
    wait.until(lambda d: d.execute_script(
        "const i = Array.from(document.querySelectorAll('img.colorseg-output'));"
        "return i.length > 0 && i.every(i => i.complete && i.naturalWidth > 0 && i.offsetWidth > 0)"))
    caps = {c: css(f".colorseg-caption-{c}").text for c in columns}
    for c, cap in caps.items():
        if f"tags: {tags}" not in cap: raise RuntimeError(f"column {c} says {cap!r}, not the tags {tags!r}")
    fit_page(driver)
    save_png(driver, out)
    if layers_out is not None:
        css("button.colorseg-show-layers").click()
        wait.until(lambda d: all("line-art regions" in css(f".colorseg-caption-{c}").text for c in columns))
        img = css(f"img.colorseg-output-{paint_column}"); before = img.get_attribute("src")
        ActionChains(driver).move_to_element_with_offset(  # selenium 4: offsets from the element's centre
            img, round((paint_at[0] - 0.5) * img.size["width"]), round((paint_at[1] - 0.5) * img.size["height"])).click().perform()
        wait.until(lambda d: "painted region" in css(".colorseg-status").text or page_error(d))
        wait.until(lambda d: img.get_attribute("src") != before and d.execute_script(
            "return Array.from(document.querySelectorAll('img.colorseg-output')).every(i => i.complete && i.naturalWidth > 0)"))
        if err := page_error(driver): raise RuntimeError(f"the flat layers failed on {source}: {err}")
        caps = {c: css(f".colorseg-caption-{c}").text for c in columns}
        box = driver.execute_script(  # the right side of the page: the buttons row down to the last download link
            "const e = [document.querySelector('button.colorseg-colorize'), ...document.querySelectorAll("
            "'img.colorseg-output, [class*=\"colorseg-caption-\"], a.colorseg-download')].map(e => e.getBoundingClientRect());"
            "return [Math.min(...e.map(r => r.left)) - 8, Math.min(...e.map(r => r.top)) - 8,"
            "        Math.max(...e.map(r => r.right)) + 8, Math.max(...e.map(r => r.bottom)) + 8]")
        save_png(driver, layers_out, tuple(box))
    return caps


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="reports/figures/demo.png", help="the page after Colorize")
    p.add_argument("--layers-out", default=None, help="also: the output columns with flat layers on")
    a = p.parse_args(argv)
    out, layers_out = Path(a.out).resolve(), a.layers_out and Path(a.layers_out).resolve()
    with tempfile.TemporaryDirectory(prefix="colorseg-demo-figure-") as tmp:
        tmp = Path(tmp); (tmp / "runs").mkdir()
        proc, url = serve_demo(shipped_env(tmp / "runs"), tmp / "voila.log")
        try:
            driver = chrome(tmp / "chrome-profile")
            try: caps = colorize_figure(driver, url, out, layers_out)
            except Exception:
                shot = ROOT / "tests" / "artifacts" / "demo-figure-failure.png"
                with contextlib.suppress(Exception): save_png(driver, shot)
                print(f"voila log:\n{(tmp / 'voila.log').read_text()}\nscreenshot: {shot}", file=sys.stderr); raise
            finally: driver.quit()
        finally: stop_server(proc)
    print(f"{out}" + (f", {layers_out}" if layers_out else "") + f": {FIGURE_SOURCE}, tags {FIGURE_TAGS}")
    for c, cap in caps.items(): print(f"  {c}: {cap}")


if __name__ == "__main__":
    main()
