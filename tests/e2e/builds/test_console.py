"""The console in a real browser: Debian's headless chromium signs in through identity, opens a
build and sees its job's log lines arrive; a screenshot is kept under var/test-reports/."""

from __future__ import annotations

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.builds.support import REPORTS, builds_shell
from tests.e2e.shopping import ADMIN_PASSWORD, wait_for

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

SEED = """
import json
from builds.builds.creators import Actor
from builds.builds.services import build_create
from builds.jobs.models import Job, JobKind, JobStatus
from builds.jobs.services import job_log
from builds.repos.services import repository_create
repository = repository_create(name="console-e2e", title="Console e2e")
build = build_create(repository=repository, actor=Actor(name="e2e"), app_id="org.example.Console")
job = Job.objects.create(kind=JobKind.COMMIT, status=JobStatus.STARTED, build_id=build.id)
job_log(job_id=job.id, text="Importing app/org.example.Console/x86_64/stable")
print(json.dumps({"build": build.id, "job": job.id}))
"""


@pytest.fixture
def browser():
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
        driver.save_screenshot(str(REPORTS / "builds-console-last.png"))  # what it saw last, for a failure
        (REPORTS / "builds-console-last.html").write_text(driver.page_source)
        driver.quit()


def test_a_staff_member_signs_in_opens_a_build_and_watches_its_log(builds_platform, builds_admin, browser):
    seeded = builds_shell(builds_platform, SEED)
    build_id, job_id = seeded["build"], seeded["job"]

    browser.get(builds_platform.url(f"/builds/{build_id}/"))
    wait = WebDriverWait(browser, 30, poll_frequency=0.2)
    wait.until(lambda driver: "/builds/login/" in driver.current_url)
    browser.find_element(By.ID, "email").send_keys(builds_admin.email)
    browser.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
    wait.until(lambda driver: driver.current_url == builds_platform.url(f"/builds/{build_id}/"))

    log = browser.find_element(By.CSS_SELECTOR, f"[data-testid=job-{job_id}] pre.job-log")
    assert "Importing app/org.example.Console/x86_64/stable" in log.text
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=staff-actions]").is_displayed()
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    assert cookies["builds_console_access"]["httpOnly"]
    assert browser.execute_script("return document.cookie").find("builds_console") == -1

    builds_shell(
        builds_platform,
        "import json\nfrom builds.jobs.services import job_log\n"
        f"job_log(job_id={job_id}, text='Writing objects: 1 of 2')\n"
        f"job_log(job_id={job_id}, text='Writing objects: 2 of 2')\nprint(json.dumps(1))",
    )
    wait.until(lambda driver: "Writing objects: 2 of 2" in log.text)
    assert log.text.count("Writing objects: 1 of 2") == 1  # each line once: the follower's offset

    # They came by the job's event stream (still open, so in the service's log, not yet the
    # gateway's, which writes a request once it has ended), not by polling.
    wait_for(lambda: f"GET /builds/jobs/{job_id}/events/" in builds_platform.log("builds-web"), timeout=10)
    assert f"/builds/jobs/{job_id}/log/" not in builds_platform.log("builds-web")

    REPORTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(REPORTS / "builds-console-build.png"))

    browser.get(builds_platform.url("/builds/"))
    assert f"#{build_id}" in browser.find_element(By.TAG_NAME, "main").text
