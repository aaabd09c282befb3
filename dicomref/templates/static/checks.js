// dicomref: the checks of `dicomref validate` in the browser. A port of dicomref/validate/engine.py (the
// reference) evaluating the rules static/rules.js holds in the form dicomref/validate/script.py writes; the
// value checks are those of dicomref/aggregate/validate.py vr_problem, with pydicom's patterns from the same
// script. The report has the shape of one line of `dicomref validate --json`.
(function () {
  "use strict";

  var SOP_CLASS_UID = "00080016", SOP_INSTANCE_UID = "00080018";
  var MEDIA_SOP_CLASS_UID = "00020002", MEDIA_SOP_INSTANCE_UID = "00020003", DATASET_PADDING = "FFFCFFFC";
  var CONTENT_SEQUENCE = "0040A730";
  var NUMERIC_VRS = set("US SS UL SL SV UV FL FD DS IS");
  var NO_VM_CHECK = set("SQ LT ST UT UR OB OW OF OD OL OV UN");
  var SINGLE_VALUE_VRS = set("LT ST UT UR");
  var BINARY_VRS = set("US SS UL SL SV UV FL FD AT");
  var VALIDATED = set("AE AS CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SS ST SV TM UI UL UR US UV");
  var IS_RANGE = [-Math.pow(2, 31), Math.pow(2, 31) - 1];

  function set(words) { return words.split(" ").reduce(function (o, w) { o[w] = true; return o; }, {}); }
  function display(key) { return "(" + key.slice(0, 4) + "," + key.slice(4) + ")"; }

  // ---- The rules, unpacked once ---------------------------------------------------------------------
  var R = null, modules = null, regexes = null, controls = null, allowedCache = {};
  function use(rules) {
    R = rules;
    modules = {};
    rules.m.forEach(function (m) {
      var rows = m[2] ? m[2].split(";").map(function (text) {
        var f = text.split(" ");
        function at(i) { return f[i] === undefined || f[i] === "" ? -1 : parseInt(f[i], 10); }
        var condition = at(3), enumerated = at(4), defined = at(5);
        return {
          tag: f[0], path: rules.p[at(1)], type: f[2] || "",
          condition: condition < 0 ? null : rules.c[condition],
          enumerated: enumerated < 0 ? [] : rules.t[enumerated],
          defined: defined < 0 ? [] : rules.t[defined]
        };
      }) : [];
      var top = {}, tree = false;
      rows.forEach(function (row) {
        if (!row.path.length) top[row.tag] = true;
        if (row.path.indexOf(CONTENT_SEQUENCE) >= 0) tree = true;
      });
      modules[m[0]] = { id: m[0], name: m[1], rows: rows, top: top, contentTree: tree };
    });
    regexes = {}; controls = {};
    Object.keys(rules.v.patterns).forEach(function (vr) { regexes[vr] = new RegExp(rules.v.patterns[vr]); });
    Object.keys(rules.v.control).forEach(function (vr) { controls[vr] = new RegExp(rules.v.control[vr]); });
  }
  function moduleAt(index) { return index < 0 ? null : modules[R.m[index][0]]; }

  // ---- Values --------------------------------------------------------------------------------------------
  var FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
  function pyFloat(text) {  // Python's float(text), None where it raises
    text = text.trim();
    if (FLOAT.test(text)) return parseFloat(text.replace(/_/g, ""));
    var word = text.toLowerCase().replace(/^[+-]/, "");
    if (word === "inf" || word === "infinity") return text[0] === "-" ? -Infinity : Infinity;
    if (word === "nan") return NaN;
    return null;
  }
  function number(text) {  // engine._number: '16', '1.0', hexadecimal '0001H'
    text = text.trim();
    var last = text.slice(-1);
    if (last === "H" || last === "h") {
      var digits = text.slice(0, -1).trim().replace(/_/g, "");
      var m = /^([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/.exec(digits);
      return m ? (m[1] === "-" ? -1 : 1) * parseInt(m[2], 16) : null;
    }
    return pyFloat(text);
  }
  function same(vr, value, term) {
    if (NUMERIC_VRS[vr]) {
      var a = number(value), b = number(term);
      if (a !== null && b !== null) return a === b;
    }
    return value.trim() === term.trim();
  }
  function values(element) {
    if (!element.text) return [];
    return SINGLE_VALUE_VRS[element.vr] ? [element.text] : element.text.split("\\");
  }
  function length(text) { return Array.from(text).length; }

  function vrProblem(vr, text) {  // aggregate/validate.py vr_problem (values are never cut short here)
    var control = controls[vr];
    if (control && control.test(text)) return "control characters that VR " + vr + " does not allow";
    if (!VALIDATED[vr] || BINARY_VRS[vr]) return null;
    var list = SINGLE_VALUE_VRS[vr] ? [text] : text.split("\\");
    for (var i = 0; i < list.length; i++) {
      var problem = list[i] && valueProblem(vr, list[i]);
      if (problem) return problem;
    }
    return null;
  }
  function valueProblem(vr, value) {
    var limit = R.v.limits[vr] || 0;
    if (limit && length(value) > limit) return "longer than the " + limit + " characters VR " + vr + " allows";
    var pattern = regexes[vr];
    if (pattern && (!pattern.test(value) || value.slice(-1) === "\n")) {
      return "not a valid " + vr + " value: expected " + R.v.formats[vr];
    }
    if (vr === "PN") {
      var groups = value.split("=");
      if (groups.length > 3 || groups.some(function (g) { return length(g) > 64; })) {
        return "PN with more than three component groups, or a component over 64 characters";
      }
    }
    if (vr === "IS") {
      var n = parseInt(value.trim(), 10);
      if (n < IS_RANGE[0] || n > IS_RANGE[1]) return "IS outside the range of a 32-bit signed integer";
    }
    return null;
  }
  function vmFits(vm, count) {
    if (count === 0) return true;
    var dash = vm.indexOf("-"), low = dash < 0 ? vm : vm.slice(0, dash), high = dash < 0 ? "" : vm.slice(dash + 1);
    if (!/^\s*[+-]?\d+\s*$/.test(low)) return true;
    var minimum = parseInt(low, 10);
    if (!high) return count === minimum;
    if (high.slice(-1) === "n") {
      var step = high.length > 1 ? parseInt(high.slice(0, -1), 10) : 1;
      return count >= minimum && count % step === 0;
    }
    return minimum <= count && count <= parseInt(high, 10);
  }

  // ---- Conditions ------------------------------------------------------------------------------------------
  function find(scope, key) {
    for (var i = 0; i < scope.items.length; i++) {
      if (scope.items[i].elements.hasOwnProperty(key)) return [scope.items[i].elements[key], true];
    }
    return [null, scope.items.every(function (item) { return item.complete; })];
  }
  function evaluate(condition, scope) {
    if (condition.op === "not-evaluated") return null;
    if (condition.op === "not-required-by-iod") {
      return !condition.tags.every(function (t) { return scope.requires.indexOf(t) >= 0; });
    }
    if (condition.op === "and" || condition.op === "or") {
      var results = condition.terms.map(function (t) { return evaluate(t, scope); });
      if (condition.op === "and") return results.indexOf(false) >= 0 ? false : results.indexOf(null) >= 0 ? null : true;
      return results.indexOf(true) >= 0 ? true : results.indexOf(null) >= 0 ? null : false;
    }
    return test(condition, scope);
  }
  function test(t, scope) {
    var found = find(scope, t.tag), element = found[0], certain = found[1];
    if (element === null) {
      if (!certain && (t.op === "present" || t.op === "absent")) return null;
      return t.op === "absent";
    }
    if (t.op === "present" || t.op === "absent") return t.op === "present";
    if (t.op === "has-value") return !element.empty;
    var list = values(element);
    if (t.position !== null) list = list.slice(t.position - 1, t.position);
    function any() {
      return list.some(function (v) { return t.values.some(function (term) { return same(element.vr, v, term); }); });
    }
    if (t.op === "equals" || t.op === "includes") return any();
    if (t.op === "not-equals") return list.length > 0 && !any();
    var numbers = list.map(number).filter(function (n) { return n !== null; });
    var limit = t.values.length ? number(t.values[0]) : null;
    if (!numbers.length || limit === null) return false;
    return t.op === "greater" ? numbers[0] > limit : numbers[0] < limit;
  }

  // ---- The engine ----------------------------------------------------------------------------------------
  function name(key) {
    var entry = R.d[key];
    return entry ? entry[1] + " " + display(key) : display(key);
  }
  function textOf(root, key) {
    var element = root.elements[key];
    return element && element.text ? element.text.replace(/^[\0 ]+|[\0 ]+$/g, "") : "";
  }
  function finding(severity, code, tag, path, module, type, message, conditional) {
    return { severity: severity, code: code, tag: tag, path: path, module: module, type: type, message: message,
      conditional: !!conditional };
  }
  function allowed(iodId) {
    if (!allowedCache[iodId]) {
      var tags = {};
      R.i[iodId][1].forEach(function (usage) {
        var module = moduleAt(usage[0]);
        if (module) Object.keys(module.top).forEach(function (t) { tags[t] = true; });
      });
      allowedCache[iodId] = tags;
    }
    return allowedCache[iodId];
  }
  function appliedModules(root, iodId) {
    var iod = R.i[iodId], mandatory = {}, out = [];
    iod[1].forEach(function (u) {
      var module = moduleAt(u[0]);
      if (u[1] === "M" && module) Object.keys(module.top).forEach(function (t) { mandatory[t] = true; });
    });
    iod[1].forEach(function (u) {
      var module = moduleAt(u[0]);
      if (!module) return;
      if (u[1] === "M") out.push(module);
      else if (u[2] >= 0 && evaluate(R.c[u[2]], { items: [root], requires: iod[3] }) === true) out.push(module);
      else if (Object.keys(module.top).some(function (t) { return !mandatory[t] && root.elements.hasOwnProperty(t); })) {
        out.push(module);
      }
    });
    return out;
  }
  function typeOf(iodId, row, moduleName) {
    var overrides = R.i[iodId][2];
    for (var i = 0; i < overrides.length; i++) {
      var o = overrides[i], path = R.p[o[1]];
      if (o[0] === row.tag && path.join(" ") === row.path.join(" ") && o[2].toLowerCase() === moduleName.toLowerCase()) {
        return o[3];
      }
    }
    return row.type;
  }
  function scopesOf(root, path, requires) {
    var scopes = [{ items: [root], tags: [], requires: requires }];
    path.forEach(function (key) {
      var deeper = [];
      scopes.forEach(function (s) {
        var element = s.items[0].elements[key];
        if (!element) return;
        (element.items || []).forEach(function (child) {
          deeper.push({ items: [child].concat(s.items), tags: s.tags.concat([element.tag]), requires: requires });
        });
      });
      scopes = deeper;
    });
    return scopes;
  }
  function rowFindings(row, type, moduleName, scope, out) {
    var element = scope.items[0].elements.hasOwnProperty(row.tag) ? scope.items[0].elements[row.tag] : null;
    var certain = scope.items[0].complete, path = scope.tags, base = type.replace(/C+$/, "");
    var required = false, conditional = false;
    if (type === "1" || type === "2") required = true;
    else if ((type === "1C" || type === "2C") && row.condition !== null) {
      var holds = evaluate(row.condition, scope);
      required = holds === true; conditional = true;
      if (holds === null && element === null && row.condition.op === "not-evaluated") {
        out.push(finding("info", "condition", row.tag, path, moduleName, type,
          name(row.tag) + " absent; condition not evaluated: " + row.condition.text));
      }
    }
    if (element === null) {
      if (required && (certain || !opaque(row.tag))) {
        out.push(finding("error", "missing", row.tag, path, moduleName, type, name(row.tag) + " is missing (Type " +
          type + (/C$/.test(type) ? "; its condition holds" : "") + ")", conditional));
      }
      return;
    }
    if (element.empty && base === "1" && (required || type === "1C")) {
      out.push(finding("error", "empty", row.tag, path, moduleName, type, name(row.tag) + " is empty (Type " + type + ")",
        conditional));
      return;
    }
    var list = values(element);
    [["enumerated", row.enumerated], ["defined-term", row.defined]].forEach(function (pair) {
      var position = outside(pair[1], element.vr, list);
      if (position === null) return;
      if (pair[0] === "enumerated") {
        out.push(finding("error", "enumerated", row.tag, path, moduleName, type,
          name(row.tag) + " value " + position + " is not one of the enumerated values"));
      } else {
        out.push(finding("warning", "defined-term", row.tag, path, moduleName, type,
          name(row.tag) + " value " + position + " is not a defined term"));
      }
    });
  }
  function opaque(key) {
    var entry = R.d[key];
    return !entry || entry[2] === "SQ" || entry[2].indexOf("OB") >= 0;
  }
  function outside(terms, vr, list) {  // the first position whose value is outside the terms allowed there
    for (var index = 1; index <= list.length; index++) {
      var value = list[index - 1];
      if (!value.trim()) continue;
      for (var i = 0; i < terms.length; i++) {
        var position = terms[i][0], allowedTerms = terms[i][1];
        if ((position === null || position === index) &&
          !allowedTerms.some(function (term) { return same(vr, value, term); })) return index;
      }
    }
    return null;
  }
  function walk(item, path, out) {
    item.order.forEach(function (key) {
      var element = item.elements[key];
      out.push([path, key, element]);
      (element.items || []).forEach(function (child) { walk(child, path.concat([element.tag]), out); });
    });
    return out;
  }
  function elementFindings(root, iodId, out) {
    var inIod = allowed(iodId);
    walk(root, [], []).forEach(function (found) {
      var path = found[0], key = found[1], element = found[2], entry = R.d[key];
      if (!entry) return;
      var n = name(key), kind = key.slice(0, 4) === "0000" ? "command" : key.slice(0, 4) === "0002" ? "meta" : "data";
      if (!path.length && kind === "data" && !inIod[key] && key !== DATASET_PADDING) {
        out.push(finding("warning", "not-in-iod", key, path, "", "", n + " is not in the " + iodId + " IOD"));
      }
      if (entry[4]) out.push(finding("warning", "retired", key, path, "", "", n + " is retired"));
      var vr = element.vr, expected = entry[2];
      if (vr !== "UN" && vr !== "" && vr !== expected && expected.split(" or ").indexOf(vr) < 0 && expected !== "NONE") {
        out.push(finding("error", "vr", key, path, "", "", n + " has VR " + vr + ", expected " + expected));
        return;
      }
      if (element.text && !element.empty) {
        var problem = vrProblem(vr, element.text);
        if (problem) out.push(finding("error", "vr", key, path, "", "", n + ": " + problem));
        else if (!NO_VM_CHECK[vr] && !vmFits(entry[3], values(element).length)) {
          out.push(finding("error", "vm", key, path, "", "", n + " has " + values(element).length + " values, VM " +
            entry[3] + " expected"));
        }
      }
    });
  }
  function metaFindings(root, out) {
    [[MEDIA_SOP_CLASS_UID, SOP_CLASS_UID], [MEDIA_SOP_INSTANCE_UID, SOP_INSTANCE_UID]].forEach(function (pair) {
      var meta = textOf(root, pair[0]), data = textOf(root, pair[1]);
      if (meta && data && meta !== data) {
        out.push(finding("error", "meta", pair[0], [], "file meta", "", name(pair[0]) +
          " in the file meta differs from " + name(pair[1])));
      }
    });
  }
  function keyOfTag(tag) { return window.DicomrefDicom.keyFor(parseInt(tag, 16)) || tag; }

  // The report of one view: {sop_class_uid, iod, problem, findings}.
  function check(root) {
    var sop = textOf(root, SOP_CLASS_UID) || textOf(root, MEDIA_SOP_CLASS_UID);
    var iodId = R.s.hasOwnProperty(sop) ? R.s[sop] : null;
    if (iodId === null) {
      return { sop_class_uid: sop, iod: null, problem: sop ? "unknown SOP class " + sop : "no SOP Class UID",
        findings: [] };
    }
    var raw = [];
    appliedModules(root, iodId).forEach(function (module) {
      if (module.contentTree) return;
      var scopes = {};
      module.rows.forEach(function (row) {
        var type = typeOf(iodId, row, module.name), key = row.path.join(" ");
        if (!scopes.hasOwnProperty(key)) scopes[key] = scopesOf(root, row.path, R.i[iodId][3]);
        scopes[key].forEach(function (scope) { rowFindings(row, type, module.name, scope, raw); });
      });
    });
    elementFindings(root, iodId, raw);
    metaFindings(root, raw);
    var seen = {}, findings = [];
    raw.forEach(function (f) {
      var id = f.code + "|" + f.tag + "|" + f.path.join(" ");
      if (seen[id]) return;
      seen[id] = true;
      f.where = f.path.map(function (t) { return name(keyOfTag(t)) + " > "; }).join("");
      f.page = window.DICOMREF_URLS.folders.attribute + "/" + f.tag + "/";
      findings.push(f);
    });
    return { sop_class_uid: sop, iod: iodId, problem: null, findings: findings };
  }

  window.DicomrefChecks = { use: use, check: check, name: name };
})();
