// Job page enhancement: asks for the job's status every two seconds and updates the page
// in place. Without this file the page works the same with its "Check again" link.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || box.getAttribute("data-finished") === "true" || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status");
  var statusText = document.getElementById("job-status-text");
  var progressText = document.getElementById("job-progress-text");
  var bar = document.getElementById("job-progress-bar");
  var download = document.getElementById("job-download");
  var refresh = box.querySelector(".job-refresh");

  function show(job) {
    // Only a change of status goes into the live region, so screen readers are not
    // told every number; the progress bar carries those.
    if (statusText.textContent !== job.text) { statusText.textContent = job.text; }
    if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
    if (progressText && job.progress) { progressText.textContent = job.progress; }
    if (job.finished) {
      if (refresh) { refresh.hidden = true; }
      if (job.file && download) { download.hidden = false; }
      if (job.status === "failed" && bar) { bar.parentNode.hidden = true; }
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        show(job);
        if (!job.finished) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
