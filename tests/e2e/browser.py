"""Debian's headless chromium driven by selenium (through /usr/bin/chromedriver; both installed
by `make bootstrap`, no browser is downloaded), for the tests of the platform's web pages: the
builds console, the analytics dashboard. What the browser saw last is kept under
var/test-reports/ for a failure; the tests save their own screenshots there too."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.harness import ROOT

REPORTS = ROOT / "var" / "test-reports"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
)


@contextmanager
def chromium(name: str) -> Iterator[WebDriver]:
    """A headless chromium; on the way out ``<name>-last.png`` and ``.html`` keep its last page."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(path), f"{path} is missing: make bootstrap installs chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        REPORTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(REPORTS / f"{name}-last.png"))
        (REPORTS / f"{name}-last.html").write_text(driver.page_source)
        driver.quit()


def waiting(driver: WebDriver, timeout: float = 30) -> WebDriverWait:
    return WebDriverWait(driver, timeout, poll_frequency=0.2)


def open_signed_in(driver: WebDriver, url: str, *, email: str, password: str) -> None:
    """Open ``url`` (a page of a web area, full URL) signed out: the area sends the browser to
    its login page (servicekit.websession's form); sign in there and wait to be back at ``url``."""
    driver.get(url)
    wait = waiting(driver)
    wait.until(lambda d: "/login/?next=" in d.current_url)
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(lambda d: d.current_url == url)


def save_screenshot(driver: WebDriver, name: str, *, whole_page: bool = False) -> None:
    """``var/test-reports/<name>``: the window, or the whole page (the window is made as tall)."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    if whole_page:  # twice: the page may lay itself out taller in the taller window
        for _ in range(2):
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(driver.get_window_size()["width"], height + 150)
    assert driver.save_screenshot(str(REPORTS / name))
