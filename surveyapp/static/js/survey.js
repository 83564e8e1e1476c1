// Progressive enhancement only: every survey page works without this file.
(function () {
  "use strict";
  // Move focus to the error summary so screen readers announce the problems.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Hide questions whose show-if condition (on this same page) does not hold.
  // The survey's pages, and the kiosk's one page.
  var form = document.getElementById("survey-form") || document.getElementById("kiosk-form");
  if (!form) { return; }
  var dependants = form.querySelectorAll("[data-show-if]");
  function chosen(code) {
    var values = [];
    form.querySelectorAll('[name="' + code + '"]').forEach(function (input) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value) { values.push(input.value); }
    });
    return values;
  }
  function update() {
    dependants.forEach(function (element) {
      var controller = element.getAttribute("data-show-if");
      if (!form.querySelector('[name="' + controller + '"]')) { return; } // condition on an earlier page
      var wanted = element.getAttribute("data-show-values").split(" ");
      var show = chosen(controller).some(function (v) { return wanted.indexOf(v) !== -1; });
      element.hidden = !show;
      var note = element.querySelector(".condition-note");
      if (note) { note.hidden = true; }
    });
  }
  form.addEventListener("change", update);
  update();
})();
