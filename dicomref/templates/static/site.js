// dicomref: search as you type, the search results page, copy buttons, '/' to focus search. No network
// requests beyond our own files. The query rules, tiers and relevance repeat dicomref/search/query.py and
// engine.py; the index format is described in dicomref/site/search_index.py. Text from the index only ever
// reaches the page as textContent.
(function () {
  "use strict";

  var LIMIT = 10, MAX_QUERY = 200, MAX_WORDS = 12, FUZZY_LENGTH = 5, PROMINENCE_WEIGHT = 0.15;
  var TIER = {
    ANY_WORD: 0, ANYWHERE: 1, DESCRIPTION: 2, KEYWORD_PREFIX: 3, NAME_PARTIAL: 4, VALUE: 5, NAME: 6,
    TAG_PREFIX: 7, KEYWORD: 8, TAG: 9
  };
  var CURRENT = 50, REQUIRED_SPAN = 40, MOST_IODS = 200, TEXT_SPAN = 0.19;
  // The kinds and their folders, from dicomref/urls.py through the generated static/urls.js.
  var URLS = window.DICOMREF_URLS;
  var KINDS = URLS.kinds, FOLDERS = URLS.folders, KIND_NAMES = URLS.titles;
  var DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  // Whoosh's stop words: the description field does not index them.
  var STOP = {};
  ("tbd or us have as to yet you and are we it that with on for from if may an be your will by when at of the this a in not can is")
    .split(" ").forEach(function (w) { STOP[w] = true; });
  var YES = { y: 1, ye: 1, yes: 1, t: 1, tr: 1, tru: 1, "true": 1, "1": 1 };
  var NO = { n: 1, no: 1, f: 1, fa: 1, fal: 1, fals: 1, "false": 1, "0": 1 };

  // ---- The query --------------------------------------------------------------------------
  var FILTER = /(^|\s)(vr|retired|module|kind):(\S*)/ig;
  var UID = /^[0-9]+(?:\.[0-9]*)+$/;
  var GROUP_AND_ELEMENT = /^\(?\s*(?:0x)?([0-9a-fx]{4})\s*[,\s]\s*(?:0x)?([0-9a-fx]{0,4})\s*\)?$/i;
  var HEX_RUN = /^\(?\s*(?:0x)?([0-9a-fx]{1,8})\s*\)?$/i;

  function parseTag(text) {
    var m = GROUP_AND_ELEMENT.exec(text) || HEX_RUN.exec(text);
    if (!m) return null;
    var typed = (m[1] || "") + (m[2] || "");
    if (!/[0-9]/.test(typed)) return null;
    return typed.toUpperCase().replace(/X/g, "x");
  }

  function tagMatches(key, typed) {
    if (typed.length > key.length) return false;
    for (var i = 0; i < typed.length; i++) if (key[i] !== typed[i] && key[i] !== "x") return false;
    return true;
  }

  function retiredValue(value) {
    value = value.toLowerCase();
    if (!value) return null;
    if (YES.hasOwnProperty(value)) return "yes";
    if (NO.hasOwnProperty(value)) return "no";
    return value;
  }

  function kindValue(value) {
    value = value.toLowerCase().replace(/s$/, "");
    if (!value) return null;
    var matches = KINDS.filter(function (k) { return k.indexOf(value) === 0; });
    return matches.length === 1 ? matches[0] : value;
  }

  function parseQuery(text) {
    text = text.slice(0, MAX_QUERY);
    var filters = {};
    var rest = text.replace(FILTER, function (all, space, name, value) { filters[name.toLowerCase()] = value; return " "; }).trim();
    var words = (rest.toLowerCase().match(/[a-z0-9]+/g) || []).slice(0, MAX_WORDS);
    var q = {
      words: words,
      compact: words.join(""),
      tag: parseTag(rest),
      vr: (filters.vr || "").toUpperCase() || null,
      retired: retiredValue(filters.retired || ""),
      module: (filters.module || "").toLowerCase() || null,
      kind: kindValue(filters.kind || ""),
      uid: UID.test(rest) ? rest : null,
      value: words.join(" ")
    };
    q.filtered = q.vr !== null || q.retired !== null || q.module !== null || q.kind !== null;
    q.empty = !words.length && q.tag === null && !q.filtered;
    return q;
  }

  // ---- The index --------------------------------------------------------------------------
  var DIGIT_VALUE = {};
  for (var d = 0; d < DIGITS.length; d++) DIGIT_VALUE[DIGITS[d]] = d;

  function ids(text) {
    var out = [];
    for (var i = 0; i + 1 < text.length; i += 2) out.push(DIGIT_VALUE[text[i]] * 62 + DIGIT_VALUE[text[i + 1]]);
    return out;
  }

  function tokens(text) { return text.toLowerCase().match(/[a-z0-9]+/g) || []; }

  function keywordFromName(name) {
    return name.replace(/'s/g, "").split(/[^A-Za-z0-9]+/).filter(Boolean)
      .map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join("");
  }

  function slug(name) { return tokens(name).join("-"); }

  // The keyword a query spelled as one word must equal: none when it is just the name's one word (Date, UID).
  function exactKeyword(keyword, nameTokens) {
    var kw = (keyword || nameTokens.join("")).toLowerCase();
    return nameTokens.length === 1 && nameTokens[0] === kw ? "" : kw;
  }

  function document_(kind, id, keywordField, nameIds, flagDigit, terms, required, words, wordTokens) {
    var name = nameIds.map(function (i) { return words[i]; }).join(" ");
    var keyword = keywordField === "-" ? "" : keywordField || (kind === "attribute" || kind === "uid" ? keywordFromName(name) : "");
    var nameTokens = [];
    nameIds.forEach(function (i) { nameTokens.push.apply(nameTokens, wordTokens[i]); });
    var flags = DIGIT_VALUE[flagDigit];
    return {
      kind: kind, id: id, keyword: keyword, kw: exactKeyword(keyword, nameTokens), name: name, vr: "", what: "",
      retired: flags >= 16, prominence: flags % 16, required: required ? ids(required)[0] : 0, modules: [],
      terms: ids(terms), tokens: nameTokens, examples: [], exampleTokens: [], values: [], valueText: {}
    };
  }

  function decode(raw) {
    if (!raw || raw.format !== 3) throw new Error("unknown search index format");
    var words = raw.words.split(" "), vrs = raw.vrs.split("|"), terms = raw.terms.split(" "), whats = raw.whats.split("|");
    var wordTokens = words.map(tokens);
    var vocabulary = {};  // every name token, once
    wordTokens.forEach(function (list) { list.forEach(function (t) { vocabulary[t] = true; }); });
    var group = "", rows = raw.rows.split(";").map(function (line) {
      var f = line.split("|");
      var tag = f[0].length === 4 ? group + f[0] : f[0];
      group = tag.slice(0, 4);
      var row = document_("attribute", tag, f[1], ids(f[2]), f[4], f[6], f[7], words, wordTokens);
      row.vr = vrs[DIGIT_VALUE[f[3]]];
      row.what = "Attribute";
      row.modules = ids(f[5]);
      return row;
    });
    raw.examples.forEach(function (e) {
      var row = rows[e[0]];
      row.examples = e.slice(1);
      row.exampleTokens = tokens(row.examples.join(" "));
    });
    raw.valued.forEach(function (v) {
      var row = rows[v[0]];
      v.slice(1).forEach(function (n) {
        var normal = tokens(raw.values[n]).join(" ");
        row.values.push(normal);
        row.valueText[normal] = raw.values[n];
      });
    });
    var LETTERS = { m: ["module", "Module"], c: ["macro", "Macro"], i: ["iod", "IOD"] };
    var others = raw.others ? raw.others.split(";").map(function (line) {
      var f = line.split("|");
      var kind = LETTERS[f[0]] || ["uid", whats[DIGIT_VALUE[f[0]]]];
      var nameIds = ids(f[3]);
      var row = document_(kind[0], f[1], f[2], nameIds, f[4], f[5], f[6], words, wordTokens);
      if (!row.id) row.id = slug(row.name);
      row.what = kind[1];
      return row;
    }) : [];
    return { rows: rows.concat(others), terms: terms, modules: raw.modules, vocabulary: Object.keys(vocabulary) };
  }

  // ---- Ranking ----------------------------------------------------------------------------
  function withinOneEdit(a, b) {
    if (Math.abs(a.length - b.length) > 1) return false;
    var i = 0, j = 0, edits = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { i++; j++; continue; }
      if (++edits > 1) return false;
      if (a.length > b.length) i++;
      else if (a.length < b.length) j++;
      else if (a[i + 1] === b[j] && a[i] === b[j + 1]) { i += 2; j += 2; }  // transposed letters
      else { i++; j++; }
    }
    return edits + (a.length - i) + (b.length - j) <= 1;
  }

  // How well each token matches a word: 3 the same, 2 it starts with the word, 1 one typo away (fuzzy only).
  function matcher(list, word, fuzzy) {
    var quality = {};
    list.forEach(function (t) {
      if (t === word) quality[t] = 3;
      else if (t.indexOf(word) === 0) quality[t] = 2;
      else if (fuzzy && word.length >= FUZZY_LENGTH && t[0] === word[0] && withinOneEdit(t, word)) quality[t] = 1;
    });
    return quality;
  }

  function best(list, quality) {
    var b = 0;
    for (var i = 0; i < list.length; i++) if (quality[list[i]] > b) b = quality[list[i]];
    return b;
  }

  function moduleSet(index, wanted) {
    var ids = {}, exact = false;
    index.modules.forEach(function (m) { if (m[0] === wanted) exact = true; });
    index.modules.forEach(function (m, i) { if (exact ? m[0] === wanted : m[0].indexOf(wanted) === 0) ids[i] = true; });
    return ids;
  }

  function passes(row, q, modules) {
    if (q.kind !== null && row.kind !== q.kind) return false;
    if (q.vr !== null && row.vr.split(" ").indexOf(q.vr) < 0) return false;
    if (q.retired !== null && q.retired !== (row.retired ? "yes" : "no")) return false;
    if (modules !== null && !row.modules.some(function (m) { return modules[m]; })) return false;
    return true;
  }

  // One number that orders results within a tier, as engine.relevance computes it.
  function relevance(tier, row, text) {
    var weight = row.retired ? 0 : CURRENT;
    if (tier === TIER.NAME || tier === TIER.VALUE || tier === TIER.NAME_PARTIAL) {
      return weight + REQUIRED_SPAN * Math.min(row.required, MOST_IODS) / MOST_IODS + TEXT_SPAN * text / (1 + text);
    }
    return weight + Math.min(text, CURRENT - 1);
  }

  function hit(row, tier, text) { return { row: row, tier: tier, relevance: relevance(tier, row, text) }; }

  function uidKey(uid) { return uid.split(".").map(function (n) { return n.length >= 10 ? n : ("0000000000" + n).slice(-10); }).join("."); }

  function compareIds(a, b) {
    var x = a.kind === "uid" ? uidKey(a.id) : a.id, y = b.kind === "uid" ? uidKey(b.id) : b.id;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function search(index, text) {
    var q = parseQuery(text);
    if (q.empty) return [];
    var modules = q.module !== null ? moduleSet(index, q.module) : null;
    var words = q.words.map(function (w) {
      return {
        name: matcher(index.vocabulary, w, true),
        plain: matcher(index.vocabulary, w, false),
        terms: STOP[w] || w.length < 2 ? null : matcher(index.terms, w, false),
        word: w
      };
    });
    var hits = [];
    index.rows.forEach(function (row) {
      if (!passes(row, q, modules)) return;
      var found = rank(index, row, q, words);
      if (found) hits.push(found);
    });
    var anyHit = hits.length > 0;
    if (!anyHit && q.words.length) {
      index.rows.forEach(function (row) {
        if (passes(row, q, modules) && words.some(function (w) { return inText(index, row, w, true) > 0; })) {
          hits.push(hit(row, TIER.ANY_WORD, PROMINENCE_WEIGHT * row.prominence));
        }
      });
    }
    if (!anyHit && !q.words.length && q.tag === null) {
      index.rows.forEach(function (row) {
        if (passes(row, q, modules)) hits.push(hit(row, TIER.ANY_WORD, PROMINENCE_WEIGHT * row.prominence));
      });
    }
    hits.sort(function (a, b) {
      return b.tier - a.tier || Math.round(b.relevance * 1000) - Math.round(a.relevance * 1000) ||
        KINDS.indexOf(a.row.kind) - KINDS.indexOf(b.row.kind) || compareIds(a.row, b.row);
    });
    return hits;
  }

  function startsAny(list, word) {
    for (var i = 0; i < list.length; i++) if (list[i].indexOf(word) === 0) return true;
    return false;
  }

  // A word in the row's text: the best of name (3 or 2), description term (1.5) and example (1);
  // -1 for a stop word when only name and description are asked (descriptions do not index them).
  function inText(index, row, w, withExamples) {
    if (!withExamples && !w.terms) return -1;
    var termScore = 0;
    if (w.terms) for (var i = 0; i < row.terms.length; i++) if (w.terms[index.terms[row.terms[i]]]) termScore = 1.5;
    var exampleScore = withExamples && startsAny(row.exampleTokens, w.word) ? 1 : 0;
    return Math.max(best(row.tokens, w.plain), termScore, exampleScore);
  }

  function nameText(total, row) { return 3 * total / Math.sqrt(row.tokens.length) + PROMINENCE_WEIGHT * row.prominence; }

  function rank(index, row, q, words) {
    var attribute = row.kind === "attribute";
    var tagHit = attribute && q.tag !== null && tagMatches(row.id, q.tag);
    if (tagHit && q.tag.length === 8) return hit(row, TIER.TAG, row.id.indexOf("x") < 0 ? 1 : 0);
    if (row.kind === "uid" && q.uid !== null && row.id === q.uid) return hit(row, TIER.TAG, 1);
    if (q.compact && row.kw === q.compact) return hit(row, TIER.KEYWORD, 0);
    if (tagHit || (row.kind === "uid" && q.uid !== null && row.id.indexOf(q.uid) === 0)) return hit(row, TIER.TAG_PREFIX, 0);
    if (!words.length) return null;
    var total = 0, exact = true, i, s;
    for (i = 0; i < words.length; i++) {
      s = best(row.tokens, words[i].name);
      if (!s) break;
      if (s < 3) exact = false;
      total += s;
    }
    var named = i === words.length;
    if (named && exact) return hit(row, TIER.NAME, nameText(total, row));
    if (row.values.length && row.values.indexOf(q.value) >= 0) return hit(row, TIER.VALUE, PROMINENCE_WEIGHT * row.prominence);
    if (named) return hit(row, TIER.NAME_PARTIAL, nameText(total, row));
    if (q.compact && row.kw && row.kw.indexOf(q.compact) === 0) {
      return hit(row, TIER.KEYWORD_PREFIX, row.prominence + 1 / (1 + row.keyword.length));
    }
    return inAllWords(index, row, words, TIER.DESCRIPTION) || inAllWords(index, row, words, TIER.ANYWHERE);
  }

  function inAllWords(index, row, words, tier) {
    var total = 0, asked = 0;
    for (var i = 0; i < words.length; i++) {
      var s = inText(index, row, words[i], tier === TIER.ANYWHERE);
      if (s < 0) continue;
      if (s === 0) return null;
      total += s; asked++;
    }
    if (!asked) return null;
    return hit(row, tier, total / Math.sqrt(1 + row.tokens.length) + PROMINENCE_WEIGHT * row.prominence);
  }

  function plural(count, one, many) { return count + " " + (count === 1 ? one : many || one + "s"); }

  // One line on why this is here, or what it is and where the standard uses it.
  function snippet(hit, index, q) {
    var row = hit.row;
    if (hit.tier === TIER.VALUE) return "Value: " + row.valueText[q.value];
    if (hit.tier <= TIER.ANYWHERE) {
      for (var e = 0; e < row.examples.length; e++) {
        var found = tokens(row.examples[e]).some(function (t) { return q.words.some(function (w) { return t.indexOf(w) === 0; }); });
        if (found) return "Seen in files: " + row.examples[e];
      }
    }
    if (hit.tier <= TIER.DESCRIPTION) {
      var mentioned = row.terms.map(function (t) { return index.terms[t]; })
        .filter(function (t) { return q.words.some(function (w) { return w.length > 1 && t.indexOf(w) === 0; }); });
      if (mentioned.length) return "Description mentions: " + mentioned.join(", ");
    }
    if (row.kind === "module") return row.required ? "Mandatory in " + plural(row.required, "IOD") : "Module of the standard";
    if (row.kind === "macro") return row.required ? "Mandatory functional group in " + plural(row.required, "IOD") : "Included by modules and IODs";
    if (row.kind === "iod") return "Information Object Definition";
    if (row.kind === "uid") return row.retired ? "Retired" : row.keyword;
    if (row.modules.length) {
      var names = row.modules.slice(0, 2).map(function (m) { return index.modules[m][1]; });
      var more = row.modules.length - names.length;
      return "In " + names.join(", ") + (more ? " and " + more + " more module" + (more === 1 ? "" : "s") : "");
    }
    if (row.id.slice(0, 4) === "0000") return "Command field";
    if (row.id.slice(0, 4) === "0002") return "File meta information";
    return row.retired ? "Retired; in no module of the current standard" : "In no module of the current standard";
  }

  // ---- The search box ---------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function tagText(tag) { return "(" + tag.slice(0, 4) + "," + tag.slice(4) + ")"; }

  // One result as a link: what it is, its name, its tag, a line of identifiers and a line on why it is here.
  function resultLink(hit, index, q, root) {
    var row = hit.row, a = el("a");
    a.href = root + FOLDERS[row.kind] + "/" + row.id + "/index.html";
    a.appendChild(el("span", "kind kind-" + row.kind, row.what));
    a.appendChild(el("span", "name", row.name + (row.retired ? " (retired)" : "")));
    if (row.kind === "attribute") a.appendChild(el("code", "tag", tagText(row.id)));
    var meta = row.kind === "attribute" ? [row.keyword, row.vr] : row.kind === "uid" ? [row.id] : [row.id];
    a.appendChild(el("span", "meta", meta.filter(Boolean).join(" · ")));
    a.appendChild(el("span", "snippet", snippet(hit, index, q)));
    return a;
  }

  function matchCount(count) { return count ? count.toLocaleString("en") + " match" + (count === 1 ? "" : "es") : "No match"; }

  function resultsUrl(root, text) { return root + "search/index.html?q=" + encodeURIComponent(text); }

  // The search results page: every match, with links narrowing to one kind.
  function resultsPage(page, root) {
    var list = page.querySelector("#all-results"), status = page.querySelector("#all-status");
    var kinds = page.querySelector("#all-kinds");
    return function (index, text) {
      var q = parseQuery(text), hits = q.empty ? [] : search(index, text), fragment = document.createDocumentFragment();
      hits.forEach(function (hit) {
        var li = el("li");
        li.appendChild(resultLink(hit, index, q, root));
        fragment.appendChild(li);
      });
      list.textContent = "";
      list.appendChild(fragment);
      kinds.textContent = "";
      if (!q.empty && q.kind === null) {
        var counts = {};
        hits.forEach(function (hit) { counts[hit.row.kind] = (counts[hit.row.kind] || 0) + 1; });
        KINDS.forEach(function (kind) {
          if (!counts[kind]) return;
          var li = el("li"), a = el("a", null, KIND_NAMES[kind] + " " + counts[kind].toLocaleString("en"));
          a.href = resultsUrl(root, text + " kind:" + kind);
          li.appendChild(a);
          kinds.appendChild(li);
        });
      }
      status.textContent = q.empty ? "Type a tag, keyword, name, value or UID above." :
        matchCount(hits.length) + " for “" + text + "”";
      list.setAttribute("data-query", text);
    };
  }

  function setUpSearch(box) {
    var root = box.getAttribute("data-root") || "";
    var input = document.getElementById("q");
    var list = document.getElementById("results");
    var status = box.querySelector(".search-status");
    var clear = box.querySelector(".search-clear");
    var page = document.getElementById("search-page");
    var fillPage = page ? resultsPage(page, root) : null;
    var index = null, loading = null, active = -1;
    if (!input || !list || !status) return;

    function loadIndex() {
      if (loading) return loading;
      loading = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = root + "static/search-index.js";
        s.onload = function () {
          try { index = decode(window.DICOMREF_INDEX); resolve(index); } catch (e) { reject(e); }
        };
        s.onerror = function () { reject(new Error("search index not loaded")); };
        document.head.appendChild(s);
      });
      return loading;
    }

    function close() {
      var items = list.querySelectorAll("li");
      if (active >= 0 && items[active]) items[active].setAttribute("aria-selected", "false");
      active = -1;
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function option(li, i) {
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.id = "result-" + i;
      li.firstChild.tabIndex = -1;
      list.appendChild(li);
    }

    function render(text) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      var q = parseQuery(text);
      var hits = search(index, text);
      status.textContent = q.empty ? "" : matchCount(hits.length);
      if (fillPage) {  // the results page lists them all itself
        fillPage(index, text);
        list.hidden = true;
        list.setAttribute("data-query", text);
        return;
      }
      hits.slice(0, LIMIT).forEach(function (hit, i) {
        var li = el("li");
        li.appendChild(resultLink(hit, index, q, root));
        option(li, i);
      });
      if (hits.length) {
        var all = el("li", "all"), a = el("a");
        a.href = resultsUrl(root, text);
        a.textContent = hits.length > LIMIT ? "All " + hits.length.toLocaleString("en") + " results" : "Results page";
        all.appendChild(a);
        option(all, Math.min(hits.length, LIMIT));
      }
      list.hidden = hits.length === 0;
      input.setAttribute("aria-expanded", hits.length ? "true" : "false");
      list.setAttribute("data-query", text);
    }

    function move(step) {
      var items = list.querySelectorAll("li");
      if (!items.length) return;
      if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      if (active >= 0) items[active].setAttribute("aria-selected", "false");
      active = (active + step + items.length) % items.length;
      items[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function update() {
      var text = input.value.slice(0, MAX_QUERY);
      if (clear) clear.hidden = !input.value;
      try {
        var url = new URL(window.location.href);
        if (text) url.searchParams.set("q", text); else url.searchParams.delete("q");
        history.replaceState(null, "", url.toString());
      } catch (e) { /* file:// may refuse to change the URL */ }
      loadIndex().then(function () {
        if (input.value.slice(0, MAX_QUERY) === text) render(text);
      }, function () { status.textContent = "The search index could not be loaded"; });
    }

    input.addEventListener("input", update);
    input.addEventListener("focus", function () { loadIndex().catch(function () {}); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Enter") {
        var links = list.querySelectorAll("li a");
        var target = links[active >= 0 ? active : 0];
        e.preventDefault();
        if (fillPage) return;
        window.location.href = target ? target.href : resultsUrl(root, input.value.slice(0, MAX_QUERY));
      } else if (e.key === "Escape" && !list.hidden) { e.preventDefault(); close(); }  // a second Escape empties the box
    });
    if (clear) {
      clear.addEventListener("click", function () {
        input.value = "";
        update();
        input.focus();
      });
    }
    document.addEventListener("click", function (e) { if (!box.contains(e.target)) close(); });
    document.addEventListener("keydown", function (e) {
      var focused = document.activeElement;
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || focused === input) return;
      if (focused && (/^(INPUT|TEXTAREA|SELECT)$/.test(focused.tagName) || focused.isContentEditable)) return;
      e.preventDefault();
      input.focus();
    });
    var initial = null;
    try { initial = new URL(window.location.href).searchParams.get("q"); } catch (e) { /* no query string */ }
    if (initial) { input.value = initial.slice(0, MAX_QUERY); update(); }
    else if (fillPage) { loadIndex().then(function () { render(""); }); }
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy") : null;
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard) {
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1200);
      }, function () {});
    }
  });
  var box = document.querySelector(".search");
  if (box) setUpSearch(box);

  // Folded trees: one button opens or closes every sequence; a link to a row opens the sequences around it.
  function setUpFolding(button) {
    var tree = document.querySelector(button.getAttribute("data-expand"));
    if (!tree) return;
    button.hidden = false;
    button.setAttribute("aria-controls", tree.id);
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      tree.querySelectorAll("details").forEach(function (d) { d.open = open; });
      button.setAttribute("aria-expanded", open ? "true" : "false");
      button.textContent = open ? "Collapse all" : "Expand all";
    });
  }
  function revealTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id ? document.getElementById(id) : null;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    if (target) target.scrollIntoView();
  }
  document.querySelectorAll("button.expand-all").forEach(setUpFolding);
  window.addEventListener("hashchange", revealTarget);
  if (window.location.hash) revealTarget();
})();
