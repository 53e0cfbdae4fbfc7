"""A headless Chromium driven by selenium, for the tests of ``mlxp ui``'s web app.

CI installs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` dev extra. Without
one of them a test skips, saying what to install; with ``MLXP_REQUIRE_BROWSER=1`` (set by CI) it
fails instead, so CI cannot pass by skipping. Selenium is given the driver's path, so it never
tries to download a browser or a driver of its own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, NoReturn

import pytest

INSTALL_HINT = "apt-get install chromium chromium-driver && pip install -e '.[dev]'"
WAIT_SECONDS = 30


def unavailable(problem: str) -> NoReturn:
    """Skip the test for ``problem``, or fail it when CI asked for a browser."""
    if os.environ.get("MLXP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MLXP_REQUIRE_BROWSER=1 but {problem}", pytrace=False)
    pytest.skip(f"{problem}; install with: {INSTALL_HINT}")


def _which(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    unavailable(f"no {' or '.join(names)} on PATH")


def start_browser(download_dir: Path) -> Any:
    """A headless Chromium whose downloads land in ``download_dir``; the caller quits it."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed")
    chromium = _which("chromium", "chromium-browser")
    driver_path = _which("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "profile.default_content_setting_values.automatic_downloads": 1,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    except WebDriverException as error:
        unavailable(f"chromium does not start under chromedriver: {error.msg}")
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


def wait_for(driver: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """What ``condition(driver)`` returns once truthy; fails naming ``what`` after a while."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    waiter = WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=[StaleElementReferenceException])
    return waiter.until(condition, message=f"waited {WAIT_SECONDS} s for {what}")


def wait_for_file(driver: Any, directory: Path, name: str) -> Path:
    """The downloaded file ``directory/name`` once the browser has finished writing it."""
    path = directory / name
    wait_for(driver, lambda _: path.exists() and path.stat().st_size > 0
             and not (directory / (name + ".crdownload")).exists(), f"the download {name}")
    return path


def script_errors(driver: Any) -> list:
    """The page's script errors since the last call (an API's 400 for a bad query is none)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and entry.get("source") != "network"]
