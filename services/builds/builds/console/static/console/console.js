// The builds console's behaviour: confirmations, live job logs (signing in is servicekit's
// websession/login.js).
// Served as a file (the gateway's Content-Security-Policy allows no inline script).
"use strict";

(function () {
  const POLL_MS = 1000;
  const MAX_BACKOFF_MS = 10000;

  // Follow a job's log live: the job's event stream (EventSource reconnects by itself, telling
  // the server the offset it has), or, where that fails, asking for what came after the offset.
  function follow(pre, onFinished) {
    const state = { offset: Number(pre.dataset.offset || 0), done: false };
    const job = pre.closest(".job");
    const badge = job && job.querySelector("[data-job-status]");
    pre.scrollTop = pre.scrollHeight;

    function append(text) {
      if (!text) return;
      const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
      pre.append(document.createTextNode(text));
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    }
    function setStatus(status) {
      if (!badge) return;
      badge.textContent = status;
      badge.className = `badge state state-${status}`;
    }
    function finish(status) {
      if (state.done) return;
      state.done = true;
      setStatus(status);
      pre.dataset.finished = "true";
      onFinished();
    }

    if (window.EventSource && pre.dataset.eventsUrl) {
      const source = new EventSource(`${pre.dataset.eventsUrl}?offset=${state.offset}`);
      source.addEventListener("log", (event) => {
        const data = JSON.parse(event.data);
        append(data.log);
        state.offset = data.offset;
        pre.dataset.offset = String(state.offset);
      });
      source.addEventListener("end", (event) => {
        source.close();
        finish(JSON.parse(event.data).status);
      });
      source.addEventListener("error", () => {
        // CLOSED: the stream was refused (signed out, an error page): poll instead.
        if (source.readyState === EventSource.CLOSED && !state.done) poll(state, append, setStatus, finish, pre);
      });
      return;
    }
    poll(state, append, setStatus, finish, pre);
  }

  function poll(state, append, setStatus, finish, pre) {
    let delay = POLL_MS;
    async function ask() {
      try {
        const response = await fetch(`${pre.dataset.logUrl}?offset=${state.offset}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.status === 401) {
          window.location.assign(`/builds/login/?next=${encodeURIComponent(window.location.pathname)}`);
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { data } = await response.json();
        append(data.log);
        state.offset = data.offset;
        pre.dataset.offset = String(state.offset);
        setStatus(data.status);
        delay = POLL_MS;
        if (data.finished) {
          finish(data.status);
          return;
        }
      } catch (exc) {
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
      window.setTimeout(ask, delay);
    }
    window.setTimeout(ask, POLL_MS);
  }

  function setUpFollowers() {
    const followed = document.querySelectorAll("pre.job-log[data-finished=false]");
    // A finished job changes the build (states, new check or update jobs): show the new page.
    const reload = () => window.setTimeout(() => window.location.reload(), 1500);
    followed.forEach((pre) => follow(pre, reload));
  }

  function setUpConfirmations() {
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpConfirmations();
    setUpFollowers();
  });
})();
