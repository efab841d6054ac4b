// The account link pages (verify an address, choose a new password): the form's named fields
// go as JSON to identity's public API at the form's action, on this same origin, and the
// page says how it went. Without JavaScript the form still posts (the answer is then the
// API's JSON). Messages come translated from the form's data-* attributes.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("account-form");
  var result = document.getElementById("account-result");
  if (!form || !result) {
    return;
  }

  function show(outcome, text) {
    result.setAttribute("data-outcome", outcome);
    result.textContent = text;
  }

  // The envelope's message, and each field's messages (e.g. why a password is refused).
  function describe(body) {
    var error = (body && body.error) || {};
    var lines = [form.dataset.failure, error.message];
    var details = error.details || {};
    Object.keys(details).forEach(function (field) {
      [].concat(details[field]).forEach(function (line) {
        lines.push(String(line));
      });
    });
    return lines.filter(Boolean).join(" ");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var confirmation = form.querySelector("[data-confirms]");
    if (confirmation) {
      var original = form.elements[confirmation.dataset.confirms];
      if (original.value !== confirmation.value) {
        show("error", form.dataset.mismatch);
        return;
      }
    }
    var payload = {};
    new FormData(form).forEach(function (value, name) {
      payload[name] = value;
    });
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "omit",
      body: JSON.stringify(payload),
    })
      .then(function (response) {
        if (response.ok) {
          form.hidden = true;
          show("success", form.dataset.success);
          return;
        }
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            show("error", describe(body));
            button.disabled = false;
          });
      })
      .catch(function () {
        show("error", form.dataset.unreachable);
        button.disabled = false;
      });
  });
});
