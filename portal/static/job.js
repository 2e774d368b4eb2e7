// The job page without reloading: polls the job's JSON and updates the
// progress bar and status; reloads the page once the job reaches a new state.
// Without JavaScript the page refreshes itself (meta refresh) instead.
(function () {
  "use strict";
  var status = document.getElementById("job-status");
  if (!status || status.getAttribute("data-working") !== "true" || !window.fetch) { return; }
  var url = status.getAttribute("data-status-url");
  var label = document.getElementById("job-status-label");
  var bar = document.getElementById("job-progress");
  var stage = document.getElementById("job-stage");
  var first = null;
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 3000); return; }
        if (first === null) { first = job.status; }
        if (job.finished || job.status !== first) { window.location.reload(); return; }
        if (bar) {
          if (job.total > 0) { bar.max = job.total; bar.value = job.done; bar.textContent = Math.floor(100 * job.done / job.total) + "%"; }
          else { bar.removeAttribute("value"); }
        }
        if (stage) { stage.textContent = job.stage_label + (job.total > 0 ? " (" + job.done.toLocaleString() + " / " + job.total.toLocaleString() + ")" : ""); }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
}());
