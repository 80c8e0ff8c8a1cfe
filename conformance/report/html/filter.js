// Filters of the report: verdicts (checkboxes), level and area (selects).
(function () {
  "use strict";
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  var areas = Array.prototype.slice.call(document.querySelectorAll("section.area"));
  var shown = document.getElementById("shown");
  var level = document.getElementById("f-level");
  var area = document.getElementById("f-area");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[name=verdict]"));
  function apply() {
    var verdicts = {};
    boxes.forEach(function (b) { verdicts[b.value] = b.checked; });
    var n = 0;
    cases.forEach(function (c) {
      var ok = verdicts[c.dataset.verdict] !== false &&
        (!level.value || c.dataset.level === level.value) &&
        (!area.value || c.dataset.area === area.value);
      c.hidden = !ok;
      if (ok) { n++; }
    });
    areas.forEach(function (a) {
      a.hidden = !a.querySelector("details.case:not([hidden])");
    });
    shown.textContent = n + " of " + cases.length + " cases shown";
  }
  // A link to PAGE#case-ID (from the matrix page) opens that case.
  function openTarget() {
    var c = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (c && c.matches("details.case")) {
      c.open = true;
      c.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  level.addEventListener("change", apply);
  area.addEventListener("change", apply);
  apply();
  openTarget();
})();
