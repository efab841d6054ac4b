// The analytics dashboard: asks the service for the picked period's series (data/, with the
// session's cookies) and draws them with Chart.js (installed from npm, served locally).
// Served as a file (the gateway's Content-Security-Policy allows no inline script).
"use strict";

(function () {
  const COLORS = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];
  const charts = {};

  function label(iso, granularity) {
    const day = iso.slice(0, 10);
    if (granularity === "hour") return `${day} ${iso.slice(11, 16)}`;
    return granularity === "week" ? `week of ${day}` : day;
  }

  function percent(rates) {
    return rates.map((rate) => (rate === null ? null : Math.round(rate * 10000) / 100));
  }

  function sum(values) {
    return values.reduce((total, value) => total + value, 0);
  }

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      ...(config.options || {}),
    };
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  // Fresh option objects for each chart: Chart.js keeps a reference to what it is given.
  function counts() {
    return { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
  }

  function countsWithRate() {
    const rate = { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "%" } };
    // The legend in the datasets' order, not their drawing order.
    const legend = { labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } };
    return { scales: { ...counts().scales, rate }, plugins: { legend } };
  }

  // Counts as bars on the left axis, a rate (a fraction, or null where there was nothing to
  // rate) as a line of percentages on the right one.
  function countsAndRate(id, labels, series, [rateLabel, rates]) {
    // The line is drawn over the bars (a lower order is drawn later).
    const bars = series.map(([label, values, color]) => ({ label, data: values, backgroundColor: color, yAxisID: "y", order: 1 }));
    const line = { label: rateLabel, type: "line", data: percent(rates), borderColor: COLORS[6], backgroundColor: COLORS[6], yAxisID: "rate", order: 0 };
    draw(id, { type: "bar", data: { labels, datasets: [...bars, line] }, options: countsWithRate() });
  }

  function render(data) {
    const labels = data.buckets.map((iso) => label(iso, data.period.granularity));
    draw("chart-signups", {
      type: "line",
      data: { labels, datasets: [{ label: "Sign-ups", data: data.signups, borderColor: COLORS[0], backgroundColor: COLORS[0] }] },
      options: counts(),
    });
    draw("chart-orders", {
      type: "bar",
      data: { labels, datasets: [{ label: "Orders placed", data: data.orders, backgroundColor: COLORS[1] }] },
      options: counts(),
    });
    draw("chart-revenue", {
      type: "line",
      data: {
        labels,
        datasets: Object.entries(data.revenue).map(([currency, amounts], n) => ({
          label: currency,
          data: amounts.map(Number),
          borderColor: COLORS[n % COLORS.length],
          backgroundColor: COLORS[n % COLORS.length],
        })),
      },
      options: { scales: { y: { beginAtZero: true } } },
    });
    const services = data.services.map((row) => row.service);
    draw("chart-latency", {
      type: "bar",
      data: {
        labels: services,
        datasets: [
          { label: "p50", data: data.services.map((row) => row.p50_ms), backgroundColor: COLORS[0] },
          { label: "p95", data: data.services.map((row) => row.p95_ms), backgroundColor: COLORS[3] },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: "ms" } } } },
    });
    countsAndRate("chart-errors", services, [["5xx responses", data.services.map((row) => row.errors), COLORS[2]]], [
      "share of requests (%)",
      data.services.map((row) => row.error_rate),
    ]);
    countsAndRate(
      "chart-delivery",
      labels,
      [
        ["sent", data.delivery.sent, COLORS[0]],
        ["delivered", data.delivery.delivered, COLORS[1]],
      ],
      ["delivery rate (%)", data.delivery.rate],
    );
    countsAndRate(
      "chart-builds",
      labels,
      [
        ["published", data.builds.published, COLORS[1]],
        ["failed", data.builds.failed, COLORS[2]],
      ],
      ["success rate (%)", data.builds.rate],
    );
    showTotals(data);
  }

  function showTotals(data) {
    const totals = {
      signups: String(sum(data.signups)),
      orders: String(sum(data.orders)),
      revenue:
        Object.entries(data.revenue)
          .map(([currency, amounts]) => `${sum(amounts.map(Number)).toFixed(2)} ${currency}`)
          .join(", ") || "none",
      delivery: `${sum(data.delivery.delivered)} / ${sum(data.delivery.sent)}`,
      builds: `${sum(data.builds.published)} / ${sum(data.builds.published) + sum(data.builds.failed)}`,
    };
    for (const [name, text] of Object.entries(totals)) {
      document.querySelector(`[data-total=${name}]`).textContent = text;
    }
    const lastDay = new Date(Date.parse(data.period.to) - 1).toISOString().slice(0, 10);
    document.getElementById("period-shown").textContent =
      `${data.period.from.slice(0, 10)} to ${lastDay} (UTC), by ${data.period.granularity}`;
  }

  function showError(body, fallback) {
    const error = document.getElementById("dashboard-error");
    const details = body && body.error && body.error.details;
    const problems = details ? Object.entries(details).map(([field, texts]) => `${field}: ${[].concat(texts).join(" ")}`) : [];
    error.textContent = [(body && body.error && body.error.message) || fallback, ...problems].join(" ");
    error.classList.remove("d-none");
  }

  async function load(root, form) {
    const query = new URLSearchParams(new FormData(form)).toString();
    root.dataset.state = "loading";
    document.getElementById("dashboard-error").classList.add("d-none");
    try {
      const response = await fetch(`${root.dataset.dataUrl}?${query}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) {
        const here = `${window.location.pathname}?${query}`;
        window.location.assign(`${root.dataset.loginUrl}?next=${encodeURIComponent(here)}`);
        return;
      }
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        showError(body, `The data could not be loaded (HTTP ${response.status}).`);
        root.dataset.state = "error";
        return;
      }
      render(body.data);
      window.history.replaceState(null, "", `?${query}`);
      root.dataset.state = "drawn";
    } catch (exc) {
      showError(null, `The data could not be loaded: ${exc.message}`);
      root.dataset.state = "error";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("dashboard");
    if (!root) return;
    const form = document.getElementById("period");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load(root, form);
    });
    load(root, form);
  });
})();
