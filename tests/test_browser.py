"""End to end in a real browser: voila serves nbs/41_demo.ipynb, headless Chromium (selenium) picks tags, clicks
Colorize and must see an output image. Screenshots go to tests/artifacts/ (git-ignored)."""
import base64, io, json, os, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
START_S, PAGE_S, RUN_S = 90, 240, 240  # generous: on 2 busy cores voila's kernel alone can take 20+ s to import torch

pytestmark = pytest.mark.skipif(not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
                                reason="needs Debian's chromium + chromium-driver: run `make browser-deps`")


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


@pytest.fixture
def demo_url(root, tiny_run, tmp_path, request):
    "voila serving the demo notebook with the tiny checkpoint, on a free local port; stopped in a finalizer."
    port, log = free_port(), tmp_path / "voila.log"
    env = {**os.environ, "COLORSEG_DEMO_CKPTS": json.dumps({"dual": str(tiny_run / "last.pt")})}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "voila", "nbs/41_demo.ipynb", f"--port={port}", "--no-browser",
                                 "--Voila.ip=127.0.0.1"], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    request.addfinalizer(lambda: stop_server(proc))
    url, deadline = f"http://127.0.0.1:{port}/", time.monotonic() + START_S
    while True:  # a static file: every GET of / would start a kernel
        if proc.poll() is not None: pytest.fail(f"voila exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "voila/static/voila.js", timeout=5) as r:
                if r.status == 200: break
        except OSError: pass
        if time.monotonic() > deadline: pytest.fail(f"voila did not answer within {START_S} s:\n{log.read_text()}")
        time.sleep(0.5)
    return url, log


@pytest.fixture
def browser(tmp_path, request):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome-profile'}",
              "--window-size=1500,1250"]:
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    request.addfinalizer(driver.quit)
    driver.set_page_load_timeout(PAGE_S)
    return driver


def test_demo_in_a_browser(demo_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from selenium.webdriver.common.action_chains import ActionChains
    decode = lambda href: np.asarray(Image.open(io.BytesIO(base64.b64decode(href.split("base64,", 1)[1]))).convert("RGB"))
    url, log = demo_url
    ARTIFACTS.mkdir(exist_ok=True)
    css = lambda sel: browser.find_element(By.CSS_SELECTOR, sel)
    text_has = lambda sel, s: lambda d: s in d.find_element(By.CSS_SELECTOR, sel).text
    try:
        browser.get(url)
        button = WebDriverWait(browser, PAGE_S).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.colorseg-colorize")))
        wait = WebDriverWait(browser, RUN_S)
        wait.until(text_has(".colorseg-status", "line art: synth"))  # the kernel loaded a sample
        # colour pickers (one <select> each) and the searchable tag list
        Select(css(".colorseg-part-hair select")).select_by_visible_text("blue")
        Select(css(".colorseg-part-eyes select")).select_by_visible_text("red")
        Select(css(".colorseg-part-background select")).select_by_visible_text("pink")
        box = css(".colorseg-cit-filter input"); box.clear(); box.send_keys("ponytail")
        wait.until(lambda d: d.execute_script(  # the last keystroke's filter has arrived: every unchosen option matches
            "const o = Array.from(document.querySelectorAll('.colorseg-cit select option')).filter(o => !o.selected);"
            "return o.length > 1 && o.every(o => o.text.includes('ponytail'))"))
        Select(css(".colorseg-cit select")).select_by_visible_text("ponytail")
        for t in ("blue_hair", "red_eyes", "pink_background", "ponytail"):  # the kernel has the choices
            wait.until(text_has(".colorseg-tags", t))
        button.click()
        wait.until(text_has(".colorseg-status", "done"))
        status = css(".colorseg-status").text
        assert "failed" not in status, f"{status}\n{css('.colorseg-caption-dual').text}"
        wait.until(lambda d: d.execute_script(
            "const i = document.querySelector('img.colorseg-output-dual'); return i && i.complete && i.naturalWidth > 0 && i.offsetWidth > 0"))
        caption = css(".colorseg-caption-dual").text
        assert "blue_hair" in caption and "ponytail" in caption, caption
        out = decode(css("a.colorseg-download").get_attribute("href"))
        assert out.shape == (256, 256, 3) and out.std() > 1
        browser.save_screenshot(str(ARTIFACTS / "demo.png"))
        # overlays re-render in place
        css("button.colorseg-show-regions").click()
        wait.until(text_has(".colorseg-caption-dual", "regions"))
        browser.save_screenshot(str(ARTIFACTS / "demo-regions.png"))
        css("button.colorseg-show-regions").click()
        # flat layers: four downloads; a click on the image paints the region under it (ipyevents)
        css("button.colorseg-show-layers").click()
        wait.until(text_has(".colorseg-caption-dual", "line-art regions"))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "a.colorseg-download")) == 4)
        img = css("img.colorseg-output-dual")
        ActionChains(browser).move_to_element_with_offset(img, -img.size["width"] // 2 + 6, -img.size["height"] // 2 + 6).click().perform()
        wait.until(text_has(".colorseg-status", "painted region"))
        wait.until(lambda d: any((decode(a.get_attribute("href")) == (0xd0, 0x4a, 0x8b)).all(-1).sum() > 100
                                 for a in d.find_elements(By.CSS_SELECTOR, "a.colorseg-download") if a.get_attribute("download").endswith("-flat.png")))
        browser.save_screenshot(str(ARTIFACTS / "demo-layers.png"))
        assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    except Exception:
        browser.save_screenshot(str(ARTIFACTS / "demo-failure.png"))
        print(f"voila log:\n{log.read_text()}\nscreenshot: {ARTIFACTS / 'demo-failure.png'}")
        raise
