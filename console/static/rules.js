// The rule builder: the form and the rule's JSON follow each other; the hidden field is what is sent.
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  if (!form) return;
  var vocab = JSON.parse(document.getElementById("rule-vocab").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var hidden = $("definition"), jsonBox = $("r-json");
  var nested = false;
  var tz = vocab.timezone || "UTC";

  // A rule's window is picked as the program's local time (vocab.timezone) and sent with the
  // offset of that date, so "1 November, midnight" is midnight there in summer and in winter.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function wallClock(ms, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: zone || tz, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }
  function offsetAt(ms, zone) { // minutes east of UTC in the time zone at this instant
    var p = wallClock(ms, zone);
    return Math.round((Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000) / 60000);
  }
  function fromPicker(local, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
    if (!m) return local || null; // the API names what is wrong with anything else
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    var offset = offsetAt(wall - offsetAt(wall, zone) * 60000, zone);
    var a = Math.abs(offset);
    var minute = local.slice(0, 16) + ":" + (m[6] || "00");
    return minute + (offset < 0 ? "-" : "+") + pad(Math.floor(a / 60)) + ":" + pad(a % 60);
  }
  // Seconds only when the time has some (a window set through the API): saved again from the
  // form, it keeps them. The picker shows seconds for such a field (setPicker sets its step).
  function toPicker(iso, zone) {
    var ms = iso ? Date.parse(iso) : NaN;
    if (isNaN(ms)) return "";
    var p = wallClock(ms, zone);
    var text = p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
    return p.second !== "00" ? text + ":" + p.second : text;
  }
  function setPicker(input, iso) {
    input.value = toPicker(iso);
    if (input.value.length > 16) input.step = "1"; // else the browser refuses a value with seconds
  }
  window.inboundRuleTimes = { fromPicker: fromPicker, toPicker: toPicker }; // for the browser tests

  function option(value, label, selected) {
    var o = document.createElement("option"); o.value = value; o.textContent = label || value; o.selected = !!selected; return o;
  }
  function input(type, value, field, label, placeholder) {
    var i = document.createElement("input"); i.type = type; i.value = value === undefined || value === null ? "" : value;
    i.setAttribute("data-field", field); i.setAttribute("aria-label", label); if (placeholder) i.placeholder = placeholder;
    if (type === "number") i.step = "any";
    return i;
  }
  function select(values, current, field, label) {
    var s = document.createElement("select"); s.setAttribute("data-field", field); s.setAttribute("aria-label", label);
    values.forEach(function (v) { s.appendChild(option(v, v, v === current)); }); return s;
  }
  function removeButton(row) {
    var b = document.createElement("button"); b.type = "button"; b.className = "secondary small"; b.textContent = "Remove";
    b.addEventListener("click", function () { row.remove(); sync(); }); return b;
  }
  function valueText(value) {
    if (value === undefined || value === null) return "";
    return Array.isArray(value) ? value.join(", ") : String(value);
  }

  function conditionRow(c, index) {
    var comb = $("r-combinator").value;
    var kind = c && c.counter !== undefined ? "counter" : "tag";
    var row = document.createElement("div"); row.className = "cond-row";
    var path = "conditions." + comb + "[" + index + "]";
    var kindSel = select(["tag", "counter"], kind, path + ".kind", "Tag or counter");
    var name = input("text", c ? (c.tag !== undefined ? c.tag : c.counter) : "", path + "." + kind, "Name", kind === "tag" ? "channel" : "amount");
    var ops = kind === "tag" ? vocab.tag_ops : vocab.counter_ops;
    var op = select(ops, c ? c.op : "eq", path + ".op", "Operator");
    var value = input("text", c ? valueText(c.value) : "", path + ".value", "Value", "value");
    kindSel.addEventListener("change", function () {
      var fresh = conditionRow(readCondition(row), index); row.replaceWith(fresh); sync();
    });
    [kindSel, name, op, value, removeButton(row)].forEach(function (el) { row.appendChild(el); });
    return row;
  }
  function readCondition(row) {
    var f = row.querySelectorAll("input, select");
    var kind = f[0].value, name = f[1].value.trim(), op = f[2].value, raw = f[3].value.trim();
    var c = {}; c[kind] = name; c.op = op;
    if (op === "exists" || op === "missing") return c;
    if (op === "in" || op === "not_in") { c.value = raw ? raw.split(",").map(function (s) { return s.trim(); }) : []; return c; }
    if (kind === "counter") {
      if (op === "between") { c.value = raw.split(",").map(function (s) { return toNumber(s.trim()); }); return c; }
      c.value = toNumber(raw); return c;
    }
    c.value = raw; return c;
  }
  function toNumber(raw) { var n = Number(raw); return raw !== "" && isFinite(n) ? n : raw; }
  function optionalNumber(id) { var raw = $(id).value.trim(); return raw === "" ? null : toNumber(raw); }

  function limitRow(l, index) {
    var row = document.createElement("div"); row.className = "limit-row";
    var path = "limits[" + index + "]";
    l = l || { scope: "profile", period: "day", max_times: 1 };
    var windowKind = l.rolling_hours ? "rolling_hours" : (l.rolling_days ? "rolling_days" : "period");
    var scope = select(["profile", "rule"], l.scope, path + ".scope", "Counts per member (profile) or for everyone (rule)");
    var kind = select(["period", "rolling_hours", "rolling_days"], windowKind, path + "." + windowKind, "Window kind");
    var windowValue = windowKind === "period" ? select(vocab.periods, l.period, path + ".period", "Calendar period")
      : input("number", l[windowKind], path + "." + windowKind, "Window size", windowKind === "rolling_hours" ? "hours" : "days");
    var times = input("number", l.max_times, path + ".max_times", "Most awards", "max times");
    var points = input("number", l.max_points, path + ".max_points", "Most points", "max points");
    var exceeded = select(["cap", "skip"], l.when_exceeded || "cap", path + ".when_exceeded", "When max points would be exceeded");
    kind.addEventListener("change", function () {
      var current = readLimit(row); delete current.period; delete current.rolling_hours; delete current.rolling_days;
      current[kind.value] = kind.value === "period" ? "day" : 24;
      row.replaceWith(limitRow(current, index)); sync();
    });
    [scope, kind, windowValue, times, points, exceeded, removeButton(row)].forEach(function (el) { row.appendChild(el); });
    return row;
  }
  function readLimit(row) {
    var f = row.querySelectorAll("input, select");
    var l = { scope: f[0].value };
    l[f[1].value] = f[1].value === "period" ? f[2].value : toNumber(f[2].value.trim());
    if (f[3].value.trim() !== "") l.max_times = toNumber(f[3].value.trim());
    if (f[4].value.trim() !== "") { l.max_points = toNumber(f[4].value.trim()); l.when_exceeded = f[5].value; }
    return l;
  }

  function showReward(kind) {
    $("r-reward-fixed").hidden = kind !== "fixed";
    $("r-reward-ppu").hidden = kind !== "points_per_unit";
    $("r-reward-mult").hidden = kind !== "multiplier";
  }
  function showSource(kind) {
    $("r-source-connector-box").hidden = kind !== "connector";
    $("r-source-type-box").hidden = kind !== "event_type";
  }

  function fill(d) {
    $("r-name").value = d.name || "";
    $("r-description").value = d.description || "";
    $("r-status").value = d.status || "draft";
    $("r-priority").value = d.priority === undefined || d.priority === null ? 0 : d.priority;
    $("r-stop").checked = !!d.stop;
    var source = d.source || { any: true };
    var sourceKind = source.connector !== undefined ? "connector" : (source.event_type !== undefined ? "event_type" : "any");
    $("r-source-kind").value = sourceKind; showSource(sourceKind);
    if (source.connector !== undefined) $("r-source-connector").value = source.connector;
    if (source.event_type !== undefined) $("r-source-type").value = source.event_type;
    setPicker($("r-from"), d.active_from); setPicker($("r-until"), d.active_until);
    var conditions = d.conditions, list = [], comb = "all";
    if (conditions && (conditions.all || conditions.any)) { comb = conditions.all ? "all" : "any"; list = conditions.all || conditions.any; }
    else if (conditions) { list = [conditions]; }
    nested = list.some(function (c) { return c.all || c.any; });
    $("r-combinator").value = comb;
    $("r-conditions").innerHTML = "";
    $("r-conditions-nested").hidden = !nested; $("r-conditions").hidden = nested; $("r-add-condition").hidden = nested;
    if (nested) { $("r-conditions-json").value = JSON.stringify(conditions, null, 2); }
    else { list.forEach(function (c, i) { $("r-conditions").appendChild(conditionRow(c, i)); }); }
    var reward = d.reward || { fixed: 10 };
    var rewardKind = Object.keys(reward)[0] || "fixed";
    $("r-reward-kind").value = rewardKind; showReward(rewardKind);
    var r = reward[rewardKind];
    if (rewardKind === "fixed") $("r-fixed").value = typeof r === "object" && r !== null ? r.points : r;
    if (rewardKind === "points_per_unit") {
      $("r-ppu-counter").value = r.counter || ""; $("r-ppu-per").value = r.per === undefined || r.per === null ? 1 : r.per;
      $("r-ppu-points").value = r.points === undefined || r.points === null ? 1 : r.points; $("r-ppu-rounding").value = r.rounding || "floor";
      $("r-ppu-cap").value = r.cap === undefined || r.cap === null ? "" : r.cap;
    }
    if (rewardKind === "multiplier") {
      var m = typeof r === "object" && r !== null ? r : { factor: r };
      $("r-mult-factor").value = m.factor; $("r-mult-rounding").value = m.rounding || "floor";
      $("r-mult-cap").value = m.cap === undefined || m.cap === null ? "" : m.cap;
    }
    $("r-limits").innerHTML = "";
    (d.limits || []).forEach(function (l, i) { $("r-limits").appendChild(limitRow(l, i)); });
  }

  function read() {
    var d = { name: $("r-name").value.trim(), description: $("r-description").value.trim() || null,
      status: $("r-status").value, priority: toNumber($("r-priority").value.trim() || "0"), stop: $("r-stop").checked };
    var sourceKind = $("r-source-kind").value;
    d.source = sourceKind === "connector" ? { connector: $("r-source-connector").value }
      : (sourceKind === "event_type" ? { event_type: $("r-source-type").value } : { any: true });
    d.active_from = fromPicker($("r-from").value.trim());
    d.active_until = fromPicker($("r-until").value.trim());
    if (nested) {
      try { d.conditions = JSON.parse($("r-conditions-json").value); } catch (e) { d.conditions = $("r-conditions-json").value; }
    } else {
      var rows = Array.prototype.slice.call($("r-conditions").children).map(readCondition);
      if (rows.length) { d.conditions = {}; d.conditions[$("r-combinator").value] = rows; } else { d.conditions = null; }
    }
    var kind = $("r-reward-kind").value;
    if (kind === "fixed") d.reward = { fixed: toNumber($("r-fixed").value.trim()) };
    if (kind === "points_per_unit") d.reward = { points_per_unit: { counter: $("r-ppu-counter").value.trim(),
      per: toNumber($("r-ppu-per").value.trim() || "1"), points: toNumber($("r-ppu-points").value.trim() || "1"),
      rounding: $("r-ppu-rounding").value, cap: optionalNumber("r-ppu-cap") } };
    if (kind === "multiplier") d.reward = { multiplier: { factor: toNumber($("r-mult-factor").value.trim()),
      rounding: $("r-mult-rounding").value, cap: optionalNumber("r-mult-cap") } };
    d.limits = Array.prototype.slice.call($("r-limits").children).map(readLimit);
    return d;
  }

  function sync() {
    var text = JSON.stringify(read(), null, 2);
    hidden.value = text;
    if (document.activeElement !== jsonBox) jsonBox.value = text;
  }

  $("r-add-condition").addEventListener("click", function () {
    var list = $("r-conditions"); list.appendChild(conditionRow(null, list.children.length)); sync();
    list.lastChild.querySelector("input").focus();
  });
  $("r-add-limit").addEventListener("click", function () {
    var list = $("r-limits"); list.appendChild(limitRow(null, list.children.length)); sync();
  });
  $("r-reward-kind").addEventListener("change", function () { showReward(this.value); });
  $("r-source-kind").addEventListener("change", function () { showSource(this.value); });
  $("r-combinator").addEventListener("change", function () {
    var current = read(); fill(current); sync();  // renumber the field paths under the new group
  });
  $("r-apply-json").addEventListener("click", function () {
    try { fill(JSON.parse(jsonBox.value)); $("r-json-error").textContent = ""; sync(); }
    catch (e) { $("r-json-error").textContent = "Not valid JSON: " + e.message; }
  });
  form.addEventListener("input", function (e) { if (e.target !== jsonBox) sync(); });
  form.addEventListener("change", function (e) { if (e.target !== jsonBox) sync(); });
  form.addEventListener("submit", sync);

  var start;
  try { start = JSON.parse(hidden.value); } catch (e) { start = null; }
  if (start && typeof start === "object") { fill(start); jsonBox.value = hidden.value; }
  sync();
  if (start && typeof start === "object" && hidden.value !== JSON.stringify(start, null, 2)) { /* normalised by the form */ }
  window.InboundMarkFieldError && window.InboundMarkFieldError();
})();
