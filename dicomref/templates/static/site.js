// dicomref: search as you type, copy buttons, '/' to focus search. No network requests beyond our own files.
(function () {
  "use strict";
  var box = document.querySelector(".search");
  if (!box) return;
  var root = box.getAttribute("data-root") || "";
  var input = document.getElementById("q");
  var list = document.getElementById("results");
  var status = box.querySelector(".search-status");
  var index = null, loading = null, active = -1, LIMIT = 20;

  function loadIndex() {
    if (index) return Promise.resolve(index);
    if (loading) return loading;
    loading = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = root + "static/search-index.js";
      s.onload = function () { index = window.DICOMREF_INDEX; resolve(index); };
      s.onerror = function () { reject(new Error("index")); };
      document.head.appendChild(s);
    });
    return loading;
  }

  function tagQuery(q) {
    var t = q.toUpperCase().replace(/^\(|\)$/g, "").replace(/^0X/, "");
    var m = t.match(/^([0-9A-FX]{4})[,\s]+([0-9A-FX]{0,4})$/);
    if (m) return m[1] + m[2];
    if (/^[0-9A-FX]{4,8}$/.test(t) && /\d/.test(t)) return t;
    return null;
  }

  function tagMatches(tag, q) {
    var t = tag.toUpperCase();
    if (t.slice(0, q.length) === q) return true;
    for (var i = 0; i < q.length; i++) if (t[i] !== q[i] && t[i] !== "X") return false;
    return true;
  }

  function score(row, q, words, tq) {
    var tag = row[0], kw = row[1].toLowerCase(), name = row[2].toLowerCase(), s = 0;
    if (tq) {
      if (tag.toUpperCase() === tq) s = 1000;
      else if (tagMatches(tag, tq)) s = 800 - tag.length;
    }
    var ql = q.toLowerCase().replace(/\s+/g, "");
    if (kw === ql) s = Math.max(s, 900);
    else if (ql && kw.indexOf(ql) === 0) s = Math.max(s, 700 - kw.length);
    else if (ql.length > 2 && kw.indexOf(ql) > 0) s = Math.max(s, 400 - kw.length);
    if (words.length) {
      var all = words.every(function (w) { return name.indexOf(w) >= 0; });
      if (all) s = Math.max(s, 500 - name.length + (name.indexOf(words[0]) === 0 ? 50 : 0));
    }
    if (s && row[4]) s -= 5;
    return s;
  }

  function search(q) {
    var words = q.toLowerCase().split(/[^a-z0-9']+/).filter(Boolean);
    var tq = tagQuery(q.trim());
    var hits = [];
    index.rows.forEach(function (row) {
      var s = score(row, q.trim(), words, tq);
      if (s > 0) hits.push([s, row]);
    });
    hits.sort(function (a, b) { return b[0] - a[0] || (a[1][0] < b[1][0] ? -1 : 1); });
    return hits;
  }

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }

  function render(q) {
    list.textContent = "";
    active = -1;
    if (!q.trim()) { list.hidden = true; input.setAttribute("aria-expanded", "false"); status.textContent = ""; return; }
    var hits = search(q);
    hits.slice(0, LIMIT).forEach(function (hit, i) {
      var row = hit[1], li = el("li"), a = el("a");
      li.setAttribute("role", "option");
      li.id = "result-" + i;
      a.href = root + "attributes/" + row[0] + "/index.html";
      a.tabIndex = -1;
      a.appendChild(el("code", "tag", "(" + row[0].slice(0, 4) + "," + row[0].slice(4) + ")"));
      a.appendChild(el("span", "name", row[2] + (row[4] ? " (retired)" : "")));
      a.appendChild(el("span", "vr", row[3]));
      a.appendChild(el("span", "kw", row[1]));
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    status.textContent = hits.length ? hits.length + " match" + (hits.length === 1 ? "" : "es") : "No attribute matches";
  }

  function move(step) {
    var items = list.querySelectorAll("li");
    if (!items.length) return;
    if (active >= 0) items[active].setAttribute("aria-selected", "false");
    active = (active + step + items.length) % items.length;
    items[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", items[active].id);
    items[active].scrollIntoView({ block: "nearest" });
  }

  function update() {
    var q = input.value.slice(0, 200);
    var url = new URL(window.location.href);
    if (q) url.searchParams.set("q", q); else url.searchParams.delete("q");
    try { history.replaceState(null, "", url.toString()); } catch (e) { /* file:// may refuse */ }
    loadIndex().then(function () { render(input.value.slice(0, 200)); }, function () { status.textContent = "Search index could not be loaded"; });
  }

  input.addEventListener("input", update);
  input.addEventListener("focus", function () { loadIndex().catch(function () {}); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter") {
      var items = list.querySelectorAll("li a");
      var target = items[active >= 0 ? active : 0];
      if (target) { e.preventDefault(); window.location.href = target.href; }
    } else if (e.key === "Escape") { list.hidden = true; input.setAttribute("aria-expanded", "false"); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== input && !/INPUT|TEXTAREA/.test(document.activeElement.tagName)) { e.preventDefault(); input.focus(); }
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy") : null;
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1200); }, function () {});
  });
  var initial = new URL(window.location.href).searchParams.get("q");
  if (initial) { input.value = initial; update(); }
})();
