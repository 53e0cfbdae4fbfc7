"""Benchmark ``mlxp ui`` in a real browser: the table of 10,000 runs, and 100 runs overlaid.

    python bench/bench_ui_browser.py [--dir ~/.cache/mlxp-bench/runs10k] [--runs 10000]
                                     [--repeats 5] [--overlaid 100] [--static DIR]

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` dev extra. Uses
bench_reader.py's generated runs (100 epochs of ``train.loss`` each); the index and the
summary caches are made once before anything is timed. Times are taken inside the page with
``performance.now()``, so neither WebDriver's round trips nor a polling loop are counted; "shown"
is after the next frame (a ``requestAnimationFrame`` callback, then a task), i.e. painted.

(a) the runs table: from navigation start to its rows shown, on a NEW server each time (its
    first /api/runs, index and caches on disk), and on a server that answered before (from
    memory). Split with the Resource Timing of /api/runs: page and scripts, the request's wait
    for the server's first byte, the transfer, then parsing and building the rows. Floor: a
    new server's first /api/runs read by urllib alone (target < 1.5 s);
(b) overlaying 100 runs: from the click on "Compare 100" (the runs of a filter, all selected)
    to the 100 curves shown, and opening the compare view's shared URL on a new server. Floor:
    the same answers (/api/series, /api/diff, and /api/runs for the URL) read by urllib;
(c) the table of every run: a click on a column's header (sort 10,000 runs), a scroll to the
    middle and back to the top, "select all matched" and back, until the run in view or the
    selection's count changed and is shown;
(d) interactivity with the 100 curves: an event dispatched on the chart (hover, the EMA
    slider, log scale, a drag to zoom, a double-click to zoom out) until its redraw is shown;
    the event handler's own time is printed too. Target ~100 ms each;
(e) sorting 10,000 varied texts with ``localeCompare`` and options (a collator made at each
    comparison, as the table once did) and with one ``Intl.Collator`` (as it does now).

``--static DIR`` serves another copy of the front-end (e.g. an older commit's ``mlxp/ui/static``
from ``git archive``), to compare two front-ends on the same server and machine.

The machine is noisy: the load is printed first; compare medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Tuple

from bench_reader import DEFAULT_DIR, ensure_runs
from bench_ui import api, fetch

from mlxp.ui.server import start_in_thread

# Run in every new document before its own scripts: notes when the table first has rows (it
# gets all the rows it builds at once) and when that frame is painted.
WATCH_TABLE = """
window.mlxpBench = {};
window.mlxpBench.shown = new Promise((resolve) => {
  const observer = new MutationObserver(() => {
    if (!document.querySelector('#runs-table tr.run-row')) return;
    observer.disconnect();
    window.mlxpBench.rows = performance.now();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now())));
  });
  observer.observe(document, { childList: true, subtree: true });
});
"""
# Resolves with the timeline of the table's page load, in ms from navigation start.
TABLE_TIMELINE = """
const done = arguments[arguments.length - 1];
window.mlxpBench.shown.then((shown) => {
  const runs = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/runs'));
  const nav = performance.getEntriesByType('navigation')[0];
  done({ shown, rows: window.mlxpBench.rows, dom_ready: nav.domContentLoadedEventEnd,
    request: runs.requestStart, first_byte: runs.responseStart, response_end: runs.responseEnd,
    bytes: runs.encodedBodySize, origin: performance.timeOrigin,
    row_count: document.querySelectorAll('#runs-table tr.run-row').length,
    total: Number(document.querySelector('#row-count').getAttribute('data-count')) });
});
"""
# The in-page helpers of (b), (c) and (d): `until(test)` resolves once test() holds after a DOM
# change, `painted()` after the next frame, `timed(act, test)` times act() until test() holds and
# is shown, `curves(count)` tests for `count` curves drawn.
HELPERS = """
window.mlxpTime = {
  until(test) {
    return new Promise((resolve) => {
      if (test()) { resolve(); return; }
      const observer = new MutationObserver(() => {
        if (test()) { observer.disconnect(); resolve(); }
      });
      observer.observe(document.body, { childList: true, subtree: true, attributes: true });
    });
  },
  painted() { return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve))); },
  curves(count) {
    return () => document.querySelector('#chart').getAttribute('data-state') === 'ready'
      && document.querySelectorAll('#chart path.series').length === count;
  },
  async timed(act, test) {
    const start = performance.now();
    act();
    const handler = performance.now() - start;
    await this.until(test);
    await this.painted();
    return { handler, shown: performance.now() - start };
  },
};
"""
COMPARE_CLICK = """
const [count, done] = [arguments[0], arguments[arguments.length - 1]];
document.querySelector('#select-all').click();
const button = document.querySelector('#compare-button');
if (button.textContent !== 'Compare ' + count) throw new Error('selected: ' + button.textContent);
mlxpTime.timed(() => button.click(), mlxpTime.curves(count)).then(done);
"""
COMPARE_OPENED = """
const [count, done] = [arguments[0], arguments[arguments.length - 1]];
mlxpTime.until(mlxpTime.curves(count)).then(() => mlxpTime.painted())
  .then(() => done(performance.now()));
"""
# One interaction of (d), given as `kind` and a position 0..1 across the plot; the check that
# its redraw happened differs per kind.
INTERACTION = """
const [kind, where, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const overlay = () => document.querySelector('#chart rect.overlay');
const box = overlay().getBoundingClientRect();
const at = (f) => ({ bubbles: true, clientX: box.left + f * box.width,
  clientY: box.top + box.height / 2 });
const mouse = (type, f) => overlay().dispatchEvent(new MouseEvent(type, at(f)));
const ticks = () => Array.from(document.querySelectorAll('#chart .axes text'))
  .map((t) => t.textContent).join('|');
const tip = document.querySelector('.chart-tooltip');
const before = { tip: tip && !tip.hidden ? tip.textContent : '', ticks: ticks(),
  raw: document.querySelectorAll('#chart path.raw').length };
const log = document.querySelector('#log-scale');
const smooth = document.querySelector('#smooth');
const actions = {
  hover: [() => mouse('mousemove', where),
          () => !tip.hidden && tip.textContent !== before.tip],
  smooth: [() => { smooth.value = before.raw ? '0' : '0.6';
                   smooth.dispatchEvent(new Event('input')); },
           () => document.querySelectorAll('#chart path.raw').length !== before.raw],
  log: [() => log.click(), () => ticks() !== before.ticks],
  zoom: [() => { mouse('mousedown', where); mouse('mousemove', where + 0.3);
                 mouse('mouseup', where + 0.3); },
         () => ticks() !== before.ticks],
  unzoom: [() => mouse('dblclick', where), () => ticks() !== before.ticks],
};
mlxpTime.timed(...actions[kind]).then(done);
"""
INTERACTIONS = ["hover", "smooth", "log", "zoom", "unzoom"]
# One action on the table of every run (c): a sort (the column given), a scroll by `where` of the
# table's height, (un)selecting all; its check is the run in view or the selection's count.
TABLE_ACTION = """
const [kind, where, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const box = document.querySelector('.table-wrap');
const inView = () => {  // the run whose row is at the middle of the box
  const area = box.getBoundingClientRect();
  const row = document.elementFromPoint(area.left + 60, area.top + area.height / 2)
    .closest('tr.run-row');
  return row && row.getAttribute('data-id');
};
const count = () => document.querySelector('#selection-count').textContent;
const before = { row: inView(), count: count() };
const actions = {
  sort: [() => document.querySelector('#runs-table th[data-column="' + where + '"]').click(),
         () => inView() !== before.row],
  scroll: [() => { box.scrollTop = where * box.scrollHeight; },
           () => inView() && inView() !== before.row],
  select: [() => document.querySelector('#select-all').click(), () => count() !== before.count],
};
mlxpTime.timed(...actions[kind]).then(done);
"""
# (c)'s actions in turn, each changing the run in view or the selection (every run is
# COMPLETE: sorting by status keeps the order of ids, comparing texts).
TABLE_ACTIONS = [("sort by seed", "sort", "c:seed"), ("sort by id", "sort", "id"),
                 ("sort by id, descending", "sort", "id"), ("sort by status", "sort", "status"),
                 ("scroll to the middle", "scroll", 0.5), ("scroll to the top", "scroll", 0),
                 ("select all", "select", 0), ("unselect all", "select", 0)]
# (e): sorting 10,000 varied texts the way the table once did and the way it does now.
TEXT_SORTS = """
const texts = Array.from({ length: 10000 },
  (_, i) => 'node-' + ((i * 7919) % 10000) + (i % 3 ? 'a' : 'b'));
const collator = new Intl.Collator(undefined, { numeric: true });
const time = (compare) => { const start = performance.now(); texts.slice().sort(compare);
  return performance.now() - start; };
return [time((a, b) => a.localeCompare(b, undefined, { numeric: true })),
        time((a, b) => collator.compare(a, b))];
"""
SERVER_OPTIONS: Dict[str, Any] = {}  # --static: the front-end served instead of mlxp's own


def start_chromium() -> Any:
    """A headless Chromium under chromedriver, the same way tests/browser.py starts it."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise SystemExit("bench_ui_browser.py needs selenium: pip install -e '.[dev]'")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        raise SystemExit("bench_ui_browser.py needs: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(120)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_TABLE})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HELPERS})
    return driver


def settle() -> None:
    """Wait for the servers' background reads of the runs table (mlxp.ui.runs_table): they go
    on after a request (or a server) is done, and would slow the next measurement."""
    for thread in threading.enumerate():
        if thread.name == "mlxp-ui-runs":
            thread.join()


def with_new_server(parent: str, work: Callable[[str], Any]) -> Any:
    """What ``work(url)`` returns, run against a server started for it and stopped after."""
    url, stop = start_in_thread(parent, **SERVER_OPTIONS)
    try:
        return work(url)
    finally:
        stop()
        settle()


def urllib_seconds(parent: str, paths: List[str], before: Tuple[str, ...] = ()) -> float:
    """Seconds to read the whole answers of ``paths`` in turn, from a new server's start or,
    when it is given, from the end of the (untimed) answers of ``before``."""
    start = time.perf_counter()

    def read(url: str) -> float:
        for path in before:
            fetch(api(url, path))
        begin = time.perf_counter() if before else start
        for path in paths:
            fetch(api(url, path))
        return time.perf_counter() - begin

    return with_new_server(parent, read)


def open_table(driver: Any, url: str, fragment: str = "") -> Dict[str, float]:
    """The timeline (ms from navigation start) of opening the app on its runs table."""
    driver.get("about:blank")
    driver.get(url + fragment)
    return driver.execute_async_script(TABLE_TIMELINE)


def median(samples: List[Dict[str, float]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def table(driver: Any, parent: str, repeats: int) -> None:
    """(a): the runs table, new server each time and then a warm one, against the urllib floor."""
    floors: List[float] = []
    timelines: List[Dict[str, float]] = []
    for _ in range(repeats):  # in turns, so that a change of the machine's load hits both
        floors.append(urllib_seconds(parent, ["runs"]) * 1000)
        started = time.time() * 1000
        timeline = with_new_server(parent, lambda url: open_table(driver, url))
        timeline["from_start"] = timeline["origin"] + timeline["shown"] - started
        timelines.append(timeline)

    def warm_server(url: str) -> List[Dict[str, float]]:
        fetch(api(url, "runs"))
        return [open_table(driver, url) for _ in range(repeats)]

    warm = with_new_server(parent, warm_server)
    floor = statistics.median(floors)
    first = timelines[0]
    print(f"(a) the runs table of {loaded(first)} ms from navigation start, median of {repeats}"
          f" (floor: a new server's whole first /api/runs read by urllib, {floor:.0f} ms)")
    steps = [("page and scripts loaded (DOMContentLoaded)", "dom_ready"),
             ("/api/runs asked", "request"), ("its first byte", "first_byte"),
             ("its last byte", "response_end"), ("rows built", "rows"),
             ("table shown (painted)", "shown")]
    print(f"    {'':<44} {'new server':>11} {'warm server':>12}")
    for name, key in steps:
        print(f"    {name:<44} {median(timelines, key):11.0f} {median(warm, key):12.0f}")
    for label, samples in (("new server", timelines), ("warm server", warm)):
        shown = median(samples, "shown")
        server = statistics.median(s["response_end"] - s["request"] for s in samples)
        print(f"    {label}: table shown {shown:.0f} ms = {shown / floor:.2f}x floor"
              f" (target < 1500); /api/runs in the browser, asked to last byte: {server:.0f} ms"
              f" = {server / shown:.0%}")
    start = median(timelines, "from_start")
    print(f"    new server, from its start (the server reads the table as it starts, the page"
          f" loads meanwhile): {start:.0f} ms = {start / floor:.2f}x floor")


def loaded(timeline: Dict[str, float]) -> str:
    """"10,000 runs (5.0 MB of /api/runs; 72 rows built)": what a table timeline loaded."""
    return (f"{timeline['total']:,} runs ({timeline['bytes'] / 1e6:.1f} MB of /api/runs;"
            f" {timeline['row_count']} rows built),")


def overlay(driver: Any, parent: str, count: int, repeats: int) -> str:
    """(b): ``count`` runs overlaid; returns the URL fragment of that compare view."""
    ids = ",".join(str(i) for i in range(1, count + 1))
    where = f"info.logger.log_id <= {count}"
    asked = [f"series?runs={ids}&log=train&y=loss&x=step&width=1334", f"diff?runs={ids}"]
    click_floors: List[float] = []
    url_floors: List[float] = []
    clicks: List[Dict[str, float]] = []
    opened: List[float] = []
    fragment = "#view=compare&runs=" + ids.replace(",", "%2C") + "&metric=train.loss"

    def click(url: str) -> None:
        open_table(driver, url, "#where=" + urllib.parse.quote(where))
        settle()  # the server's read of the whole table, begun as it started
        clicks.append(driver.execute_async_script(COMPARE_CLICK, count))

    def open_shared(url: str) -> None:
        driver.get("about:blank")
        driver.get(url + fragment)
        opened.append(driver.execute_async_script(COMPARE_OPENED, count))

    for _ in range(repeats):
        filtered = f"runs?where={urllib.parse.quote(where)}"
        click_floors.append(urllib_seconds(parent, asked, (filtered,)) * 1000)
        url_floors.append(urllib_seconds(parent, ["runs"] + asked) * 1000)
        with_new_server(parent, click)
        with_new_server(parent, open_shared)
    print(f"(b) overlaying {count} runs (100 points each), ms, median of {repeats}:")
    for label, floors, samples in (
            (f"click on 'Compare {count}' (filter '{where}', select all)", click_floors,
             [c["shown"] for c in clicks]),
            ("the compare view's shared URL, from navigation start", url_floors, opened)):
        shown, floor_ms = statistics.median(samples), statistics.median(floors)
        print(f"    {label}: curves shown {shown:7.0f} = {shown / floor_ms:.2f}x floor"
              f" ({floor_ms:.0f}: urllib, same new server and answers)")
    print(f"    (the click's own handler: {median(clicks, 'handler'):.1f} ms)")
    return fragment


def table_actions(driver: Any, url: str, repeats: int) -> None:
    """(c): sorting, scrolling and selecting in the table of every run, ``repeats`` times."""
    open_table(driver, url)
    results: Dict[str, List[Tuple[float, float]]] = {label: [] for label, _, _ in TABLE_ACTIONS}
    for _ in range(repeats):
        for label, kind, where in TABLE_ACTIONS:
            result = driver.execute_async_script(TABLE_ACTION, kind, where)
            results[label].append((result["handler"], result["shown"]))
    print(f"(c) the table of every run: action to its rows shown (handler's own time), ms,"
          f" median of {repeats}:")
    for label, samples in results.items():
        handler = statistics.median(h for h, _ in samples)
        shown = statistics.median(s for _, s in samples)
        print(f"    {label:<24} {shown:7.1f}  ({handler:.1f})")


def interactions(driver: Any, url: str, fragment: str, count: int, repeats: int) -> None:
    """(d): each interaction with the ``count`` curves, ``repeats`` times at spread positions."""
    driver.get("about:blank")
    driver.get(url + fragment)
    driver.execute_async_script(COMPARE_OPENED, count)
    results: Dict[str, List[Tuple[float, float]]] = {kind: [] for kind in INTERACTIONS}
    for turn in range(repeats):
        where = 0.1 + 0.6 * turn / max(1, repeats - 1)
        for kind in INTERACTIONS:
            result = driver.execute_async_script(INTERACTION, kind, where)
            results[kind].append((result["handler"], result["shown"]))
        driver.execute_async_script(INTERACTION, "log", 0.5)  # back to a linear scale...
        driver.execute_async_script(INTERACTION, "smooth", 0.5)  # ...and to no smoothing
    print(f"(d) with {count} curves: event to its redraw shown (handler's own time), ms,"
          f" median of {repeats} (target ~100):")
    for kind in INTERACTIONS:
        handler = statistics.median(h for h, _ in results[kind])
        shown = statistics.median(s for _, s in results[kind])
        print(f"    {kind:<8} {shown:7.1f}  ({handler:.1f})")


def text_sorts(driver: Any, repeats: int) -> None:
    """(e): one collator per comparison (``localeCompare`` with options) against one in all."""
    samples = [driver.execute_script(TEXT_SORTS) for _ in range(repeats)]
    each = statistics.median(s[0] for s in samples)
    once = statistics.median(s[1] for s in samples)
    print(f"(e) sorting 10,000 varied texts: localeCompare with options {each:.0f} ms,"
          f" one Intl.Collator {once:.0f} ms ({each / once:.0f}x), median of {repeats}")


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dir", default=DEFAULT_DIR, help="where the generated runs are kept")
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--overlaid", type=int, default=100, help="runs in the compare view")
    parser.add_argument("--static", help="serve this copy of mlxp/ui/static instead (e.g. an"
                        " older version's, exported with git archive), to compare front-ends")
    args = parser.parse_args(argv)
    if args.static:
        SERVER_OPTIONS["static_dir"] = os.path.abspath(args.static)
    parent = os.path.abspath(args.dir)
    ensure_runs(parent, args.runs)
    with_new_server(parent, lambda url: fetch(api(url, "runs")))  # the index and caches, on disk
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    # A SIGTERM ends the run through `finally`, which quits the browser and its driver.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    driver = start_chromium()
    try:
        with_new_server(parent, lambda url: open_table(driver, url))  # a first, untimed start
        table(driver, parent, args.repeats)
        fragment = overlay(driver, parent, args.overlaid, args.repeats)
        with_new_server(parent, lambda url: table_actions(driver, url, args.repeats))
        with_new_server(parent, lambda url: interactions(driver, url, fragment, args.overlaid,
                                                         args.repeats * 3))
        text_sorts(driver, args.repeats)
    finally:
        driver.quit()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
