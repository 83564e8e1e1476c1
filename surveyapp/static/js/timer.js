// Call sheet enhancements. Progressive enhancement only: every field works without this file.
// - Moves focus to the error summary so screen readers announce the problems.
// - Start/stop timers ([data-timer]) that fill in the waiting time (minutes + seconds fields)
//   or the time used (one field, written as m:ss), and warn once the protocol's limit
//   ([data-limit], seconds) has passed: 4 minutes on hold, 2 minutes for a web item.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function asText(total) { return Math.floor(total / 60) + ":" + pad(total % 60); }

  document.querySelectorAll("[data-timer]").forEach(function (box) {
    var button = box.querySelector(".timer-button");
    var display = box.querySelector(".timer-display");
    var status = box.querySelector(".timer-status");
    var minutes = document.getElementById(box.getAttribute("data-minutes") || "");
    var seconds = document.getElementById(box.getAttribute("data-seconds") || "");
    var target = document.getElementById(box.getAttribute("data-target") || "");
    var warning = box.querySelector(".timer-warning");
    var limit = parseInt(box.getAttribute("data-limit") || "0", 10);
    if (!button || !display || (!target && !(minutes && seconds))) { return; }
    var started = null;
    var ticker = null;

    function elapsed() { return Math.max(0, Math.round((Date.now() - started) / 1000)); }
    function check(total) {
      if (!warning || !limit) { return; }
      var over = total > limit;
      if (over && warning.hidden) {
        warning.textContent = box.getAttribute("data-limit-message");
        warning.hidden = false;
        box.classList.add("timer-over");
      } else if (!over && !warning.hidden) {
        warning.hidden = true;
        warning.textContent = "";
        box.classList.remove("timer-over");
      }
    }
    function fill(total) {
      if (target) {
        target.value = asText(total);
      } else {
        minutes.value = String(Math.floor(total / 60));
        seconds.value = String(total % 60);
      }
    }
    function stop() {
      var total = elapsed();
      window.clearInterval(ticker);
      ticker = null;
      started = null;
      display.textContent = asText(total);
      fill(total);
      check(total);
      button.textContent = box.getAttribute("data-start-label");
      button.setAttribute("aria-pressed", "false");
      if (status) { status.textContent = box.getAttribute("data-stopped-message") + " " + asText(total); }
    }
    function start() {
      started = Date.now();
      display.textContent = "0:00";
      check(0);
      if (status) { status.textContent = ""; }
      ticker = window.setInterval(function () {
        var total = elapsed();
        display.textContent = asText(total);
        check(total);
      }, 1000);
      button.textContent = box.getAttribute("data-stop-label");
      button.setAttribute("aria-pressed", "true");
    }
    button.addEventListener("click", function () {
      if (ticker === null) { start(); } else { stop(); }
    });
    box.hidden = false;
  });
})();
