/*! kbsite search client. ES2017, no dependencies, no build step.
 *
 * Reads the static index written by kbsite (format "kbsearch-1", documented in
 * src/search/mod.rs) and downloads only what a query needs: the manifest, the
 * dictionary shards of the query terms, their postings, and the doc-table
 * chunks of the results shown. Ranking is identical to the Rust reader
 * (src/search/reader.rs); a Node test checks that.
 *
 * Page use:
 *   <script src="/search/search.js"></script>
 *   KbSearch.init({ base: '/search/', input: '#q', results: '#results',
 *                   productFilter: '#product', yearFilter: '#year' });
 * Pure layer (browser or Node):
 *   KbSearch.query(base, text, { product, year }, { limit, offset }) -> Promise<{ total, hits }>
 *   KbSearch.resolveId(base, 'Q151228') -> Promise<record | null>
 */
(function (root) {
  'use strict';

  // ---- Tokenizer: mirrors src/search/tokenize.rs exactly. ----

  // ASCII folding of U+00C0..U+017F; an empty entry is a separator.
  var FOLD = ('a,a,a,a,a,a,ae,c,e,e,e,e,i,i,i,i,d,n,o,o,o,o,o,,o,u,u,u,u,y,th,ss,' +
    'a,a,a,a,a,a,ae,c,e,e,e,e,i,i,i,i,d,n,o,o,o,o,o,,o,u,u,u,u,y,th,y,' +
    'a,a,a,a,a,a,c,c,c,c,c,c,c,c,d,d,d,d,e,e,e,e,e,e,e,e,e,e,g,g,g,g,g,g,g,g,h,h,h,h,' +
    'i,i,i,i,i,i,i,i,i,i,ij,ij,j,j,k,k,k,l,l,l,l,l,l,l,l,l,l,n,n,n,n,n,n,n,n,n,' +
    'o,o,o,o,o,o,oe,oe,r,r,r,r,r,r,s,s,s,s,s,s,s,s,t,t,t,t,t,t,u,u,u,u,u,u,u,u,u,u,u,u,' +
    'w,w,y,y,y,z,z,z,z,z,z,s').split(',');

  // Non-ASCII separator ranges (inclusive).
  var SEPARATORS = [
    [0x0080, 0x00BF], [0x02B0, 0x02FF], [0x2000, 0x2BFF], [0x2E00, 0x2E7F],
    [0x3000, 0x303F], [0xD800, 0xF8FF], [0xFE00, 0xFE6F], [0xFEFF, 0xFEFF],
    [0xFF00, 0xFF0F], [0xFF1A, 0xFF20], [0xFF3B, 0xFF40], [0xFF5B, 0xFF65],
    [0xFFF0, 0xFFFF], [0x1F000, 0x1FAFF], [0xE0000, 0xE01EF]
  ];
  var MIN_TOKEN = 2;
  var MAX_TOKEN = 32;

  function isSeparator(cp) {
    for (var i = 0; i < SEPARATORS.length; i++) {
      if (cp >= SEPARATORS[i][0] && cp <= SEPARATORS[i][1]) return true;
    }
    return false;
  }

  function isAsciiDigit(cp) {
    return cp >= 48 && cp <= 57;
  }

  function isAsciiAlnum(cp) {
    return isAsciiDigit(cp) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  }

  // Calls emit(token) for every kept token of text; stop is a Set of stop words.
  function forEachToken(text, stop, emit) {
    var cur = '';
    var n = 0;
    function flush() {
      if (n >= MIN_TOKEN && n <= MAX_TOKEN && !stop.has(cur)) emit(cur);
      cur = '';
      n = 0;
    }
    text = String(text);
    var i = 0;
    while (i < text.length) {
      var cp = text.codePointAt(i);
      i += cp > 0xFFFF ? 2 : 1;
      if (isAsciiAlnum(cp)) {
        cur += String.fromCharCode(cp >= 65 && cp <= 90 ? cp + 32 : cp);
        n++;
        continue;
      }
      if (cp === 46) { // '.'
        if (cur.length && isAsciiDigit(cur.charCodeAt(cur.length - 1)) &&
            i < text.length && isAsciiDigit(text.charCodeAt(i))) {
          cur += '.';
          n++;
          continue;
        }
      } else if (cp >= 0x80) {
        if (cp >= 0x300 && cp <= 0x36F) continue; // combining marks
        if (cp >= 0xC0 && cp <= 0x17F) {
          var f = FOLD[cp - 0xC0];
          if (f) {
            cur += f;
            n += f.length;
            continue;
          }
        } else if (!isSeparator(cp)) {
          var lower = String.fromCodePoint(cp).toLowerCase();
          for (var ch of lower) { // eslint-disable-line no-unused-vars
            n++;
          }
          cur += lower;
          continue;
        }
      }
      flush();
    }
    flush();
  }

  function idDigits(token) {
    var m = /^[a-z]{1,2}([0-9]{4,})$/.exec(token);
    return m ? m[1] : null;
  }

  // All tokens of a document text, including the digits of id-like tokens.
  function docTokens(text, stop) {
    var out = [];
    forEachToken(text, stop, function (t) {
      out.push(t);
      var d = idDigits(t);
      if (d) out.push(d);
    });
    return out;
  }

  // Query terms: ids replaced by their digits, deduplicated, at most maxTerms.
  function queryTerms(text, stop, maxTerms) {
    var out = [];
    forEachToken(text, stop, function (t) {
      t = idDigits(t) || t;
      if (out.length < maxTerms && out.indexOf(t) < 0) out.push(t);
    });
    return out;
  }

  function cpLength(s) {
    var n = 0;
    for (var ch of s) n++; // eslint-disable-line no-unused-vars
    return n;
  }

  // ---- Binary helpers. ----

  var utf8Decoder = new TextDecoder();
  var utf8Encoder = new TextEncoder();

  function compareBytes(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] - b[i];
    }
    return a.length - b.length;
  }

  function startsWithBytes(a, prefix) {
    if (a.length < prefix.length) return false;
    for (var i = 0; i < prefix.length; i++) {
      if (a[i] !== prefix[i]) return false;
    }
    return true;
  }

  // Reads an unsigned LEB128 varint; r = { pos }. Returns -1 when malformed.
  function varint(buf, r) {
    var v = 0;
    var mul = 1;
    for (var k = 0; k < 5; k++) {
      if (r.pos >= buf.length) return -1;
      var b = buf[r.pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
    return -1;
  }

  function decodeDocList(buf) {
    var out = [];
    var r = { pos: 0 };
    var doc = 0;
    while (r.pos < buf.length) {
      var d = varint(buf, r);
      if (d < 0) break;
      doc = out.length ? doc + d : d;
      out.push(doc);
    }
    return out;
  }

  // Calls visit(doc, impact) for each posting of a term with document frequency df in an
  // index of docs documents: a bitmap when df * 8 >= docs, else varint deltas; then impacts.
  function forEachPosting(buf, df, docs, visit) {
    var list = [];
    var pos;
    if (df * 8 >= docs && docs > 0) {
      var bytes = Math.min(Math.ceil(docs / 8), buf.length);
      for (var i = 0; i < bytes; i++) {
        var b = buf[i];
        for (var bit = 0; b && bit < 8; bit++) {
          if (b & (1 << bit) && list.length < df) list.push(i * 8 + bit);
        }
      }
      pos = bytes;
    } else {
      var r = { pos: 0 };
      var doc = 0;
      while (list.length < df) {
        var d = varint(buf, r);
        if (d < 0) break;
        doc = list.length ? doc + d : d;
        list.push(doc);
      }
      pos = r.pos;
    }
    var n = Math.min(list.length, buf.length - pos);
    for (var k = 0; k < n; k++) visit(list[k], buf[pos + k]);
  }

  function decodeShard(buf, shardNo) {
    if (buf[0] !== 1) throw new Error('unknown dictionary shard version');
    var r = { pos: 1 };
    var count = varint(buf, r);
    var prev = new Uint8Array(256);
    var entries = [];
    for (var i = 0; i < count; i++) {
      var shared = varint(buf, r);
      var slen = varint(buf, r);
      if (shared < 0 || slen < 0 || shared + slen > prev.length) throw new Error('bad shard');
      prev.set(buf.subarray(r.pos, r.pos + slen), shared);
      r.pos += slen;
      var len = shared + slen;
      var df = varint(buf, r);
      var plen = varint(buf, r);
      var loc = varint(buf, r);
      var e = {
        term: utf8Decoder.decode(prev.subarray(0, len)),
        df: df, plen: plen, inline: null, ext: -1, order: [shardNo, i]
      };
      if (loc === 0) {
        e.inline = buf.subarray(r.pos, r.pos + plen);
        r.pos += plen;
      } else {
        e.ext = loc - 1;
      }
      entries.push(e);
    }
    return entries;
  }

  // Integer scoring, exact in doubles; see src/search/format.rs.
  function idf(docs, df) {
    return Math.max(0, Math.floor(1000 * Math.log(1 + (docs - df + 0.5) / (df + 0.5)) + 0.5));
  }

  function matchWeight(qChars, tChars) {
    return 4 + Math.floor(4 * qChars / Math.max(1, tChars));
  }

  // ---- Loading. ----

  function isNode() {
    return typeof process !== 'undefined' && process.versions && process.versions.node &&
      typeof window === 'undefined';
  }

  // Loads url; version (the manifest's, absent for the manifest itself) makes every
  // other file's URL unique to one build, so a rebuilt site never mixes cached files.
  function defaultLoad(url, version) {
    if (isNode() && !/^https?:/i.test(url) && typeof require === 'function') {
      return require('fs').promises.readFile(url);
    }
    var req = version ? fetch(url + '?v=' + encodeURIComponent(version)) : fetch(url, { cache: 'no-cache' });
    return req.then(function (res) {
      if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
      return res.arrayBuffer();
    });
  }

  function toBytes(x) {
    if (x instanceof Uint8Array) return x;
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    return new Uint8Array(x);
  }

  // ---- The index. ----

  function Index(base, load) {
    this.base = String(base || '').replace(/\/*$/, '/');
    this.load = load || defaultLoad;
    this.cache = new Map();
    this.manifestPromise = null;
  }

  Index.prototype.cached = function (key, make) {
    var self = this;
    if (!self.cache.has(key)) {
      var p = make();
      p.catch(function () { self.cache.delete(key); });
      self.cache.set(key, p);
    }
    return self.cache.get(key);
  };

  Index.prototype.bytes = function (rel) {
    var self = this;
    return self.cached(rel, function () {
      var version = rel === 'manifest.json' || !self.m ? undefined : self.m.version;
      return Promise.resolve(self.load(self.base + rel, version)).then(toBytes);
    });
  };

  Index.prototype.json = function (rel) {
    return this.cached('json:' + rel, () => this.bytes(rel).then((b) => JSON.parse(utf8Decoder.decode(b))));
  };

  Index.prototype.manifest = function () {
    var self = this;
    if (!self.manifestPromise) {
      self.manifestPromise = self.json('manifest.json').then(function (m) {
        if (m.format !== 'kbsearch-1') throw new Error('unknown search index format ' + m.format);
        self.m = m;
        self.stop = new Set(m.stopWords);
        self.keys = m.shards.map(function (s) { return utf8Encoder.encode(s); });
        return m;
      });
      self.manifestPromise.catch(function () { self.manifestPromise = null; });
    }
    return self.manifestPromise;
  };

  Index.prototype.shard = function (i) {
    return this.cached('shard:' + i, () => this.bytes('d/' + i + '.bin').then((b) => decodeShard(b, i)));
  };

  // Shards that may hold q (or, with prefix, terms starting with q).
  Index.prototype.shardRange = function (qBytes, prefix) {
    var keys = this.keys;
    var lo = 0;
    var hi = keys.length;
    while (lo < hi) { // first key > q
      var mid = (lo + hi) >> 1;
      if (compareBytes(keys[mid], qBytes) <= 0) lo = mid + 1; else hi = mid;
    }
    var first = Math.max(0, lo - 1);
    var end = Math.min(first + 1, keys.length);
    var max = Math.min(keys.length, first + Math.max(1, this.m.maxPrefixShards));
    while (prefix && end < max && startsWithBytes(keys[end], qBytes)) end++;
    var out = [];
    for (var s = first; s < end; s++) out.push(s);
    return out;
  };

  // Dictionary terms used for query term q (see "Query semantics" in mod.rs).
  Index.prototype.expand = async function (q) {
    var m = this.m;
    var qChars = cpLength(q);
    var prefix = qChars >= m.minPrefix && !/^[0-9.]+$/.test(q);
    var shards = await Promise.all(this.shardRange(utf8Encoder.encode(q), prefix).map((i) => this.shard(i)));
    var cands = [];
    shards.forEach(function (entries) {
      entries.forEach(function (e) {
        if (e.term === q || (prefix && e.term.startsWith(q))) cands.push(e);
      });
    });
    cands.sort(function (a, b) {
      return ((b.term === q) - (a.term === q)) || (b.df - a.df) ||
        (a.order[0] - b.order[0]) || (a.order[1] - b.order[1]);
    });
    var out = [];
    var bytes = 0;
    for (var k = 0; k < cands.length && out.length < m.maxExpansions; k++) {
      var e = cands[k];
      if (!out.length || bytes + e.plen <= m.prefixBudget) {
        bytes += e.plen;
        out.push({ entry: e, weight: matchWeight(qChars, cpLength(e.term)) });
      }
    }
    return out;
  };

  Index.prototype.postings = function (e) {
    return e.inline ? Promise.resolve(e.inline) : this.bytes('p/' + e.ext + '.bin');
  };

  Index.prototype.lookup = async function (term) {
    await this.manifest();
    var shards = await Promise.all(this.shardRange(utf8Encoder.encode(term), false).map((i) => this.shard(i)));
    for (var s = 0; s < shards.length; s++) {
      for (var k = 0; k < shards[s].length; k++) {
        if (shards[s][k].term === term) return shards[s][k];
      }
    }
    return null;
  };

  Index.prototype.filterMask = async function (filters) {
    var m = this.m;
    var paths = [];
    var product = filters && filters.product;
    var year = filters && filters.year ? Number(filters.year) : 0;
    if (product) {
      var p = -1;
      m.products.forEach(function (x, i) { if (x[0] === product) p = i; });
      paths.push(p < 0 ? null : 'f/p' + p + '.bin');
    }
    if (year) {
      var has = m.years.some(function (x) { return x[0] === year; });
      paths.push(has ? 'f/y' + year + '.bin' : null);
    }
    if (!paths.length) return null;
    var lists = await Promise.all(paths.map((rel) => rel ? this.bytes(rel).then(decodeDocList) : []));
    var count = new Uint8Array(m.docs);
    lists.forEach(function (l) {
      l.forEach(function (d) { if (d < m.docs) count[d]++; });
    });
    var mask = new Uint8Array(m.docs);
    for (var d = 0; d < m.docs; d++) mask[d] = count[d] === lists.length ? 1 : 0;
    return mask;
  };

  // All matching docs, best first: { terms, hits: [{ doc, score }] }.
  Index.prototype.search = async function (text, filters) {
    var m = await this.manifest();
    var n = m.docs;
    var terms = queryTerms(text, this.stop, m.maxQueryTerms);
    if (!terms.length || !n) return { terms: terms, hits: [] };
    var plans = await Promise.all(terms.map((t) => this.expand(t)));
    if (plans.some(function (p) { return !p.length; })) return { terms: terms, hits: [] };
    var lists = await Promise.all(plans.map((p) => Promise.all(p.map((x) => this.postings(x.entry)))));
    var maskPromise = this.filterMask(filters);
    var acc = new Float64Array(n);
    var matched = new Uint8Array(n);
    var best = new Float64Array(n);
    var seen = new Uint8Array(n);
    var touched = [];
    var tb = m.titleBoost;
    for (var ti = 0; ti < plans.length; ti++) {
      var stamp = ti + 1;
      var maxDf = 0;
      plans[ti].forEach(function (x) { maxDf = Math.max(maxDf, x.entry.df); });
      var w = idf(n, maxDf);
      for (var x = 0; x < plans[ti].length; x++) {
        var exp = plans[ti][x];
        var weight = exp.weight;
        forEachPosting(lists[ti][x], exp.entry.df, n, function (doc, imp) {
          if (doc >= n) return;
          var s = w * ((imp & 127) + (imp & 128 ? tb : 0)) * weight;
          if (seen[doc] !== stamp) {
            seen[doc] = stamp;
            best[doc] = s;
            touched.push(doc);
          } else if (s > best[doc]) {
            best[doc] = s;
          }
        });
      }
      for (var k = 0; k < touched.length; k++) {
        acc[touched[k]] += best[touched[k]];
        matched[touched[k]]++;
      }
      touched.length = 0;
    }
    var mask = await maskPromise;
    var want = plans.length;
    var hits = [];
    for (var d = 0; d < n; d++) {
      if (matched[d] === want && (!mask || mask[d])) hits.push({ doc: d, score: acc[d] });
    }
    hits.sort(function (a, b) { return (b.score - a.score) || (a.doc - b.doc); });
    return { terms: terms, hits: hits };
  };

  // Doc-table records for doc numbers (fetches only their chunks).
  Index.prototype.docs = async function (nums) {
    var m = await this.manifest();
    var cs = m.chunkSize;
    var chunks = await Promise.all(nums.map((d) => this.json('c/' + Math.floor(d / cs) + '.json')));
    return nums.map(function (d, i) {
      var row = chunks[i][d % cs];
      var p = row[2] >= 0 && m.products[row[2]] ? m.products[row[2]][0] : null;
      return { doc: d, id: row[0], title: row[1], product: p, year: row[3], date: row[4], url: row[5] };
    });
  };

  // The record of the article whose id is typed (Q151228, KB151228, 151228), or null.
  Index.prototype.resolveId = async function (text) {
    var match = /^\s*(?:kb|q)?(\d{3,12})\s*$/i.exec(String(text));
    if (!match) return null;
    var digits = match[1];
    var m = await this.manifest();
    // Title postings of q<digits>, then of <digits>, in doc order; at most
    // maxIdCandidates per term are checked against the doc table (as in reader.rs).
    var terms = ['q' + digits, digits];
    for (var i = 0; i < terms.length; i++) {
      var entry = await this.lookup(terms[i]);
      if (!entry) continue;
      var cands = [];
      forEachPosting(await this.postings(entry), entry.df, this.m.docs, function (doc, imp) {
        if (imp & 128 && cands.length < m.maxIdCandidates) cands.push(doc);
      });
      for (var k = 0; k < cands.length; k++) {
        if (cands[k] >= this.m.docs) continue;
        var rec = (await this.docs([cands[k]]))[0];
        if (String(rec.id).replace(/^[A-Za-z]+/, '') === digits) return rec;
      }
    }
    return null;
  };

  // ---- Public pure API. ----

  var indexes = new Map();

  function open(base, opts) {
    var load = opts && opts.load;
    if (load) return new Index(base, load);
    if (!indexes.has(base)) indexes.set(base, new Index(base));
    return indexes.get(base);
  }

  async function query(base, text, filters, opts) {
    opts = opts || {};
    var ix = open(base, opts);
    var r = await ix.search(text, filters || {});
    var offset = opts.offset || 0;
    var limit = opts.limit == null ? 20 : opts.limit;
    var page = r.hits.slice(offset, offset + limit);
    var recs = await ix.docs(page.map(function (h) { return h.doc; }));
    return {
      terms: r.terms,
      total: r.hits.length,
      hits: recs.map(function (rec, i) { rec.score = page[i].score; return rec; })
    };
  }

  function resolveId(base, text, opts) {
    return open(base, opts).resolveId(text);
  }

  // ---- Page wiring. ----

  function init(opts) {
    var doc = root.document;
    var $ = function (x) { return typeof x === 'string' ? doc.querySelector(x) : x || null; };
    var input = $(opts.input);
    var results = $(opts.results);
    var form = $(opts.form) || (input && input.form) || null;
    var productSel = $(opts.productFilter);
    var yearSel = $(opts.yearFilter);
    var pageSize = opts.pageSize || 20;
    var ix = open(opts.base, opts);
    var seq = 0;
    var timer = null;
    var state = null;

    var status = doc.createElement('p');
    status.className = 'kbs-status';
    status.setAttribute('role', 'status');
    var list = doc.createElement('ol');
    list.className = 'kbs-results';
    var more = doc.createElement('button');
    more.type = 'button';
    more.className = 'kbs-more';
    more.textContent = 'More results';
    more.hidden = true;
    results.appendChild(status);
    results.appendChild(list);
    results.appendChild(more);

    function el(tag, cls, text) {
      var e = doc.createElement(tag);
      if (cls) e.className = cls;
      if (text != null) e.textContent = String(text);
      return e;
    }

    function option(select, value, label) {
      var o = doc.createElement('option');
      o.value = value;
      o.textContent = label;
      select.appendChild(o);
    }

    function filters() {
      return {
        product: productSel && productSel.value ? productSel.value : null,
        year: yearSel && yearSel.value ? Number(yearSel.value) : null
      };
    }

    function clear() {
      while (list.firstChild) list.removeChild(list.firstChild);
      more.hidden = true;
    }

    function updateUrl(text) {
      if (!root.history || !root.URLSearchParams) return;
      var params = new URLSearchParams(root.location.search);
      if (text) params.set('q', text); else params.delete('q');
      var f = filters();
      if (f.product) params.set('product', f.product); else params.delete('product');
      if (f.year) params.set('year', String(f.year)); else params.delete('year');
      var qs = params.toString();
      root.history.replaceState(null, '', root.location.pathname + (qs ? '?' + qs : '') + root.location.hash);
    }

    async function showMore(my) {
      var page = state.hits.slice(state.shown, state.shown + pageSize);
      var recs = await ix.docs(page.map(function (h) { return h.doc; }));
      if (my !== seq) return;
      recs.forEach(function (rec) {
        var li = el('li', 'kbs-hit');
        var a = el('a', 'kbs-link');
        a.href = rec.url;
        if (rec.id) {
          a.appendChild(el('span', 'kbs-id', rec.id));
          a.appendChild(doc.createTextNode(' '));
        }
        a.appendChild(el('span', 'kbs-title', rec.title));
        li.appendChild(a);
        var meta = [rec.product, rec.date].filter(Boolean).join(' · ');
        if (meta) li.appendChild(el('span', 'kbs-meta', meta));
        list.appendChild(li);
      });
      state.shown += page.length;
      more.hidden = state.shown >= state.hits.length;
    }

    async function run() {
      var my = ++seq;
      var text = input.value;
      updateUrl(text.trim());
      if (!text.trim()) {
        clear();
        status.textContent = '';
        return;
      }
      try {
        var r = await ix.search(text, filters());
        if (my !== seq) return;
        clear();
        state = { hits: r.hits, shown: 0 };
        var n = r.hits.length;
        status.textContent = n === 0 ? 'No results.' : n === 1 ? '1 result' : n + ' results';
        await showMore(my);
      } catch (e) {
        if (my === seq) status.textContent = 'Search failed: ' + e.message;
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, 150);
    }

    input.addEventListener('input', schedule);
    if (productSel) productSel.addEventListener('change', run);
    if (yearSel) yearSel.addEventListener('change', run);
    more.addEventListener('click', function () { return showMore(seq); });
    if (form) {
      form.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        clearTimeout(timer);
        try {
          var rec = await ix.resolveId(input.value);
          if (rec) {
            root.location.assign(rec.url);
            return;
          }
        } catch (e) {
          // fall through to a normal search
        }
        run();
      });
    }

    var ready = ix.manifest().then(function (m) {
      if (productSel) {
        option(productSel, '', 'All products');
        m.products.map(function (p) { return p; })
          .sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
          .forEach(function (p) { option(productSel, p[0], p[0] + ' (' + p[1] + ')'); });
      }
      if (yearSel) {
        option(yearSel, '', 'All years');
        m.years.slice().reverse().forEach(function (y) { option(yearSel, String(y[0]), y[0] + ' (' + y[1] + ')'); });
      }
      var params = root.URLSearchParams ? new URLSearchParams(root.location.search) : null;
      if (params) {
        if (params.get('q') && !input.value) input.value = params.get('q');
        if (productSel && params.get('product')) productSel.value = params.get('product');
        if (yearSel && params.get('year')) yearSel.value = params.get('year');
      }
      if (!input.value.trim()) return;
      // An article id typed into the header box (`?q=Q151228`) opens the article directly,
      // as Enter does on this page.
      if (params && params.get('q')) {
        return ix.resolveId(input.value).then(function (rec) {
          if (rec) root.location.replace(rec.url);
          else return run();
        }, run);
      }
      return run();
    }, function (e) {
      status.textContent = 'Search is unavailable: ' + e.message;
    });

    return { index: ix, search: run, ready: ready };
  }

  var api = {
    init: init,
    open: open,
    query: query,
    resolveId: resolveId,
    tokenize: docTokens,
    queryTerms: queryTerms,
    Index: Index
  };
  root.KbSearch = api;
  if (typeof module === 'object' && module && module.exports) module.exports = api;
})(typeof window !== 'undefined' ? window : globalThis);
