"""The console in a real browser: Debian's headless chromium signs in through identity, opens a
build and sees its job's log lines arrive; a screenshot is kept under var/test-reports/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.e2e.browser import chromium, open_signed_in, save_screenshot, waiting
from tests.e2e.builds.support import builds_shell
from tests.e2e.shopping import ADMIN_PASSWORD, wait_for

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
    with chromium("builds-console") as driver:
        yield driver


def test_a_staff_member_signs_in_opens_a_build_and_watches_its_log(builds_platform, builds_admin, browser):
    seeded = builds_shell(builds_platform, SEED)
    build_id, job_id = seeded["build"], seeded["job"]

    url = builds_platform.url(f"/builds/{build_id}/")
    open_signed_in(browser, url, email=builds_admin.email, password=ADMIN_PASSWORD)
    wait = waiting(browser)

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

    save_screenshot(browser, "builds-console-build.png")

    browser.get(builds_platform.url("/builds/"))
    assert f"#{build_id}" in browser.find_element(By.TAG_NAME, "main").text
