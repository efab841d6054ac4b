// The builds console's behaviour: signing in through identity, confirmations, live job logs.
// Served as a file (the gateway's Content-Security-Policy allows no inline script).
"use strict";

(function () {
  const POLL_MS = 1000;
  const MAX_BACKOFF_MS = 10000;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)builds_csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function errorMessage(body, fallback) {
    return (body && body.error && body.error.message) || fallback;
  }

  // Sign in: the credentials go to identity (through the gateway); the token pair goes to the
  // console, which keeps it in HttpOnly cookies. This page never stores a token itself.
  function setUpLogin(form) {
    const error = document.getElementById("login-error");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.classList.add("d-none");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const login = await fetch(form.dataset.loginUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ email: form.email.value, password: form.password.value }),
        });
        const tokens = await login.json().catch(() => null);
        if (!login.ok) throw new Error(errorMessage(tokens, "Sign-in failed."));
        const session = await fetch(form.dataset.sessionUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ access: tokens.data.access, refresh: tokens.data.refresh, next: form.dataset.next }),
        });
        const answer = await session.json().catch(() => null);
        if (!session.ok) throw new Error(errorMessage(answer, "The console refused the session."));
        window.location.assign(answer.data.next);
      } catch (exc) {
        error.textContent = exc.message;
        error.classList.remove("d-none");
        button.disabled = false;
      }
    });
  }

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
    const login = document.getElementById("login-form");
    if (login) setUpLogin(login);
    setUpConfirmations();
    setUpFollowers();
  });
})();
