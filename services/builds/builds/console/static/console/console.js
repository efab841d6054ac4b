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

  // Follow a job's log: ask for what came after the offset until the job has finished.
  function follow(pre, onFinished) {
    let offset = Number(pre.dataset.offset || 0);
    let delay = POLL_MS;
    const badge = pre.closest(".job") && pre.closest(".job").querySelector("[data-job-status]");
    pre.scrollTop = pre.scrollHeight;

    async function poll() {
      try {
        const response = await fetch(`${pre.dataset.logUrl}?offset=${offset}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.status === 401) {
          window.location.assign(`/builds/login/?next=${encodeURIComponent(window.location.pathname)}`);
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { data } = await response.json();
        if (data.log) {
          const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
          pre.append(document.createTextNode(data.log));
          if (atBottom) pre.scrollTop = pre.scrollHeight;
        }
        offset = data.offset;
        pre.dataset.offset = String(offset);
        if (badge) {
          badge.textContent = data.status;
          badge.className = `badge state state-${data.status}`;
        }
        delay = POLL_MS;
        if (data.finished) {
          pre.dataset.finished = "true";
          onFinished();
          return;
        }
      } catch (exc) {
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
      window.setTimeout(poll, delay);
    }
    window.setTimeout(poll, POLL_MS);
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
