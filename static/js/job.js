// The status page of background work, kept up to date in place (without JavaScript the page
// reloads itself every 2 seconds instead, through <noscript><meta http-equiv="refresh">).
// Once the work is over, the page is loaded again: the server then shows the result.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var failures = 0;

  function show(id, text) {
    var element = document.getElementById(id);
    if (element && element.textContent !== text) element.textContent = text;
  }

  function update(status) {
    if (status.finished) {
      window.location.reload();
      return;
    }
    show("job-state", status.state);
    show("job-text", status.text);
    show("job-hint", status.hint);
    if (status.percent === null) {
      bar.removeAttribute("value");
      bar.textContent = "処理中";
      show("job-percent", "");
    } else {
      bar.value = status.percent;
      bar.textContent = status.percent + "%";
      show("job-percent", status.percent + "%（" + status.done + " / " + status.total + "）");
    }
    window.setTimeout(poll, 1000);
  }

  function poll() {
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (status) {
        failures = 0;
        update(status);
      })
      .catch(function () {
        // Signed out, or the server is restarting: fall back to reloading the page.
        failures += 1;
        if (failures >= 3) window.location.reload();
        else window.setTimeout(poll, 2000);
      });
  }

  if (window.fetch) window.setTimeout(poll, 1000);
  else window.setTimeout(function () { window.location.reload(); }, 2000);
})();
