"""Screenshot dashboard pages in Debian's Chromium (for looking at the UI while developing).

    .venv/bin/python tools/screenshot.py [--port 8599] [--out test-artifacts/shots] PATH [PATH ...]

PATH is a URL path with its query, e.g. "engagement?lang=en&pages=all". Starts
`streamlit run app.py` on the port (demo data unless PANCAKE_* is set), waits for it,
screenshots each path full-page, then stops the server by its own pid.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8599)
    ap.add_argument("--out", default="test-artifacts/shots")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=2600, help="viewport height: Streamlit scrolls inside the page, so a tall viewport is the full page")
    ap.add_argument("--wait", type=float, default=6.0, help="seconds to let charts render")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    out = ROOT / a.out
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(a.port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{a.port}/_stcore/health")
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": a.width, "height": a.height})
            for path in a.paths:
                page.goto(f"http://127.0.0.1:{a.port}/{path.lstrip('/')}")
                page.wait_for_selector("[data-testid='stApp']", timeout=30000)
                time.sleep(a.wait)
                name = (path.strip("/").split("?")[0] or "overview").replace("/", "_")
                suffix = "_en" if "lang=en" in path else ""
                target = out / f"{name}{suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
