"""End to end in a real browser: Voila serves an explorer, headless Chromium moves a slider.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/ensure_chromium.sh``; set
``SLT_SIM_CHROMIUM`` to use another binary), driven by Playwright without any browser download.
Screenshots are kept under ``test-artifacts/browser/``. The slow gallery test screenshots every
explorer notebook; with ``SLT_SIM_UPDATE_GALLERY=1`` it also writes ``docs/gallery/*.png``.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPLORERS = sorted((ROOT / "tutorials" / "explorers").glob("*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
GALLERY = ROOT / "docs" / "gallery"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    for path in (os.environ.get("SLT_SIM_CHROMIUM"), "/usr/bin/chromium",
                 shutil.which("chromium")):
        if path and os.access(path, os.X_OK):
            return path
    pytest.skip("no Chromium found at /usr/bin/chromium or on PATH: run "
                "scripts/ensure_chromium.sh (Debian: apt-get install chromium) or set "
                "SLT_SIM_CHROMIUM")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with status {proc.returncode} before serving")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"voila did not open port {port} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM lets Voila shut its kernels down; its process group is killed if it hangs."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@contextlib.contextmanager
def serve_voila(notebook: Path, workdir: Path):
    """Serve ``notebook`` with Voila on a free localhost port; yields its URL."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env["JUPYTER_DATA_DIR"] = str(workdir / "jupyter-data")
    env["JUPYTER_RUNTIME_DIR"] = str(workdir / "jupyter-runtime")
    env.pop("MPLBACKEND", None)
    env.setdefault("JAX_COMPILATION_CACHE_DIR", str(
        os.environ.get("SLT_SIM_JAX_CACHE", Path.home() / ".cache" / "slt_sim" / "jax")))
    port = _free_port()
    log_path = workdir / f"voila-{notebook.stem}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1", "--show_tracebacks=True"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for_port(port, proc, timeout=60)
            yield f"http://127.0.0.1:{port}/"
        finally:
            _stop(proc)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(log_path, ARTIFACTS / log_path.name)


@contextlib.contextmanager
def chromium_page(workdir: Path):
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(workdir / "chromium-profile"), executable_path=chromium, headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1200, "height": 1000})
        try:
            yield context.new_page()
        finally:
            context.close()


def _open_explorer(page, url: str) -> float:
    start = time.monotonic()
    page.goto(url, timeout=180_000)
    page.locator("img.slt-figure").first.wait_for(state="visible", timeout=180_000)
    page.wait_for_function(
        "() => document.querySelector('.slt-status').innerText.trim().length > 0",
        timeout=120_000)
    return time.monotonic() - start


@pytest.mark.browser
def test_voila_phase_explorer_slider_changes_figure(tmp_path):
    notebook = ROOT / "tutorials" / "explorers" / "phase_explorer.ipynb"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(tmp_path) as page, serve_voila(notebook, tmp_path) as url:
        loaded = _open_explorer(page, url)
        figure = page.locator("img.slt-figure")
        src_before = figure.get_attribute("src")
        status_before = page.locator(".slt-status").inner_text()
        readout_before = page.locator(".slt-control-n .widget-readout").inner_text()
        png_before = figure.screenshot(path=str(ARTIFACTS / "phase_explorer_before.png"))
        page.screenshot(path=str(ARTIFACTS / "page_before.png"), full_page=True)

        handle = page.locator(".slt-control-n .noUi-handle")
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 20, y, steps=4)
        page.mouse.move(x + 40, y, steps=4)
        page.mouse.up()
        moved = time.monotonic()
        page.wait_for_function(
            "s => document.querySelector('img.slt-figure').getAttribute('src') !== s",
            arg=src_before, timeout=60_000)
        page.wait_for_function("s => document.querySelector('.slt-status').innerText !== s",
                               arg=status_before, timeout=30_000)
        answered = time.monotonic() - moved
        readout_after = page.locator(".slt-control-n .widget-readout").inner_text()
        status_after = page.locator(".slt-status").inner_text()
        png_after = figure.screenshot(path=str(ARTIFACTS / "phase_explorer_after.png"))
        page.screenshot(path=str(ARTIFACTS / "page_after.png"), full_page=True)
    print(f"\npage ready in {loaded:.1f} s; slider n {readout_before} → {readout_after}; "
          f"figure redrawn {answered:.2f} s after the drag\n  before: {status_before}\n"
          f"  after:  {status_after}")
    assert readout_after != readout_before
    assert status_after != status_before
    assert png_after != png_before
    # the drag crosses the critical n ≈ 10,500 of two_basins_1d: the posterior jumps basins
    assert _mass(status_before, "wide") > 0.9
    assert _mass(status_after, "narrow") > 0.999


def _mass(status: str, region: str) -> float:
    """The posterior mass of ``region`` in the explorer's status line."""
    return float(re.search(rf"{region}: ([0-9.]+)", status).group(1))


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("notebook", EXPLORERS, ids=[p.stem for p in EXPLORERS])
def test_gallery_screenshot(notebook, tmp_path):
    """Screenshot each explorer as served by Voila (the README gallery)."""
    out = ARTIFACTS / "gallery"
    out.mkdir(parents=True, exist_ok=True)
    with chromium_page(tmp_path) as page, serve_voila(notebook, tmp_path) as url:
        loaded = _open_explorer(page, url)
        shot = out / f"{notebook.stem}.png"
        page.locator(".slt-explorer").first.screenshot(path=str(shot))
        status = page.locator(".slt-status").inner_text()
    print(f"\n{notebook.stem}: ready in {loaded:.1f} s; {status}")
    assert "Error" not in status
    if os.environ.get("SLT_SIM_UPDATE_GALLERY") == "1":
        GALLERY.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, GALLERY / shot.name)
