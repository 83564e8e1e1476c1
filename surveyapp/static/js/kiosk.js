// Kiosk: warn before an idle answer is cleared and offer more time (WCAG 2.2.1).
// Without this script the server still refuses a stale answer and starts clean.
(function () {
  "use strict";
  // The thanks page holds nothing of the answer: back to a clean start after a moment.
  var thanks = document.getElementById("kiosk-thanks");
  if (thanks) {
    setTimeout(function () { window.location.replace(thanks.dataset.start); },
      parseInt(thanks.dataset.seconds, 10) * 1000);
    return;
  }
  var root = document.getElementById("kiosk");
  var form = document.getElementById("kiosk-form");
  if (!root || !form) { return; }
  var maxAge = parseInt(root.dataset.maxAge, 10) * 1000;
  var warnBefore = parseInt(root.dataset.warnBefore, 10) * 1000;
  var warning = document.getElementById("kiosk-warning");
  var button = document.getElementById("kiosk-more-time");
  var warnTimer = null;
  var resetTimer = null;

  function startAgain() { window.location.replace(root.dataset.start); }

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(resetTimer);
    // A little before the server's limit, so that the reset is never late.
    warnTimer = setTimeout(showWarning, Math.max(0, maxAge - warnBefore - 5000));
    resetTimer = setTimeout(startAgain, Math.max(0, maxAge - 5000));
  }

  function showWarning() {
    warning.hidden = false;
    button.focus();
  }

  button.addEventListener("click", function () {
    var body = new URLSearchParams();
    body.append("state", form.elements.state.value);
    fetch(root.dataset.moreTime, { method: "POST", body: body, credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.state) { startAgain(); return; }
        form.elements.state.value = data.state;
        warning.hidden = true;
        schedule();
      })
      .catch(startAgain);
  });

  schedule();
}());
