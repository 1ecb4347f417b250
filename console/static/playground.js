// The playground: load a saved sample or a recent event into the payload, then re-run.
(function () {
  "use strict";
  var select = document.getElementById("load-input");
  if (!select) return;
  var inputs = JSON.parse(document.getElementById("playground-inputs").textContent);
  select.addEventListener("change", function () {
    var value = select.value;
    if (!value) return;
    var parts = value.split("-"), index = Number(parts[1]);
    var body = document.getElementById("body"), headers = document.getElementById("headers"), query = document.getElementById("query");
    if (parts[0] === "sample") {
      var sample = inputs.samples[index];
      body.value = JSON.stringify(sample.body, null, 2);
      headers.value = Object.keys(sample.headers || {}).length ? JSON.stringify(sample.headers) : "";
      query.value = Object.keys(sample.query || {}).length ? JSON.stringify(sample.query) : "";
    } else {
      body.value = JSON.stringify(inputs.recent[index].raw, null, 2);
    }
    body.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
