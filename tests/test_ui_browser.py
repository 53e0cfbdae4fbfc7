"""``mlxp ui``'s web app in a real browser (headless Chromium), on a sweep run for the purpose.

The sweep (runs 1-7): lr 0.1 and 0.01 times seed 1 and 2 (runs 1-4), a run with an image
artifact (5), a FAILED run (6), and a run whose config value is markup that would run script
if the page ever parsed run data as HTML (7); and, for the long table, 1,500 runs written as
files. Every test opens the page as a user would, acts, and waits explicitly for what it
checks; each view's screenshot goes to the test's tmp_path.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import urllib.parse
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import yaml

from mlxp._process import process_start_time
from tests.browser import script_errors, start_browser, wait_for, wait_for_file
from tests.projects import make_project, run_main
from tests.reader.runs import make_run

TASK = """
import mlxp


@mlxp.launch(config_path="./configs")
def train(ctx: mlxp.Context) -> None:
    config = ctx.config
    for epoch in range(config.num_epoch):
        loss = 0.05 + (1 + config.seed / 10) * config.optimizer.lr ** 0.5 * 0.8 ** epoch
        ctx.logger.log_metrics({"epoch": epoch, "loss": loss})
    if config.image:
        from PIL import Image
        ctx.logger.log_artifacts(Image.new("RGB", (24, 16), (200, 30, 30)), "preview", "image")
        ctx.logger.log_artifacts({"best": "<b>bold?</b>"}, "summary", "json")
    if config.fail:
        raise ValueError("this run fails on purpose")


if __name__ == "__main__":
    train()
"""
CONFIG = """
seed: 1
num_epoch: 8
optimizer:
  lr: 0.1
note: plain
image: false
fail: false
"""
# Markup that, parsed as HTML, would set the title and a window flag.
MARKUP = '<img src=x onerror=window.mlxpXss=1><script>document.title="pwned"</script>'
SWEEP: List[Tuple[str, ...]] = [
    ("optimizer.lr=0.1,0.01", "seed=1,2"),
    ("image=true", "optimizer.lr=0.001"),
    ("fail=true", "optimizer.lr=0.001", "seed=2"),
    (f"note='{MARKUP}'",),
]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("sweep"), main=TASK, config=CONFIG)
    for arguments in SWEEP:
        result = run_main(project, *arguments)
        assert result.returncode == (1 if "fail=true" in arguments else 0), result.stderr
    return project / "logs"


MANY_RUNS = 1500  # more than the table used to build at once (1,000 rows, then "Show more")


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log directory of MANY_RUNS small runs, written as files (a sweep would take minutes)."""
    parent = tmp_path_factory.mktemp("many")
    for log_id in range(1, MANY_RUNS + 1):
        make_run(str(parent), log_id, config={"seed": log_id},
                 metrics={"train": [{"epoch": 0, "loss": 1.0 / log_id}]})
    return parent


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[Any]:
    driver = start_browser(downloads)
    yield driver
    driver.quit()


def serve(logdir: Path) -> Tuple[str, Any]:
    from mlxp.ui.server import start_in_thread

    return start_in_thread(str(logdir))


@pytest.fixture(scope="module")
def ui(logdir: Path, browser: Any) -> Iterator[str]:
    url, stop = serve(logdir)
    yield url
    stop()


@pytest.fixture()
def page(browser: Any, ui: str) -> Iterator["Page"]:
    yield Page(browser, ui)
    assert script_errors(browser) == []


class Page:
    """The browser on the app of one server: open a view, find elements, wait."""

    def __init__(self, driver: Any, url: str) -> None:
        self.driver = driver
        self.url = url

    def open(self, fragment: str = "") -> "Page":
        # A fresh load each time (a change of hash alone would keep the page's state).
        self.driver.get("about:blank")
        self.driver.get(self.url + ("#" + fragment if fragment else ""))
        return self

    def find(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str) -> List[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition: Any, what: str) -> Any:
        return wait_for(self.driver, lambda _: condition(), what)

    def visible(self, selector: str, what: str) -> Any:
        """The element ``selector`` once it shows."""
        return self.wait(lambda: self.find(selector).is_displayed() and self.find(selector), what)

    def wait_rows(self, count: int) -> List[Any]:
        """The table's rows once the filter's answer shows ``count`` runs."""
        self.wait(lambda: self.find("#row-count").get_attribute("data-count") == str(count)
                  and len(self.find_all("tr.run-row")) == count, f"{count} rows in the runs table")
        return self.find_all("tr.run-row")

    def curves(self, selector: str, count: int) -> List[Any]:
        """The chart's paths matching ``selector`` once there are ``count``, each drawn."""
        self.wait(lambda: self.find("#chart").get_attribute("data-state") == "ready"
                  and len(self.find_all("#chart svg " + selector)) == count,
                  f"{count} {selector} in the chart")
        paths = self.find_all("#chart svg " + selector)
        assert all(path.get_attribute("d").startswith("M") for path in paths)
        return paths

    def type_into(self, selector: str, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.find(selector)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(text, Keys.ENTER)

    def choose(self, selector: str, value: str) -> None:
        from selenium.webdriver.support.select import Select

        Select(self.find(selector)).select_by_value(value)

    def actions(self) -> Any:
        from selenium.webdriver.common.action_chains import ActionChains

        return ActionChains(self.driver)

    def screenshot(self, path: Path) -> None:
        assert self.driver.save_screenshot(str(path)), path


def test_table_lists_the_runs_with_status_counts_and_a_query_narrows_it(
        page: Page, tmp_path: Path) -> None:
    rows = page.open().wait_rows(7)
    assert [row.get_attribute("data-id") for row in rows] == [str(i) for i in range(1, 8)]
    counts = {item.get_attribute("data-status"): item.text.split()[-1]
              for item in page.find_all("#status-counts .status-count")}
    assert counts == {"COMPLETE": "6", "FAILED": "1"}
    failed = page.find('tr.run-row[data-id="6"] .status')
    assert failed.text == "FAILED" and "status-FAILED" in failed.get_attribute("class")
    page.screenshot(tmp_path / "table.png")

    page.type_into("#filter", "config.optimizer.lr == 0.1")
    rows = page.wait_rows(3)
    assert [row.get_attribute("data-id") for row in rows] == ["1", "2", "7"]
    assert "where=config.optimizer.lr" in page.driver.current_url  # the URL keeps the filter
    page.screenshot(tmp_path / "table-filtered.png")


def test_a_bad_query_shows_the_error_with_a_caret_under_the_fault(page: Page, tmp_path: Path) -> None:
    page.open().wait_rows(7)
    query = "config.seed == 1 & & config.seed == 2"
    page.type_into("#filter", query)
    box = page.visible("#filter-error", "the query's error")
    column = int(box.get_attribute("data-column"))
    assert column == query.index("& &") + 2
    echo, caret = page.find("#filter-error .caret").text.split("\n")
    assert echo == query and caret == " " * column + "^"
    assert page.find("#filter-error .message").text
    page.screenshot(tmp_path / "filter-error.png")

    page.type_into("#filter", "config.seed == 2")
    page.wait_rows(3)
    assert not page.find("#filter-error").is_displayed()

    # A shared URL with a bad query opens on every run, under the error.
    page.open("where=" + urllib.parse.quote(query))
    page.wait_rows(7)
    assert page.find("#filter-error").get_attribute("data-column") == str(column)


def test_comparing_selected_runs_draws_one_curve_per_run(
        page: Page, downloads: Path, tmp_path: Path) -> None:
    page.open().wait_rows(7)
    for log_id in ("1", "3", "5"):
        page.find(f'tr.run-row[data-id="{log_id}"] input.select-run').click()
    page.find("#compare-button").click()
    curves = page.curves("path.series", 3)
    assert sorted(curve.get_attribute("data-run") for curve in curves) == ["1", "3", "5"]
    diff_rows = page.find_all("#diff-table tbody tr")
    assert [row.get_attribute("data-id") for row in diff_rows] == ["1", "3", "5"]
    assert [th.text for th in page.find_all("#diff-table thead th")] == ["run", "image", "optimizer.lr"]
    page.screenshot(tmp_path / "compare.png")

    # Smoothing and log scale redraw the same curves; the URL reproduces the view.
    page.driver.execute_script("const s = document.querySelector('#smooth'); s.value = '0.6';"
                               " s.dispatchEvent(new Event('input'));")
    page.find("#log-scale").click()
    page.curves("path.raw", 3)
    page.choose("#x-select", "epoch")
    page.wait(lambda: "x=epoch" in page.driver.current_url, "the x key in the URL")
    page.curves("path.series", 3)
    assert "epoch" in [t.text for t in page.find_all("#chart svg .axes text")]
    shared = page.driver.current_url
    assert "runs=1%2C3%2C5" in shared and "smooth=0.6" in shared and "log=1" in shared
    page.driver.get("about:blank")
    page.driver.get(shared)
    page.curves("path.series", 3)
    assert page.find("#log-scale").is_selected()

    # Drag over the chart to zoom in on x; a double-click zooms out again.
    ticks = lambda: [t.text for t in page.find_all("#chart svg .axes text")]  # noqa: E731
    before = ticks()
    overlay = page.find("#chart svg rect.overlay")
    width = overlay.size["width"]
    page.actions().move_to_element_with_offset(overlay, -width // 4, 0).click_and_hold() \
        .move_by_offset(width // 4, 0).release().perform()
    page.wait(lambda: ticks() != before, "the zoomed-in axes")
    page.actions().double_click(page.find("#chart svg rect.overlay")).perform()
    page.wait(lambda: ticks() == before, "the axes zoomed out")

    page.find("#export-svg").click()
    exported = ElementTree.parse(wait_for_file(page.driver, downloads, "compare-train.loss.svg"))
    paths = exported.getroot().iter("{http://www.w3.org/2000/svg}path")
    assert sorted(p.get("data-run") for p in paths if p.get("class") == "series") == ["1", "3", "5"]
    page.find("#export-png").click()
    png = wait_for_file(page.driver, downloads, "compare-train.loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_grouping_by_a_key_draws_one_band_and_mean_per_group(page: Page, tmp_path: Path) -> None:
    page.open().wait_rows(7)
    page.find("#group-button").click()
    page.type_into("#group-by", "optimizer.lr")
    bands = page.curves("path.band", 3)
    means = page.curves("path.mean", 3)
    labels = ["optimizer.lr=0.1", "optimizer.lr=0.01", "optimizer.lr=0.001"]
    assert sorted(band.get_attribute("data-group") for band in bands) == sorted(labels)
    assert sorted(mean.get_attribute("data-group") for mean in means) == sorted(labels)
    legend = [text.text for text in page.find_all("#chart svg .legend text")]
    assert "optimizer.lr=0.1 (3 runs)" in legend
    assert "by=optimizer.lr" in page.driver.current_url
    # Hovering shows each group's mean, band and how many runs it has there.
    page.actions().move_to_element(page.find("#chart svg rect.overlay")).perform()
    tooltip = page.visible(".chart-tooltip", "the hover values")
    assert "optimizer.lr=0.1 (3 runs): " in tooltip.text and ", 3 runs" in tooltip.text
    page.screenshot(tmp_path / "group.png")

    page.choose("#band", "std")
    page.wait(lambda: "band=std" in page.driver.current_url, "the band in the URL")
    page.curves("path.band", 3)


def test_run_page_shows_the_image_artifact_and_every_metric(page: Page, tmp_path: Path) -> None:
    page.open("view=run&run=5")
    image = page.wait(lambda: page.find_all("#run-artifacts img") and page.find("#run-artifacts img"),
                      "the image artifact")
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    page.wait(lambda: page.driver.execute_script(loaded, image), "the image to load")
    assert page.driver.execute_script("return arguments[0].naturalWidth", image) == 24
    page.wait(lambda: len(page.find_all("#run-metrics path.series")) == 2,
              "the curves of train.epoch and train.loss")
    summary = page.wait(lambda: [pre for pre in page.find_all('#run-artifacts [data-kind="json"] pre')
                                 if "<b>bold?</b>" in pre.text], "the JSON artifact shown as text")
    assert page.find_all("#run-artifacts b") == [] and len(summary) == 1
    config = dict(row.text.split(" ", 1) for row in page.find_all("#run-config tr"))
    assert config["optimizer.lr"] == "0.001" and config["image"] == "true"
    assert "image=true" in page.find("#run-command").text
    page.screenshot(tmp_path / "run.png")


def test_failed_run_page_shows_the_error(page: Page, tmp_path: Path) -> None:
    page.open("view=run&run=6")
    error = page.visible("#run-error", "the error")
    assert "this run fails on purpose" in error.text
    page.screenshot(tmp_path / "run-failed.png")


def test_markup_in_a_config_value_shows_as_text_and_never_runs(page: Page, tmp_path: Path) -> None:
    page.open().wait_rows(7)
    note = page.find('tr.run-row[data-id="7"]').find_elements("css selector", "td")
    assert MARKUP in [cell.get_attribute("textContent") for cell in note]
    page.open("view=run&run=7")
    page.wait(lambda: MARKUP in page.find("#run-config").get_attribute("textContent"),
              "the run's config")
    page.screenshot(tmp_path / "run-markup.png")
    assert page.find_all("img[src='x']") == []
    assert page.driver.execute_script("return window.mlxpXss") is None
    assert "pwned" not in page.driver.title


def test_table_exports_as_csv_with_every_matched_run(page: Page, downloads: Path) -> None:
    page.open().wait_rows(7)
    page.find("#export-csv").click()
    saved = wait_for_file(page.driver, downloads, "runs.csv")
    with open(saved, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["id"] for row in rows] == [str(i) for i in range(1, 8)]
    assert rows[6]["note"] == MARKUP
    assert rows[5]["status"] == "FAILED"
    assert float(rows[0]["train.loss last"]) < float(rows[0]["train.loss max"])


def test_column_chooser_and_sorting(page: Page) -> None:
    page.open().wait_rows(7)
    headers = lambda: [th.text for th in page.find_all("#runs-table thead th")]  # noqa: E731
    assert "num_epoch" not in headers() and "seed" in headers()  # only the keys that vary
    page.find("#columns-button").click()
    page.find('#columns-panel input[data-column="c:num_epoch"]').click()
    page.wait(lambda: "num_epoch" in headers(), "the chosen column")
    page.find('#runs-table th[data-column="c:seed"]').click()
    page.find('#runs-table th[data-column="c:seed"]').click()  # twice: descending
    page.wait(lambda: "sort=c%3Aseed" in page.driver.current_url
              and "desc=1" in page.driver.current_url, "the sort in the URL")
    order = [row.get_attribute("data-id") for row in page.find_all("tr.run-row")]
    assert order[:2] == ["2", "4"]  # seed 2 first (then id order), the seed-1 runs after


@pytest.fixture()
def live_run(logdir: Path, tmp_path: Path) -> Path:
    """A copy of run 1 marked RUNNING, alone in its log directory, with 2 lines of metrics.

    Its process is this test's own, alive, so the run is not taken as LOST.
    """
    copy = tmp_path / "live-logs" / "1"
    shutil.copytree(logdir / "1", copy)
    info_file = copy / "metadata" / "info.yaml"
    info = yaml.safe_load(info_file.read_text())
    info.update(status="RUNNING", process_id=os.getpid(),
                process_start_time=process_start_time(os.getpid()))
    info_file.write_text(yaml.safe_dump(info, sort_keys=False))
    metrics = copy / "metrics" / "train.json"
    metrics.write_text("".join(metrics.read_text().splitlines(keepends=True)[:2]))
    return copy


def test_a_running_run_page_follows_its_metrics_and_a_cut_back_file(
        browser: Any, live_run: Path, tmp_path: Path) -> None:
    url, stop = serve(live_run.parent)
    try:
        page = Page(browser, url).open("view=run&run=1")
        points = lambda: page.driver.execute_script(  # noqa: E731
            "const p = document.querySelector('[data-metric=\"train.loss\"] path.series');"
            " return p ? (p.getAttribute('d').match(/[ML]/g) || []).length : -1;")
        page.wait(lambda: points() == 2, "the 2 logged points")
        metrics = live_run / "metrics" / "train.json"
        with open(metrics, "a", encoding="utf-8") as stream:
            for epoch in range(2, 6):
                stream.write(json.dumps({"epoch": epoch, "loss": 1.0 / (epoch + 1)}) + "\n")
            stream.write('{"epoch": 6, "lo')  # a line being written: never shown
        page.wait(lambda: points() == 6, "the 4 appended points")
        page.screenshot(tmp_path / "run-live.png")
        # A resume cuts the file back to its first line: the page starts over.
        metrics.write_text("".join(json.dumps({"epoch": epoch, "loss": loss}) + "\n"
                                   for epoch, loss in enumerate([0.5, 0.25, 0.2])))
        page.wait(lambda: points() == 3, "the 3 points of the cut-back file")
        assert script_errors(browser) == []
    finally:
        stop()


def row_at(page: Page, height: float) -> Any:
    """The data-id of the runs table's row shown at ``height`` (0 top, 1 bottom) of its scroll
    box, or None where no run's row is (an unbuilt gap)."""
    return page.driver.execute_script(
        "const wrap = document.querySelector('.table-wrap'), box = wrap.getBoundingClientRect();"
        " const y = box.top + wrap.clientTop + 40 + arguments[0] * (wrap.clientHeight - 43);"
        " const row = document.elementFromPoint(box.left + 60, y).closest('tr.run-row');"
        " return row ? row.getAttribute('data-id') : null;", height)


def test_a_long_table_builds_the_rows_in_view_and_scrolls_through_every_run(
        browser: Any, many_runs: Path, tmp_path: Path) -> None:
    url, stop = serve(many_runs)
    try:
        page = Page(browser, url).open()
        page.wait(lambda: page.find("#row-count").get_attribute("data-count") == str(MANY_RUNS)
                  and page.find_all("tr.run-row"), "the table's first rows")
        assert len(page.find_all("tr.run-row")) < 200  # built: those in view and a margin
        assert row_at(page, 0) == "1"
        page.find('tr.run-row[data-id="2"] input.select-run').click()
        scroll = ("const box = document.querySelector('.table-wrap');"
                  " box.scrollTop = arguments[0] * box.scrollHeight;")
        # Anywhere in the table, the rows in view are built, in order, down to the last run.
        page.driver.execute_script(scroll, 0.5)
        middle = page.wait(lambda: row_at(page, 0.5), "the rows in the middle of the table")
        assert abs(int(middle) - MANY_RUNS // 2) < 100
        assert int(row_at(page, 0)) < int(middle) < int(row_at(page, 1))
        page.driver.execute_script(scroll, 1)
        page.wait(lambda: row_at(page, 1) == str(MANY_RUNS), "the last run's row at the bottom")
        assert page.find_all("#show-more") == []
        page.screenshot(tmp_path / "long-table-bottom.png")
        # A selection outlives its row's rebuilding; a sort orders every run, not the built ones.
        page.driver.execute_script(scroll, 0)
        page.wait(lambda: row_at(page, 0) == "1", "the first run's row at the top")
        assert page.find('tr.run-row[data-id="2"] input.select-run').is_selected()
        assert page.find("#selection-count").text == "1 selected"
        page.find('#runs-table th[data-column="id"]').click()
        page.find('#runs-table th[data-column="id"]').click()  # twice: descending
        page.wait(lambda: row_at(page, 0) == str(MANY_RUNS), "the last run first")
        assert script_errors(browser) == []
    finally:
        stop()
