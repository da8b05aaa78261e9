// Admin widgets drawn by script get the names assistive technology needs (WCAG 4.1.2). Without
// script the plain fields they replace are already labelled (shizuoka_dx/admin.py).
(function () {
  "use strict";

  function nameOf(select) {
    if (select.getAttribute("aria-label")) return select.getAttribute("aria-label");
    const label = select.id && document.querySelector('label[for="' + select.id + '"]');
    return label ? label.textContent.replace(/[:：]\s*$/, "").trim() : "";
  }

  function fix() {
    // The two-box selector (filter_horizontal): its search icon is a span with an aria-label
    // and no role, which assistive technology ignores; it is an image with a text alternative.
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // Autocomplete fields (select2): the combobox is named only by the chosen value, so an
    // empty one has no name. It takes the name of the select it replaces.
    document.querySelectorAll(".select2-selection[role=combobox]:not([aria-label])").forEach(function (box) {
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      const name = select && select.tagName === "SELECT" ? nameOf(select) : "";
      if (name) {
        box.setAttribute("aria-label", name);
        box.removeAttribute("aria-labelledby");
        // The chosen value inside it is a read-only text box: named too, its text the value.
        box.querySelectorAll("[role=textbox]").forEach(function (shown) {
          shown.setAttribute("aria-label", name);
        });
      }
    });
  }

  // The export page's "select all" box (django-import-export): its label points at an id the
  // box does not have.
  function fixExport() {
    document.querySelectorAll("input.select-toggle[name]:not([id])").forEach(function (box) {
      if (document.querySelector('label[for="' + box.name + '"]')) box.id = box.name;
    });
  }
  document.addEventListener("DOMContentLoaded", fixExport);

  new MutationObserver(fix).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", fix);
})();
