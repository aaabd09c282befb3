// dicomref: read a DICOM file in the browser, as `dicomref validate` reads it with pydicom. Part 10 files and
// bare datasets; implicit and explicit VR little endian, explicit big endian, deflated (DecompressionStream);
// undefined lengths; encapsulated pixel data passed over. Values longer than 1 MiB are not read (pydicom's
// defer size in dicomref/scrape/extract.py), so a large file is read only in slices (File.slice) around its
// headers. Text is decoded as dicomref/scrape/charset.py decodes it, ISO 2022 code extensions included, with the
// character set tables of static/rules.js. Nothing read here is ever sent anywhere.
(function () {
  "use strict";

  var DEFER = 1024 * 1024, CHUNK = 1024 * 1024, MAX_DEPTH = 64, MAX_ELEMENTS = 500000, UNDEFINED = 0xFFFFFFFF;
  var ITEM = 0xFFFEE000, ITEM_END = 0xFFFEE00D, SEQUENCE_END = 0xFFFEE0DD, PIXEL_DATA = 0x7FE00010;
  var LONG_VRS = { OB: 1, OD: 1, OF: 1, OL: 1, OV: 1, OW: 1, SQ: 1, UC: 1, UN: 1, UR: 1, UT: 1, SV: 1, UV: 1 };
  var VRS = ("AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT " +
    "UV").split(" ").reduce(function (o, v) { o[v] = 1; return o; }, {});
  var PLAIN_TEXT = { AE: 1, AS: 1, CS: 1, DA: 1, DS: 1, DT: 1, IS: 1, TM: 1, UI: 1, UR: 1 };
  var TEXT_DELIMS = [0x0d, 0x0a, 0x09, 0x0c];
  var CHARSET_DELIMS = {
    SH: TEXT_DELIMS.concat([0x5c]), LO: TEXT_DELIMS.concat([0x5c]), UC: TEXT_DELIMS.concat([0x5c]),
    ST: TEXT_DELIMS, LT: TEXT_DELIMS, UT: TEXT_DELIMS, PN: [0x5c, 0x3d, 0x5e]
  };
  var BINARY = { US: [2, "Uint16"], SS: [2, "Int16"], UL: [4, "Uint32"], SL: [4, "Int32"], SV: [8, "BigInt64"],
    UV: [8, "BigUint64"], FL: [4, "Float32"], FD: [8, "Float64"], AT: [4, "AT"] };
  var BULK = { OW: 1, OF: 1, OD: 1, OL: 1, OV: 1 };
  var SHOWN_NUMBERS = 64;
  var UNTERMINATED = "the file ends inside the encapsulated pixel data, before its delimiter";
  var TS = {
    "1.2.840.10008.1.2": { little: true, explicit: false },
    "1.2.840.10008.1.2.2": { little: false, explicit: true },
    "1.2.840.10008.1.2.1.99": { little: true, explicit: true, deflated: true }
  };

  var COUNT = new Intl.NumberFormat("en");
  function count(n) { return COUNT.format(n); }  // '1,024'
  function hex8(n) { return ("0000000" + (n >>> 0).toString(16).toUpperCase()).slice(-8); }
  function display(key) { return "(" + key.slice(0, 4) + "," + key.slice(4) + ")"; }

  // ---- Where reading stopped ------------------------------------------------------------------
  function Stop(offset, message) { this.offset = offset; this.message = message; }
  function NeedMore(offset, length) { this.offset = offset; this.length = length; }

  // ---- Bytes: the parts of the file read so far ------------------------------------------------
  // `hint`: how far to read ahead when a part not yet read is needed (less between pixel data fragments).
  function Source(size) { this.size = size; this.chunks = []; this.hint = 0; }
  Source.prototype.add = function (start, bytes) { this.chunks.push({ start: start, bytes: bytes }); };
  Source.prototype.view = function (offset, length) {
    if (offset + length > this.size) throw new Stop(offset, "the file ends " + (this.size - offset) +
      " bytes into a " + length + "-byte field");
    for (var i = 0; i < this.chunks.length; i++) {
      var c = this.chunks[i];
      if (offset >= c.start && offset + length <= c.start + c.bytes.length) {
        return new DataView(c.bytes.buffer, c.bytes.byteOffset + offset - c.start, length);
      }
    }
    var hint = this.hint || CHUNK;
    this.hint = 0;
    throw new NeedMore(offset, Math.max(length, hint));
  };
  Source.prototype.bytes = function (offset, length) {
    var v = this.view(offset, length);
    return new Uint8Array(v.buffer, v.byteOffset, length);
  };

  // ---- Character sets (dicomref/scrape/charset.py) ------------------------------------------------
  var CS = null, tables = {}, decoders = {};
  function table(label) {
    if (!tables[label]) {
      var t = [], d = new TextDecoder(label);
      for (var b = 0; b < 256; b++) {
        t.push(b < 0x80 || (b >= 0x80 && b < 0xa0) || label === "latin1" ? String.fromCharCode(b)
          : d.decode(new Uint8Array([b])));
      }
      tables[label] = t;
    }
    return tables[label];
  }
  function decoder(label) {
    if (!decoders[label]) decoders[label] = new TextDecoder(label);
    return decoders[label];
  }
  function latin1(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return s;
  }
  function jis(bytes) {
    // A run of ISO 2022 JP: escape sequences switch between ASCII and the two-byte sets, read as EUC-JP.
    var out = "", mode = "ascii", i = 0, pairs = [];
    function flush() {
      if (pairs.length) { out += decoder("euc-jp").decode(new Uint8Array(pairs)); pairs = []; }
    }
    while (i < bytes.length) {
      var b = bytes[i];
      if (b === 0x1b) {
        flush();
        var s = latin1(bytes.subarray(i + 1, i + 4));
        if (s.slice(0, 3) === "$(D") { mode = "0212"; i += 4; continue; }
        if (s.slice(0, 2) === "$B" || s.slice(0, 2) === "$@") { mode = "0208"; i += 3; continue; }
        if (s.slice(0, 2) === "(B" || s.slice(0, 2) === "(J") { mode = "ascii"; i += 3; continue; }
        out += "\ufffd"; i += 1; continue;
      }
      if (mode !== "ascii" && b > 0x20 && b < 0x7f) {
        if (i + 1 < bytes.length && bytes[i + 1] > 0x20 && bytes[i + 1] < 0x7f) {
          if (mode === "0212") pairs.push(0x8f);
          pairs.push(b | 0x80, bytes[i + 1] | 0x80); i += 2; continue;
        }
        flush(); out += "\ufffd"; i += 1; continue;
      }
      flush(); out += b < 0x80 ? String.fromCharCode(b) : "\ufffd"; i += 1;
    }
    flush();
    return out;
  }
  function decodeWith(codec, bytes) {
    var label = CS.decoders[codec] || "latin1";
    if (label === "latin1") return latin1(bytes);
    if (CS.single_byte.indexOf(label) >= 0) {
      var t = table(label), s = "";
      for (var i = 0; i < bytes.length; i++) s += t[bytes[i]];
      return s;
    }
    if (label === "iso-2022-jp" || label === "iso-2022-jp-2") return jis(bytes);
    return decoder(label).decode(bytes);
  }
  function fragment(piece, encodings, delimiters) {
    var length = piece[1] === 0x24 && (piece[2] === 0x28 || piece[2] === 0x29) ? 4 : 3;
    var code = Array.prototype.map.call(piece.subarray(0, length), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    var encoding = CS.escapes[code];
    if (!encoding || (encodings.indexOf(encoding) < 0 && encoding !== CS["default"])) {
      return decodeWith(encodings[0], piece);  // an unknown escape stays visible, so it is flagged
    }
    if (CS.reading_escapes.indexOf(encoding) >= 0) return decodeWith(encoding, piece);
    var body = piece.subarray(length), cut = body.length;
    for (var i = 0; i < body.length; i++) if (delimiters.indexOf(body[i]) >= 0) { cut = i; break; }
    return decodeWith(CS.euc[encoding] || encoding, body.subarray(0, cut)) +
      decodeWith(encodings[0], body.subarray(cut));
  }
  function decodeText(raw, encodings, delimiters) {
    if (raw.indexOf(0x1b) < 0) return decodeWith(encodings[0], raw);
    var out = "", start = 0;
    for (var i = 1; i <= raw.length; i++) {
      if (i === raw.length || raw[i] === 0x1b) {
        var piece = raw.subarray(start, i);
        out += piece[0] === 0x1b ? fragment(piece, encodings, delimiters) : decodeWith(encodings[0], piece);
        start = i;
      }
    }
    return out;
  }
  // pydicom's convert_encodings: the terms of Specific Character Set as codecs, common misspellings mended.
  function encodingsOf(text) {
    var terms = text.split("\\").map(function (t) { return t.trim(); });
    if (!terms[0]) terms[0] = "ISO_IR 6";
    var codecs = terms.map(function (term) {
      if (CS.terms.hasOwnProperty(term)) return CS.terms[term];
      var patched = null;
      if (/^ISO[^_]IR/.test(term)) patched = "ISO_IR" + term.slice(6);
      else if (/^(?=ISO.2022.IR.)(?!ISO 2022 IR )/.test(term)) patched = "ISO 2022 IR " + term.slice(12);
      if (patched !== null) return CS.terms.hasOwnProperty(patched) ? CS.terms[patched] : CS["default"];
      return CS.decoders.hasOwnProperty(term) ? term : CS["default"];
    });
    if (terms.length > 1) {
      if (CS.standalone.indexOf(terms[0]) >= 0) codecs = [codecs[0]];
      else codecs = codecs.filter(function (c, i) { return i === 0 || CS.standalone.indexOf(terms[i]) < 0; });
    }
    return codecs;
  }

  // ---- Numbers as Python writes them (dicomref/scrape/extract.py) ----------------------------------
  function pyExponent(mantissa, exponent) {
    return mantissa + "e" + (exponent < 0 ? "-" : "+") + ("0" + Math.abs(exponent)).slice(-2);
  }
  function special(x) {
    if (isNaN(x)) return "nan";
    if (!isFinite(x)) return x > 0 ? "inf" : "-inf";
    return null;
  }
  function pyRepr(x) {  // repr(float)
    var s = special(x);
    if (s) return s;
    if (x === 0) return 1 / x < 0 ? "-0.0" : "0.0";
    var parts = x.toExponential().split("e"), digits = parts[0].replace("-", "").replace(".", "");
    var exponent = parseInt(parts[1], 10), sign = x < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      return sign + pyExponent(digits[0] + (digits.length > 1 ? "." + digits.slice(1) : ""), exponent);
    }
    return sign + place(digits, exponent, true);
  }
  function place(digits, exponent, keepPoint) {
    var s;
    if (exponent < 0) s = "0." + "0".repeat(-exponent - 1) + digits;
    else if (digits.length <= exponent + 1) s = digits + "0".repeat(exponent + 1 - digits.length) + (keepPoint ? ".0" : "");
    else s = digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1);
    return s;
  }
  function pyG(x, precision) {  // f"{x:.{precision}g}"
    var s = special(x);
    if (s) return s;
    if (x === 0) return 1 / x < 0 ? "-0" : "0";
    var parts = x.toExponential(precision - 1).split("e");
    var digits = parts[0].replace("-", "").replace(".", "").replace(/0+$/, "") || "0";
    var exponent = parseInt(parts[1], 10), sign = x < 0 ? "-" : "";
    if (exponent < -4 || exponent >= precision) {
      return sign + pyExponent(digits[0] + (digits.length > 1 ? "." + digits.slice(1) : ""), exponent);
    }
    return sign + place(digits, exponent, false);
  }
  function float32Text(x) {
    for (var digits = 6; digits < 10; digits++) {
      var text = pyG(x, digits);
      if (Object.is(Math.fround(parseFloat(text.replace("inf", "Infinity"))), x) || isNaN(x)) return text;
    }
    return pyRepr(x);
  }
  function numbers(raw, vr, little, limit) {
    var spec = BINARY[vr], size = spec[0], count = Math.floor(raw.length / size), out = [];
    var view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    for (var i = 0; i < count && (limit === undefined || i < limit); i++) {
      var at = i * size;
      if (vr === "AT") {
        out.push("(" + ("000" + view.getUint16(at, little).toString(16).toUpperCase()).slice(-4) + "," +
          ("000" + view.getUint16(at + 2, little).toString(16).toUpperCase()).slice(-4) + ")");
      } else if (vr === "FL") out.push(float32Text(view.getFloat32(at, little)));
      else if (vr === "FD") out.push(pyRepr(view.getFloat64(at, little)));
      else out.push(String(view["get" + spec[1]](at, little)));
    }
    return { text: out.join("\\"), count: count };
  }

  // ---- The dictionary ----------------------------------------------------------------------------
  var RULES = null;
  function keyFor(tag) {  // dicomref/standard/dictionary.py Dictionary.key_for
    var key = hex8(tag);
    if (RULES.d.hasOwnProperty(key)) return key;
    if ((tag >>> 16) % 2) return null;
    for (var i = 0; i < RULES.x.length; i++) {
      var rep = RULES.x[i];
      if (((tag & rep[0]) >>> 0) === rep[1] && (!rep[3] || ((tag >>> 16) & 0xff) <= 0x1e)) return rep[2];
    }
    return null;
  }
  function dictionaryVr(tag) {
    var key = hex8(tag);
    if (RULES.d.hasOwnProperty(key)) return RULES.d[key][2];
    if ((tag & 0xffff) === 0) return "UL";
    for (var i = 0; i < RULES.x.length; i++) {
      var rep = RULES.x[i];
      if (((tag & rep[0]) >>> 0) === rep[1]) return RULES.d[rep[2]][2];
    }
    return null;
  }

  // ---- The parser ----------------------------------------------------------------------------------
  // An element: tag, vr, length (UNDEFINED for undefined), offset of its header, value offset; raw (its bytes,
  // when read), deferred (too long to read), items (a sequence's), fragments (encapsulated pixel data).
  function Parser(source, syntax) {
    this.src = source; this.little = syntax.little; this.explicit = syntax.explicit;
    this.notes = [];  // what was read although it breaks the rules, as pydicom reads it
    this.elements = 0;
  }
  Parser.prototype.u16 = function (at, little) { return this.src.view(at, 2).getUint16(0, little); };
  Parser.prototype.u32 = function (at, little) { return this.src.view(at, 4).getUint32(0, little); };
  Parser.prototype.tagAt = function (at, little) {
    return ((this.u16(at, little) << 16) | this.u16(at + 2, little)) >>> 0;
  };
  Parser.prototype.header = function (at, explicit, little) {
    var tag = this.tagAt(at, little), group = tag >>> 16;
    if (group === 0xfffe) return { tag: tag, vr: "", length: this.u32(at + 4, little), value: at + 8 };
    // As pydicom: two bytes outside "AA" to "ZZ" (compared as bytes) are no VR and make this one element implicit
    // VR; an unknown VR within them has a 2-byte length.
    var first = this.src.view(at + 4, 2), code = String.fromCharCode(first.getUint8(0), first.getUint8(1));
    if (explicit && code >= "AA" && code <= "ZZ") {
      if (LONG_VRS[code]) return { tag: tag, vr: code, length: this.u32(at + 8, little), value: at + 12 };
      return { tag: tag, vr: code, length: this.u16(at + 6, little), value: at + 8 };
    }
    var vr = dictionaryVr(tag);
    return { tag: tag, vr: vr || "UN", length: this.u32(at + 4, little), value: at + 8, implicit: true };
  };
  // Elements from `at` into `out`, until `end` (a defined length), the `until` delimiter, or (for the file meta) a
  // group other than `stopTag`; returns the position after them.
  Parser.prototype.dataset = function (at, end, depth, until, out, stopTag) {
    if (depth > MAX_DEPTH) throw new Stop(at, "sequences nested more than " + MAX_DEPTH + " deep");
    while (end === null ? at < this.src.size : at < end) {
      if (end === null && until === undefined && this.src.size - at < 8) {
        throw new Stop(at, "the file ends " + (this.src.size - at) + " bytes into an element's header");
      }
      if (stopTag !== undefined && this.u16(at, this.little) !== stopTag) break;
      var h = this.header(at, this.explicit, this.little);
      if (h.tag === until) return at + 8;
      if (h.tag === ITEM || h.tag === ITEM_END || h.tag === SEQUENCE_END) {
        throw new Stop(at, "an item tag " + display(hex8(h.tag)) + " where an element was expected");
      }
      if (++this.elements > MAX_ELEMENTS) throw new Stop(at, "more than " + count(MAX_ELEMENTS) + " elements");
      var element = { tag: h.tag, vr: h.vr, length: h.length, offset: at, valueOffset: h.value, implicit: !!h.implicit };
      out.push(element);
      at = this.value(element, depth);
    }
    if (until !== undefined && end === null && at >= this.src.size) {
      throw new Stop(at, "the file ends inside an item or sequence of undefined length");
    }
    return at;
  };
  Parser.prototype.value = function (e, depth) {
    // As pydicom, a value may overrun its item: only the end of the file limits it.
    var limit = this.src.size;
    var sequence = e.vr === "SQ" || (e.length === UNDEFINED && (e.vr === "UN" || (e.implicit && e.vr !== "OB or OW" &&
      e.tag !== PIXEL_DATA)));
    if (e.length === UNDEFINED && !sequence && e.tag !== PIXEL_DATA && e.vr.indexOf("OB") !== 0 && e.vr !== "OB or OW") {
      throw new Stop(e.offset, "an undefined length for " + display(hex8(e.tag)) + " (VR " + e.vr + ")");
    }
    if (e.length !== UNDEFINED && e.valueOffset + e.length > limit) {
      throw new Stop(e.offset, "the length of " + display(hex8(e.tag)) + " (" + count(e.length) +
        " bytes) runs past the end of the file by " + count(e.valueOffset + e.length - limit) + " bytes");
    }
    if (sequence) {
      e.un = e.vr === "UN";  // a UN of undefined length is a sequence of implicit VR items (PS3.5 6.2.2)
      e.vr = "SQ";
      e.items = [];
      return this.items(e, depth);
    }
    if (e.length === UNDEFINED) {  // encapsulated pixel data: its fragments passed over
      e.fragments = 0;
      var at = e.valueOffset;
      for (;;) {
        if (this.src.size - at < 8) throw new Stop(at, UNTERMINATED);
        this.src.hint = 64 * 1024;
        var tag = this.tagAt(at, this.little), length = this.u32(at + 4, this.little);
        if (tag === SEQUENCE_END) return at + 8;
        if (tag !== ITEM) throw new Stop(at, "not an item in the encapsulated pixel data");
        if (length === UNDEFINED) throw new Stop(at, "a pixel data fragment of undefined length");
        if (at + 8 + length > this.src.size) throw new Stop(at, UNTERMINATED);
        e.fragments += 1;
        at += 8 + length;
        this.src.hint = 0;
      }
    }
    if (e.length > DEFER) e.deferred = true;
    else e.raw = this.src.bytes(e.valueOffset, e.length);
    return e.valueOffset + e.length;
  };
  Parser.prototype.items = function (e, depth) {
    var at = e.valueOffset, end = e.length === UNDEFINED ? null : e.valueOffset + e.length;
    var saved = [this.explicit, this.little];
    if (e.un) { this.explicit = false; this.little = true; }
    try {
      while (end === null || at < end) {
        var tag = this.tagAt(at, this.little), length = this.u32(at + 4, this.little);
        if (tag === SEQUENCE_END && end === null) return at + 8;
        if (tag !== ITEM) throw new Stop(at, "not an item in " + display(hex8(e.tag)));
        var item = [];
        e.items.push(item);
        if (length === UNDEFINED) at = this.dataset(at + 8, null, depth + 1, ITEM_END, item);
        else {
          if (at + 8 + length > this.src.size) {  // read up to the end of the file, as pydicom reads it
            this.notes.push("an item of " + display(hex8(e.tag)) + " at byte " + count(at) +
              " claims " + count(length) + " bytes, more than the file holds");
            length = this.src.size - at - 8;
          }
          this.dataset(at + 8, at + 8 + length, depth + 1, undefined, item);
          at += 8 + length;
        }
      }
      return at;
    } finally {
      this.explicit = saved[0]; this.little = saved[1];
    }
  };

  // ---- A file --------------------------------------------------------------------------------------
  function text(raw) { return latin1(raw).replace(/[\0 ]+$/, ""); }
  function guess(src, at) {
    // A dataset without a transfer syntax: explicit if a VR follows the first tag, big endian if its group reads so.
    var v = src.view(at, 6), little = v.getUint16(0, true) <= 0xff || v.getUint16(0, false) > 0xff;
    var vr = String.fromCharCode(v.getUint8(4), v.getUint8(5));
    return { little: little, explicit: !!VRS[vr] };
  }
  // Parse what the source holds; throws NeedMore when a part of the file not yet read is needed.
  function parse(src) {
    var result = { meta: [], dataset: [], syntax: null, preamble: false, error: null, notes: [] };
    var at = 0;
    if (src.size >= 132 && latin1(src.bytes(128, 4)) === "DICM") { at = 132; result.preamble = true; }
    else if (src.size >= 4 && latin1(src.bytes(0, 4)) === "DICM") at = 4;
    try {
      if (src.size - at >= 6 && src.view(at, 2).getUint16(0, true) === 2) {
        var meta = new Parser(src, { little: true, explicit: true });
        at = meta.dataset(at, null, 0, undefined, result.meta, 2);
      }
      if (src.size - at < 8 && !result.meta.length) throw new Stop(at, "too short to hold a DICOM element");
      var ts = result.meta.filter(function (e) { return e.tag === 0x00020010 && e.raw; })[0];
      var uid = ts ? text(ts.raw) : "";
      result.transferSyntax = uid;
      var syntax = TS[uid] || (uid && uid.indexOf("1.2.840.10008.1.2") === 0 ? { little: true, explicit: true } : null);
      if (src.size - at >= 6) {
        if (!syntax) syntax = guess(src, at);
        else if (!syntax.deflated) syntax = { little: syntax.little, explicit: guess(src, at).explicit };
        result.syntax = syntax;
        if (syntax.deflated) { result.inflateAt = at; return result; }
        var parser = new Parser(src, syntax);
        result.notes = parser.notes;
        parser.dataset(at, null, 0, undefined, result.dataset);
      }
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      result.error = e;
    }
    known(result);
    return result;
  }

  // Bytes read as elements that hold no attribute the dictionary knows are not DICOM (dicomref/scrape/tasks.py).
  function known(result) {
    var all = result.meta.concat(result.dataset);
    if (!all.some(function (e) { return RULES.d.hasOwnProperty(hex8(e.tag)); })) {
      result.error = new Stop(result.error ? result.error.offset : 0, "not DICOM: no attribute the dictionary knows" +
        (result.error ? " (" + result.error.message + ")" : ""));
    }
  }

  async function inflateAll(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  // The inflated bytes up to the end of the deflated stream. The browser refuses bytes after its end, which zlib
  // leaves aside: the stream is tried again without the last bytes, one more each time, up to JUNK of them (for
  // streams of up to RETRIED bytes, so that a damaged large one fails at once).
  var JUNK = 64, RETRIED = 16 * 1024 * 1024;
  async function inflate(bytes) {
    var first = null, tries = bytes.length <= RETRIED ? JUNK : 0;
    for (var cut = 0; cut <= tries && cut < bytes.length; cut++) {
      try {
        return await inflateAll(bytes.subarray(0, bytes.length - cut));
      } catch (e) {
        first = first || e;
      }
    }
    throw first;
  }

  // Read a File (or Blob) in slices until the parse needs nothing more.
  async function readFile(file) {
    var src = new Source(file.size);
    var first = Math.min(file.size, 4 * CHUNK);
    src.add(0, new Uint8Array(await file.slice(0, first).arrayBuffer()));
    for (;;) {
      try {
        var result = parse(src);
        if (result.inflateAt !== undefined) return await readDeflated(file, result);
        return result;
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        var end = Math.min(file.size, e.offset + e.length);
        src.add(e.offset, new Uint8Array(await file.slice(e.offset, end).arrayBuffer()));
      }
    }
  }
  async function readDeflated(file, head) {
    var all = new Uint8Array(await file.arrayBuffer());
    var body;
    try {
      body = await inflate(all.subarray(head.inflateAt));
    } catch (e) {
      head.error = new Stop(head.inflateAt, "the deflated dataset does not inflate");
      return head;
    }
    var src = new Source(body.length);
    src.add(0, body);
    var parser = new Parser(src, { little: true, explicit: true });
    head.notes = parser.notes;
    head.inflated = true;
    try {
      parser.dataset(0, null, 0, undefined, head.dataset);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      e.message += " (in the inflated dataset)";
      head.error = e;
    }
    known(head);
    return head;
  }

  // ---- The view the rules look at (dicomref/validate/view.py from_dataset) ---------------------------
  function resolveVr(e, vr, items) {
    // pydicom's correction of an ambiguous dictionary VR, as converting the element applies it.
    if (vr.indexOf(" or ") < 0) return vr;
    if (e.tag === PIXEL_DATA) return e.length === UNDEFINED ? "OB" : "OW";
    if (vr === "US or SS" || vr === "US or SS or OW") {
      if (vr === "US or SS or OW" && e.length > 2 * 4) return "OW";
      var rep = null;
      for (var i = 0; i < items.length && rep === null; i++) {
        var found = items[i].raw[0x00280103];
        if (found && found.raw && found.raw.length >= 2) rep = new DataView(found.raw.buffer, found.raw.byteOffset, 2)
          .getUint16(0, items[i].little);
      }
      if (rep === null) rep = items[0].raw[PIXEL_DATA] ? 1 : 0;
      return rep === 0 ? "US" : "SS";
    }
    if (vr === "US or OW") {
      var descriptor = items[0].raw[0x00283002];
      var first = descriptor && descriptor.raw && descriptor.raw.length >= 2 ?
        new DataView(descriptor.raw.buffer, descriptor.raw.byteOffset, 2).getUint16(0, items[0].little) : 0;
      return first === 1 ? "US" : "OW";
    }
    return "OW";
  }

  function textOf(e, vr, encodings, little) {
    if (PLAIN_TEXT[vr]) return latin1(e.raw).replace(vr === "UI" ? /[\0 ]+$/ : / +$/, "");
    if (CHARSET_DELIMS[vr]) return decodeText(e.raw, encodings, CHARSET_DELIMS[vr]).replace(/ +$/, "");
    if (BINARY[vr]) return numbers(e.raw, vr, little).text;
    return null;
  }

  // Fill a view item from parsed elements; `outer` are the enclosing view items, innermost first.
  function viewItem(elements, encodings, little, outer) {
    var item = { elements: {}, order: [], complete: true, raw: {}, little: little };
    elements.forEach(function (e) { item.raw[e.tag] = e; });
    var own = item.raw[0x00080005];
    if (own && own.raw) encodings = encodingsOf(latin1(own.raw).replace(/ +$/, ""));
    var scope = [item].concat(outer);
    elements.forEach(function (e) {
      if ((e.tag >>> 16) % 2 || e.tag >>> 16 === 0xfffe) return;
      var key = keyFor(e.tag) || hex8(e.tag);
      if (item.elements.hasOwnProperty(key)) return;
      var v = viewElement(e, encodings, little, scope);
      e.view = v;
      item.elements[key] = v;
      item.order.push(key);
    });
    return item;
  }
  // The elements pydicom has converted by the time the view reads them: the file meta, and Specific Character Set
  // (read for the encodings); converting gives a UN its dictionary VR.
  function converted(e) {
    return (e.tag >>> 16 === 2 || e.tag === 0x00080005) && (e.length === UNDEFINED || e.length < 0xffff);
  }
  function viewElement(e, encodings, little, scope) {
    var tag = hex8(e.tag), vr = e.vr;
    if (vr === "UN" && converted(e)) vr = e.vr = dictionaryVr(e.tag) || "UN";
    if (e.deferred) return { tag: tag, vr: vr, text: null, empty: false };
    if (BULK[vr] || vr.indexOf("OB") === 0 || vr === "UN") {
      return { tag: tag, vr: vr, text: null, empty: e.length === 0 };
    }
    if (vr === "SQ") {
      var items = (e.items || []).map(function (elements) { return viewItem(elements, encodings, little, scope); });
      return { tag: tag, vr: vr, text: null, empty: !items.length, items: items };
    }
    var t = textOf(e, vr, encodings, little);
    if (t !== null) return { tag: tag, vr: vr, text: t, empty: t === "" };
    vr = resolveVr(e, vr, scope);
    if (BULK[vr] || vr.indexOf("OB") === 0) return { tag: tag, vr: vr, text: null, empty: e.length === 0 };
    t = textOf(e, vr, encodings, little);
    return { tag: tag, vr: vr, text: t === null ? "" : t, empty: !t };
  }
  function viewOf(result) {
    var little = result.syntax ? result.syntax.little : true;
    var root = { elements: {}, order: [], complete: true, raw: {}, little: little };
    var meta = viewItem(result.meta, [CS["default"]], true, []);
    var data = viewItem(result.dataset, [CS["default"]], little, []);
    [meta, data].forEach(function (item) {
      item.order.forEach(function (key) {
        if (!root.elements.hasOwnProperty(key)) { root.elements[key] = item.elements[key]; root.order.push(key); }
      });
    });
    return root;
  }

  // ---- What the page shows of an element -------------------------------------------------------------
  function shown(e) {
    if (e.items) return { value: e.items.length + (e.items.length === 1 ? " item" : " items"), vm: "" };
    if (e.fragments !== undefined) {
      return { value: "encapsulated: " + e.fragments + (e.fragments === 1 ? " fragment" : " fragments") + ", not read",
        vm: "" };
    }
    if (e.deferred) return { value: count(e.length) + " bytes, not read", vm: "" };
    var vr = e.view ? e.view.vr : e.vr;
    if (e.view && e.view.text !== null && e.view.text !== undefined) {
      var t = e.view.text;
      var vm = t === "" ? 0 : (vr === "LT" || vr === "ST" || vr === "UT" || vr === "UR") ? 1 : t.split("\\").length;
      return { value: t, vm: String(vm) };
    }
    if (e.raw && BINARY[vr]) {
      var n = numbers(e.raw, vr, true, SHOWN_NUMBERS);
      return { value: n.text + (n.count > SHOWN_NUMBERS ? "\\…" : ""), vm: String(n.count) };
    }
    if (e.raw && !BULK[vr] && vr.indexOf("O") !== 0 && vr !== "UN" && !(vr in BINARY)) {
      return { value: latin1(e.raw).replace(/[\0 ]+$/, ""), vm: "" };
    }
    return { value: count(e.length) + " bytes", vm: "" };
  }

  window.DicomrefDicom = {
    use: function (rules) { RULES = rules; CS = rules.cs; },
    readFile: readFile,
    viewOf: viewOf,
    keyFor: keyFor,
    shown: shown,
    hex8: hex8,
    count: count,
    display: display
  };
})();
