// billtrack's few scripts: confirmations, live progress, a timesheet's running total.
// Every page works without them; they only spare a reload or a slip of the finger.
(function () {
  "use strict";

  // A form with data-confirm asks before it is sent (deleting, say).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // An error summary takes the focus, so a keyboard or screen-reader user hears it first.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(
      function (response) {
        var type = response.headers.get("content-type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          // The session ended: the page itself now leads to the login.
          window.location.reload();
          throw new Error("session ended");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }
    );
  }

  // The month-end run's page follows its progress until it is done.
  var run = document.querySelector("[data-progress-url]");
  if (run && run.getAttribute("data-done") !== "true") {
    var url = run.getAttribute("data-progress-url");
    var field = function (name) {
      return run.querySelector('[data-field="' + name + '"]');
    };
    var poll = function () {
      getJson(url)
        .then(function (progress) {
          ["employees", "created", "rendered", "mailed", "failed"].forEach(function (name) {
            field(name).textContent = String(progress[name]);
          });
          field("skipped").textContent = progress.skipped === null ? "…" : String(progress.skipped);
          var bar = field("bar");
          bar.max = Math.max(progress.considered ? progress.created : progress.employees, 1);
          // A run with nothing to render is as complete as one that rendered it all.
          bar.value = progress.done ? bar.max : progress.settled;
          bar.textContent = progress.settled + " of " + bar.max;
          var status = field("summary");
          if (status.textContent !== progress.summary) {
            status.textContent = progress.summary;
          }
          if (progress.done) {
            run.setAttribute("data-done", "true");
            status.classList.add("is-done");
            run.querySelector("[data-show-when-done]").hidden = false;
          } else {
            window.setTimeout(poll, 700);
          }
        })
        .catch(function () {
          window.setTimeout(poll, 3000);
        });
    };
    window.setTimeout(poll, 400);
  }

  // An invoice whose PDF or mail is on its way reloads once it has arrived.
  var watched = document.querySelector("[data-watch-url]");
  if (watched) {
    var message = document.querySelector("[data-watch-message]");
    if (message) {
      message.textContent = "This page updates by itself when the PDF or the mail is done.";
    }
    var watch = function () {
      getJson(watched.getAttribute("data-watch-url"))
        .then(function (state) {
          var changed =
            state.status !== watched.getAttribute("data-watch-status") ||
            state.mailStatus !== watched.getAttribute("data-watch-mail") ||
            String(state.mailSent) !== watched.getAttribute("data-watch-sent");
          if (changed) {
            window.location.reload();
          } else {
            window.setTimeout(watch, 1000);
          }
        })
        .catch(function () {
          window.setTimeout(watch, 3000);
        });
    };
    window.setTimeout(watch, 800);
  }

  // A timesheet adds up what is typed, and marks the days that will change on saving.
  var sheet = document.querySelector("[data-timesheet]");
  if (sheet) {
    var total = sheet.querySelector("[data-total]");
    var parse = function (text) {
      var cleaned = text.trim().replace(",", ".");
      var value = Number(cleaned);
      return cleaned === "" || !isFinite(value) ? 0 : value;
    };
    // Only what could be saved counts (more than 0, at most 24, two places at most), as the
    // total the page shows after saving does; a mistake is marked when the form comes back.
    var savable = function (text) {
      var value = parse(text);
      var cents = value * 100;
      return value > 0 && value <= 24 && Math.abs(cents - Math.round(cents)) < 1e-6 ? value : 0;
    };
    var update = function () {
      var sum = 0;
      sheet.querySelectorAll("input.hours").forEach(function (input) {
        sum += savable(input.value);
        var was = sheet.querySelector('input[name="was-' + input.name.slice(2) + '"]');
        input.classList.toggle("changed", !!was && parse(was.value) !== parse(input.value));
      });
      if (total) {
        total.textContent = sum.toFixed(2);
      }
    };
    sheet.addEventListener("input", update);
  }
})();
