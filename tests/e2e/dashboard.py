"""Reading the analytics dashboard in the browser: what Chart.js holds for each chart once the
page has drawn the period's data."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.browser import waiting

CHARTS = ("signups", "orders", "revenue", "latency", "errors", "delivery", "builds")

# Each chart's labels and datasets as Chart.js holds them: [label, data, elements drawn].
_READ_CHARTS = """
return Object.fromEntries(arguments[0].map((name) => {
  const chart = Chart.getChart(`chart-${name}`);
  return [name, {
    labels: chart.data.labels,
    datasets: chart.data.datasets.map((set, n) => [set.label, set.data, chart.getDatasetMeta(n).data.length]),
  }];
}));
"""


def read_charts(driver: WebDriver) -> dict:
    """Every chart's data, once the page says it has drawn (``#dashboard[data-state]``)."""
    root = driver.find_element(By.ID, "dashboard")
    waiting(driver).until(lambda d: root.get_attribute("data-state") in ("drawn", "error"))
    assert root.get_attribute("data-state") == "drawn", driver.find_element(By.ID, "dashboard-error").text
    return driver.execute_script(_READ_CHARTS, list(CHARTS))


def series(charts: dict, chart: str, label: str) -> list:
    """One dataset's values, by its label."""
    return next(values for name, values, _ in charts[chart]["datasets"] if name == label)
