// Sign in to a web area (servicekit.websession): the credentials go to identity (through the
// gateway); the token pair goes to the area, which keeps it in HttpOnly cookies. This page never
// stores a token itself. Served as a file (the gateway's Content-Security-Policy allows no
// inline script).
"use strict";

(function () {
  function errorMessage(body, fallback) {
    return (body && body.error && body.error.message) || fallback;
  }

  function setUpLogin(form) {
    const error = document.getElementById("login-error");
    const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
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
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
          body: JSON.stringify({ access: tokens.data.access, refresh: tokens.data.refresh, next: form.dataset.next }),
        });
        const answer = await session.json().catch(() => null);
        if (!session.ok) throw new Error(errorMessage(answer, "The session was refused."));
        window.location.assign(answer.data.next);
      } catch (exc) {
        error.textContent = exc.message;
        error.classList.remove("d-none");
        button.disabled = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("login-form");
    if (form) setUpLogin(form);
  });
})();
