/* Draw every chart on the page from its JSON figure (no inline scripts, no outside hosts).
   Each chart has a table or text equivalent beside it, so the page works without JavaScript. */
(function () {
  "use strict";
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-chart"));
      if (!source) { return; }
      var figure = JSON.parse(source.textContent);
      element.classList.add("chart-drawn");
      // Drawn at the width the page gives it (a 390 px phone included), not plotly's 700 px.
      figure.layout.width = element.clientWidth || undefined;
      // No toolbar: its buttons are labelled in English and sit in the Tab order. Nothing to
      // drag either (zoom or pan by mistake on a phone); the table beside it has the numbers.
      Plotly.newPlot(element, figure.data, figure.layout, {
        displayModeBar: false,
        staticPlot: false,
        scrollZoom: false,
        doubleClick: false,
        responsive: true,
        locale: "ja"
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
