// Inbound console: the little JavaScript the pages need. htmx does the partial updates.
(function () {
  "use strict";
  // Every htmx request carries the session's CSRF token (the guard refuses it otherwise).
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
  });
  // Copy buttons: <button data-copy="#id"> copies the text of #id.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else { fallbackCopy(text); done(); }
  });
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select();
    try { document.execCommand("copy"); } catch (e) { /* the text stays selectable on the page */ }
    document.body.removeChild(area);
  }
  // An API error names its field ("conditions.all[1].op: ..."): show it next to that field too.
  function markFieldError() {
    var box = document.getElementById("form-error");
    if (!box) return;
    var field = box.getAttribute("data-field");
    while (field) {
      var target = document.querySelector('[data-field="' + field.replace(/"/g, "") + '"]:not(#form-error)');
      if (target) {
        target.setAttribute("aria-invalid", "true");
        var note = document.getElementById("field-error-note") || document.createElement("div");
        note.id = "field-error-note"; note.className = "field-error";
        note.textContent = box.textContent.replace(/^\s*\S+:\s*/, "");
        target.setAttribute("aria-describedby", "field-error-note");
        target.insertAdjacentElement("afterend", note);
        return;
      }
      var cut = Math.max(field.lastIndexOf("."), field.lastIndexOf("["));
      field = cut > 0 ? field.slice(0, cut) : "";
    }
  }
  window.InboundMarkFieldError = markFieldError;
  document.addEventListener("DOMContentLoaded", markFieldError);
  // Confirmations: <form data-confirm="Purge all test data?">
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
