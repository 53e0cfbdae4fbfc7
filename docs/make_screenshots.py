"""Make the screenshots of docs/looking-at-results.md: each view of `mlxp ui` on the reading example's sweep.

Usage: python docs/make_screenshots.py
Run by hand after a change to the web app (the tests never write into docs/). It runs
``examples/reading/train.py`` with a 24-point sweep in a temporary directory, serves its logs
with ``mlxp ui``'s server and drives headless Chromium (Debian's ``chromium`` and
``chromium-driver``, and the ``selenium`` dev extra) through the views, writing
``docs/images/ui-*.png``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import start_browser, wait_for  # noqa: E402

IMAGES = ROOT / "docs" / "images"
SWEEP = ["optimizer.lr=0.001,0.01,0.1,1.", "model.num_units=32,128", "seed=0,1,2"]


def run_sweep(workdir: Path) -> Path:
    """The logs of the reading example's sweep, run in ``workdir``."""
    example = workdir / "reading"
    shutil.copytree(ROOT / "examples" / "reading", example)
    # The lr=1 points fail on purpose, so the sweep exits 1; the runs are what matters.
    subprocess.run([sys.executable, "train.py", *SWEEP], cwd=example, capture_output=True,
                   check=False, timeout=600)
    return example / "logs"


class Shooter:
    """The browser on one server: open a view, wait for it, save it."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url

    def find(self, selector: str) -> Any:
        return self.driver.find_element("css selector", selector)

    def until(self, condition: Callable[[], Any], what: str) -> None:
        wait_for(self.driver, lambda _: condition(), what)

    def open(self, fragment: str) -> None:
        self.driver.get("about:blank")
        self.driver.get(self.url + "#" + fragment)

    def chart_ready(self, selector: str) -> None:
        self.until(lambda: self.find("#chart").get_attribute("data-state") == "ready"
                   and self.driver.find_elements("css selector", "#chart svg " + selector),
                   selector)

    def save(self, name: str) -> None:
        path = IMAGES / f"ui-{name}.png"
        self.driver.save_screenshot(str(path))
        print(f"wrote {path.relative_to(ROOT)}")


def shoot(shooter: Shooter) -> None:
    shooter.open("view=table")
    shooter.until(lambda: shooter.find("#row-count").get_attribute("data-count") == "24", "the table")
    shooter.save("table")

    query = "config.optimizer.lr <= 0.1 & info.status == 'COMPLET"
    shooter.open("view=table&where=" + query.replace(" ", "%20").replace("&", "%26"))
    shooter.until(lambda: shooter.find("#filter-error").is_displayed(), "the query's error")
    shooter.save("filter-error")

    shooter.open("view=compare&runs=1,4,7,10,13,16&smooth=0.3")
    shooter.chart_ready("path.series")
    shooter.save("compare")

    shooter.open("view=group&where=info.status%20%3D%3D%20'COMPLETE'"
                 "&by=optimizer.lr,model.num_units&band=std")
    shooter.chart_ready("path.band")
    shooter.save("group")

    shooter.open("view=run&run=8")
    shooter.until(lambda: shooter.driver.find_elements("css selector", "#run-metrics path.series"),
                  "the run's curves")
    shooter.save("run")


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    from mlxp.ui.server import start_in_thread

    with tempfile.TemporaryDirectory() as workdir:
        logdir = run_sweep(Path(workdir))
        # Served from beside it, the page names it "logs", as a user's would, not a temp path.
        os.chdir(logdir.parent)
        url, stop = start_in_thread("logs")
        driver = start_browser(Path(workdir))
        driver.set_window_size(1280, 900)
        try:
            shoot(Shooter(driver, url))
        finally:
            driver.quit()
            stop()
            os.chdir(ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
