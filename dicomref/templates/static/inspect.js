// dicomref: the inspect page. Files chosen or dropped are read here (static/dicom.js) and checked (static/checks.js)
// with the rules of static/rules.js, loaded the first time a file is chosen; nothing is sent anywhere. Every value
// from a file reaches the page as textContent, never as markup.
(function () {
  "use strict";

  var section = document.getElementById("inspect");
  if (!section) return;
  var root = section.getAttribute("data-root") || "";
  var input = document.getElementById("inspect-files");
  var drop = document.getElementById("inspect-drop");
  var status = document.getElementById("inspect-status");
  var out = document.getElementById("inspect-out");
  var saveAll = document.getElementById("inspect-save-all");
  var D = window.DicomrefDicom, C = window.DicomrefChecks, count = D.count;
  var rules = null, loading = null, opened = 0, reports = [];
  var SHOWN_VALUE = 240, SHOWN_MATCHES = 500, SHOWN_ELEMENTS = 2000;
  section.hidden = false;

  function loadRules() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = section.getAttribute("data-rules");
        script.onload = function () {
          rules = window.DICOMREF_RULES;
          D.use(rules); C.use(rules);
          resolve(rules);
        };
        script.onerror = function () { loading = null; reject(new Error("the rules could not be loaded")); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // ---- Small DOM helpers: text only ---------------------------------------------------------------------
  function el(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function link(href, text) { var a = el("a", "", text); a.href = href; return a; }
  function pageOf(kind, id) { return root + window.DICOMREF_URLS.folders[kind] + "/" + id + "/"; }
  function plural(n, word, many) { return count(n) + " " + (n === 1 ? word : many || word + "s"); }
  function cut(text) { return text.length > SHOWN_VALUE ? text.slice(0, SHOWN_VALUE - 1) + "…" : text; }
  function visible(text) {  // control characters as their symbols, as the site's pages show them
    return text.replace(/[\x00-\x1f\x7f]/g, function (c) {
      return c === "\x7f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0));
    });
  }

  // ---- Describing an element -------------------------------------------------------------------------------
  function describe(e) {
    var tag = D.hex8(e.tag), key = D.keyFor(e.tag), entry = key ? rules.d[key] : null;
    var group = e.tag >>> 16, element = e.tag & 0xffff;
    var info = { tag: tag, display: D.display(tag), key: key, entry: entry, priv: group % 2 === 1 };
    if (entry) { info.name = entry[1] || entry[0] || "(no name)"; info.keyword = entry[0]; }
    else if (info.priv) info.name = element >= 0x10 && element <= 0xff ? "Private Creator" : "Private tag";
    else if (element === 0) info.name = "Group Length";
    else info.name = "Unknown attribute";
    return info;
  }
  function sortedJson(value) {  // as Python's json.dumps(sort_keys=True, ensure_ascii=False)
    if (Array.isArray(value)) return "[" + value.map(sortedJson).join(", ") + "]";
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ": " + sortedJson(value[k]);
      }).join(", ") + "}";
    }
    return JSON.stringify(value);
  }
  function save(name, list) {
    var blob = new Blob([list.map(sortedJson).join("\n") + "\n"], { type: "application/json" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 0);
  }

  // ---- One file -----------------------------------------------------------------------------------------
  function findingsByPlace(report) {
    var byPlace = {};
    report.findings.forEach(function (f) {
      var place = f.code === "missing" || (f.code === "condition" && f.severity === "info") ?
        (f.path.length ? "in|" + f.path.join(" ") : "") : f.tag + "|" + f.path.join(" ");
      if (!place) return;
      (byPlace[place] = byPlace[place] || []).push(f);
    });
    return byPlace;
  }
  function findingList(findings, className) {
    var list = el("ul", className);
    findings.forEach(function (f) {
      var item = el("li", "finding " + f.severity);
      item.appendChild(el("span", "sev", f.severity));
      item.appendChild(document.createTextNode(" " + f.where + f.message + " "));
      if (f.module) item.appendChild(el("span", "muted small", f.module + (f.type ? " · Type " + f.type : "")));
      list.appendChild(item);
    });
    return list;
  }

  function elementLine(e, path, ctx) {
    var info = describe(e), shown = D.shown(e);
    var line = el("div", "el-line");
    line.appendChild(el("span", "el-tag tag", info.display));
    var nameCell = el("span", "el-name");
    if (info.entry) nameCell.appendChild(link(pageOf("attribute", info.key), info.name));
    else nameCell.appendChild(el("span", "muted", info.name));
    if (info.entry && info.entry[4]) nameCell.appendChild(el("span", "badge ret", "retired"));
    if (info.priv) nameCell.appendChild(el("span", "badge priv", "private"));
    line.appendChild(nameCell);
    line.appendChild(el("span", "el-vr", e.view ? e.view.vr : e.vr));
    line.appendChild(el("span", "el-vm", shown.vm));
    line.appendChild(el("span", "el-len", e.length === 0xFFFFFFFF ? "undefined" : count(e.length)));
    var value = el("span", "el-value", visible(cut(shown.value)));
    if ((e.tag === 0x00080016 || e.tag === 0x00020002 || e.tag === 0x00020010) && rules.u[shown.value]) {
      value.textContent = "";
      value.appendChild(link(pageOf("uid", shown.value), rules.u[shown.value]));
      value.appendChild(el("span", "muted small", " " + shown.value));
    }
    line.appendChild(value);
    var here = path.join(" ");
    var own = ctx.byPlace[(info.key || info.tag) + "|" + here] || [];  // a finding names the dictionary key
    var inside = e.items ? ctx.byPlace["in|" + path.concat([info.tag]).join(" ")] || [] : [];
    return { line: line, findings: own.concat(inside) };
  }

  // A button that shows and hides what `fill` makes, made the first time it is shown.
  function fold(button, holder, fill) {
    var made = null;
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      if (open && !made) { made = fill(); holder.appendChild(made); }
      if (made) made.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    });
  }
  function elementNode(e, path, ctx) {
    var made = elementLine(e, path, ctx), node = el("li", "el");
    if (made.findings.length) node.classList.add("has-findings");
    node.appendChild(made.line);
    if (e.items) {
      node.classList.add("seq");
      var tagCell = made.line.querySelector(".el-tag"), button = el("button", "fold el-tag tag", tagCell.textContent);
      button.setAttribute("aria-label", "Items of " + describe(e).name + " " + tagCell.textContent);
      made.line.replaceChild(button, tagCell);
      fold(button, node, function () {
        var items = el("ol", "items");
        e.items.forEach(function (elements, index) {
          var item = el("li", "item");
          var open = el("button", "fold item-fold", "Item " + (index + 1) + " · " + plural(elements.length, "element"));
          item.appendChild(open);
          fold(open, item, function () { return tree(elements, path.concat([D.hex8(e.tag)]), ctx); });
          items.appendChild(item);
        });
        return items;
      });
    }
    if (made.findings.length) node.appendChild(findingList(made.findings, "el-findings"));
    return node;
  }
  function tree(elements, path, ctx) {
    var list = el("ul", "ds-tree");
    elements.slice(0, SHOWN_ELEMENTS).forEach(function (e) { list.appendChild(elementNode(e, path, ctx)); });
    if (elements.length > SHOWN_ELEMENTS) {
      list.appendChild(el("li", "el muted", plural(elements.length - SHOWN_ELEMENTS, "more element") +
        " not listed; the filter finds them."));
    }
    return list;
  }
  function head() {
    var line = el("div", "el-line el-head");
    line.setAttribute("aria-hidden", "true");
    ["Tag", "Name", "VR", "VM", "Length", "Value"].forEach(function (label) { line.appendChild(el("span", "", label)); });
    return line;
  }

  // Every element whose tag, keyword, name or value holds the query, with the sequence items it is in.
  function matches(elements, query, trail, found) {
    elements.forEach(function (e) {
      if (found.length > SHOWN_MATCHES) return;
      var info = describe(e), shown = D.shown(e);
      var haystack = [info.tag, info.display, info.keyword || "", info.name, shown.value].join("\n").toLowerCase();
      if (haystack.indexOf(query) >= 0) found.push({ e: e, trail: trail });
      (e.items || []).forEach(function (item, index) {
        matches(item, query, trail.concat([{ e: e, index: index }]), found);
      });
    });
    return found;
  }

  function render(file, result, report, number) {
    var article = el("article", "inspect-file");
    article.setAttribute("aria-labelledby", "file-" + number);
    var title = el("h2", "", file.name);
    title.id = "file-" + number;
    article.appendChild(title);
    var facts = el("dl", "facts");
    function fact(label, value) { facts.appendChild(el("dt", "", label)); var dd = el("dd"); dd.append(value); facts.appendChild(dd); }
    fact("Size", plural(file.size, "byte"));
    var syntax = result.syntax;
    fact("Read as", (result.preamble ? "Part 10 file" : result.meta.length ? "file meta without a preamble" :
      "bare dataset") + (syntax ? ", " + (syntax.explicit ? "explicit" : "implicit") + " VR " +
      (syntax.little ? "little" : "big") + " endian" + (result.inflated ? ", deflated" : "") : ""));
    var ts = result.transferSyntax;
    fact("Transfer syntax", ts ? (rules.u[ts] ? link(pageOf("uid", ts), rules.u[ts]) : ts) : "none in the file meta");
    if (report.sop_class_uid) {
      var sop = report.sop_class_uid;
      fact("SOP class", rules.u[sop] ? link(pageOf("uid", sop), rules.u[sop]) : sop);
    }
    if (report.iod) fact("IOD", link(pageOf("iod", report.iod), rules.i[report.iod][0]));
    article.appendChild(facts);
    if (result.error) {
      var alert = el("p", "inspect-error");
      alert.setAttribute("role", "alert");
      alert.textContent = "Reading stopped at byte " + count(result.error.offset) + ": " +
        result.error.message + ". " + (result.meta.length + result.dataset.length ?
        "What was read so far is shown below; the file was not checked." : "Nothing could be read.");
      article.appendChild(alert);
    }
    (result.notes || []).forEach(function (note) { article.appendChild(el("p", "inspect-note", "Note: " + note + ".")); });
    var summary = el("section", "inspect-summary");
    var summaryTitle = el("h3", "", "Findings");
    summaryTitle.id = "findings-" + number;
    summary.setAttribute("aria-labelledby", summaryTitle.id + " " + title.id);
    summary.appendChild(summaryTitle);
    var counts = { error: 0, warning: 0, info: 0 };
    report.findings.forEach(function (f) { counts[f.severity] += 1; });
    summary.appendChild(el("p", "inspect-counts", report.problem && !report.iod ? "Not checked: " + report.problem + "." :
      plural(counts.error, "error") + " · " + plural(counts.warning, "warning") + " · " + count(counts.info) +
      " not evaluated"));
    if (report.findings.length) {
      var every = el("div", "finding-summary"), open = el("button", "fold", "Every finding");
      every.appendChild(open);
      fold(open, every, function () {
        var list = el("ul", "findings");
        report.findings.forEach(function (f) {
          var item = el("li", "finding " + f.severity);
          item.appendChild(el("span", "sev", f.severity));
          item.appendChild(document.createTextNode(" " + f.where));
          item.appendChild(link(root + f.page, f.message));
          if (f.module) item.appendChild(el("span", "muted small", " " + f.module + (f.type ? " · Type " + f.type : "")));
          list.appendChild(item);
        });
        return list;
      });
      summary.appendChild(every);
    }
    var button = el("button", "button", "Save report");
    button.type = "button";
    button.addEventListener("click", function () { save(file.name + ".findings.json", [report]); });
    summary.appendChild(button);
    article.appendChild(summary);

    var ctx = { byPlace: findingsByPlace(report) };
    var filterId = "filter-" + number;
    var label = el("label", "filter-label", "Filter elements by tag, keyword, name or value");
    label.htmlFor = filterId;
    var filter = el("input", "filter");
    filter.type = "search"; filter.id = filterId; filter.autocomplete = "off"; filter.spellcheck = false;
    var filterStatus = el("p", "muted small filter-status");
    filterStatus.setAttribute("aria-live", "polite");
    var matchList = el("ul", "ds-tree matches");
    matchList.hidden = true;
    var metaBlock = el("section", "ds-block"), dataBlock = el("section", "ds-block");
    var metaTitle = el("h3", "", "File meta"), dataTitle = el("h3", "", "Dataset");
    metaTitle.id = "meta-" + number; dataTitle.id = "data-" + number;
    metaBlock.setAttribute("aria-labelledby", metaTitle.id + " " + title.id);
    dataBlock.setAttribute("aria-labelledby", dataTitle.id + " " + title.id);
    metaBlock.appendChild(metaTitle);
    if (result.meta.length) { metaBlock.appendChild(head()); metaBlock.appendChild(tree(result.meta, [], ctx)); }
    else metaBlock.appendChild(el("p", "muted", "No file meta: a bare dataset."));
    dataBlock.appendChild(dataTitle);
    dataBlock.appendChild(head());
    dataBlock.appendChild(tree(result.dataset, [], ctx));
    filter.addEventListener("input", function () {
      var query = filter.value.trim().toLowerCase();
      metaBlock.hidden = dataBlock.hidden = !!query;
      matchList.hidden = !query;
      matchList.textContent = "";
      if (!query) { filterStatus.textContent = ""; return; }
      var found = matches(result.meta.concat(result.dataset), query, [], []);
      found.slice(0, SHOWN_MATCHES).forEach(function (m) {
        var path = m.trail.map(function (t) { return D.hex8(t.e.tag); });
        var node = elementNode(m.e, path, ctx);
        if (m.trail.length) {
          node.insertBefore(el("p", "trail muted small", m.trail.map(function (t) {
            return describe(t.e).name + " " + D.display(D.hex8(t.e.tag)) + " item " + (t.index + 1);
          }).join(" > ")), node.firstChild);
        }
        matchList.appendChild(node);
      });
      filterStatus.textContent = found.length > SHOWN_MATCHES ? "More than " + plural(SHOWN_MATCHES, "element") +
        " match; the first are shown." : plural(found.length, "element") + " match.";
    });
    article.appendChild(label);
    article.appendChild(filter);
    article.appendChild(filterStatus);
    article.appendChild(matchList);
    article.appendChild(metaBlock);
    article.appendChild(dataBlock);
    return article;
  }

  async function inspect(file) {
    var result, report;
    try {
      result = await D.readFile(file);
    } catch (e) {
      result = { meta: [], dataset: [], error: { offset: 0, message: "the file could not be read (" + e.message + ")" } };
    }
    if (!result.error) {
      try {
        report = C.check(D.viewOf(result));
      } catch (e) {  // a fault of this page's, told as such rather than left hanging
        report = { sop_class_uid: null, iod: null, problem: "the checks failed on this file (" + e.message + ")",
          findings: [] };
      }
    } else report = { sop_class_uid: null, iod: null, problem: result.error.message, findings: [] };
    report.path = file.name;
    return { result: result, report: report };
  }

  async function handle(files) {
    files = Array.prototype.slice.call(files);
    if (!files.length) return;
    status.textContent = "Reading " + plural(files.length, "file") + "…";
    try {
      await loadRules();
    } catch (e) {
      status.textContent = "The rules (" + section.getAttribute("data-rules") + ") could not be loaded.";
      return;
    }
    out.textContent = "";
    reports = [];
    var started = performance.now(), made = document.createDocumentFragment();
    for (var i = 0; i < files.length; i++) {
      var done = await inspect(files[i]);
      reports.push(done.report);
      opened += 1;
      made.appendChild(render(files[i], done.result, done.report, opened));
    }
    out.appendChild(made);  // laid out once, not once per file
    var seconds = (performance.now() - started) / 1000;
    status.textContent = plural(files.length, "file") + " read and checked in " + seconds.toFixed(2) + " s, in this browser.";
    saveAll.hidden = files.length < 2;
    window.dicomrefInspect.reports = reports;
    window.dicomrefInspect.done += 1;
  }

  input.addEventListener("change", function () { handle(input.files); });
  saveAll.addEventListener("click", function () { save("findings.jsonl", reports); });
  drop.addEventListener("dragover", function (event) { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files) handle(event.dataTransfer.files);
  });
  window.dicomrefInspect = { reports: reports, done: 0 };
})();
