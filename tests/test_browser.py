"""End to end in a real browser: voila serves nbs/41_demo.ipynb, headless Chromium (selenium) picks tags, clicks
Colorize and must see an output image; and the README's demo pictures are made as `make demo-figure` makes them (the
page driving is in tests/demo_page.py). Screenshots go to tests/artifacts/ (git-ignored)."""
import base64, io, json, os
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from demo_page import FIGURE_TAGS, RUN_S, SHIPPED, chrome, colorize_figure, have_browser, open_page, serve_demo, shipped_env, stop_server, text_has

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = pytest.mark.skipif(not have_browser(), reason="needs Debian's chromium + chromium-driver: run `make browser-deps`")


def _serve(env: dict, log: Path, request) -> tuple:
    try: proc, url = serve_demo(env, log)
    except RuntimeError as e: pytest.fail(str(e))
    request.addfinalizer(lambda: stop_server(proc))
    return url, log


@pytest.fixture
def demo_url(tiny_run, tmp_path, request):
    "voila serving the demo notebook with the tiny checkpoint, on a free local port; stopped in a finalizer."
    return _serve({**os.environ, "COLORSEG_DEMO_CKPTS": json.dumps({"dual": str(tiny_run / "last.pt")})}, tmp_path / "voila.log", request)


@pytest.fixture
def shipped_demo_url(tmp_path, request):
    "voila serving the demo with only the shipped weights (what `make demo-figure` serves)."
    (tmp_path / "runs").mkdir()
    return _serve(shipped_env(tmp_path / "runs"), tmp_path / "voila.log", request)


@pytest.fixture
def browser(tmp_path, request):
    driver = chrome(tmp_path / "chrome-profile")
    request.addfinalizer(driver.quit)
    return driver


def test_demo_in_a_browser(demo_url, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from selenium.webdriver.common.action_chains import ActionChains
    decode = lambda href: np.asarray(Image.open(io.BytesIO(base64.b64decode(href.split("base64,", 1)[1]))).convert("RGB"))
    url, log = demo_url
    ARTIFACTS.mkdir(exist_ok=True)
    css = lambda sel: browser.find_element(By.CSS_SELECTOR, sel)
    try:
        button = open_page(browser, url)  # the kernel loaded a sample
        wait = WebDriverWait(browser, RUN_S)
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


def test_demo_figure(shipped_demo_url, browser):
    "The README's demo pictures (`make demo-figure`): the shipped weights on liner_40 with its own colour tags, then flat layers."
    url, log = shipped_demo_url
    ARTIFACTS.mkdir(exist_ok=True)
    out, layers = ARTIFACTS / "demo-figure.png", ARTIFACTS / "demo-figure-layers.png"
    try: caps = colorize_figure(browser, url, out, layers)
    except Exception:
        browser.save_screenshot(str(ARTIFACTS / "demo-figure-failure.png"))
        print(f"voila log:\n{log.read_text()}\nscreenshot: {ARTIFACTS / 'demo-figure-failure.png'}")
        raise
    assert list(caps) == list(SHIPPED), caps
    assert all(f"tags: {FIGURE_TAGS}" in cap and "line-art regions" in cap for cap in caps.values()), caps
    page, cols = np.asarray(Image.open(out)), np.asarray(Image.open(layers))
    assert page.shape[1] == 1680 and page.shape[0] > 900 and cols.shape[1] > 4 * 224, (page.shape, cols.shape)
    assert (np.abs(cols.astype(int) - (0xd0, 0x4a, 0x8b)).sum(-1) < 30).sum() > 1000  # the painted region
