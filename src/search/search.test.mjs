// Tests the search client against an index on disk:
//   KB_SEARCH_INDEX=/path/to/search node --test src/search/search.test.mjs
// When the folder holds expected.json (written by the Rust test
// `search::tests::js_client_matches_rust_reader`), results must equal the Rust reader's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const KbSearch = require('./search.js');

const dir = process.env.KB_SEARCH_INDEX;
const skip = dir ? false : 'set KB_SEARCH_INDEX to an index folder';
const base = dir ? dir.replace(/\/*$/, '/') : '';
const expectedPath = dir ? path.join(dir, 'expected.json') : '';
const expected = dir && existsSync(expectedPath) ? JSON.parse(readFileSync(expectedPath, 'utf8')) : null;

test('manifest loads and queries resolve', { skip }, async () => {
  const m = await KbSearch.open(base).manifest();
  assert.equal(m.format, 'kbsearch-1');
  assert.ok(m.docs > 0);
  const empty = await KbSearch.query(base, '', {});
  assert.equal(empty.total, 0);
  const junk = await KbSearch.query(base, '!!! ... ??? ' + 'x'.repeat(5000), {});
  assert.equal(junk.total, 0);
});

test('records come from the doc table', { skip }, async () => {
  const m = await KbSearch.open(base).manifest();
  const [rec] = await KbSearch.open(base).docs([m.docs - 1]);
  assert.equal(typeof rec.title, 'string');
  assert.equal(typeof rec.url, 'string');
});

test('a custom loader is used, with the index version for all but the manifest', { skip }, async () => {
  const seen = [];
  const load = async (url, version) => { seen.push([url, version]); return readFileSync(url); };
  const ix = KbSearch.open(base, { load });
  const m = await ix.manifest();
  await ix.search('zzzz', {});
  assert.match(m.version, /^[0-9a-f]{16}$/);
  assert.deepEqual(seen[0], [base + 'manifest.json', undefined]);
  assert.ok(seen.length > 1);
  for (const [url, version] of seen.slice(1)) assert.equal(version, m.version, url);
});

test('tokenizer matches Rust', { skip: skip || (!expected && 'no expected.json') }, async () => {
  const m = await KbSearch.open(base).manifest();
  const stop = new Set(m.stopWords);
  for (const c of expected.tokens) {
    assert.deepEqual(KbSearch.tokenize(c.text, stop), c.doc, `doc tokens of ${JSON.stringify(c.text)}`);
    assert.deepEqual(KbSearch.queryTerms(c.text, stop, m.maxQueryTerms), c.query, `query terms of ${JSON.stringify(c.text)}`);
  }
});

test('results match the Rust reader', { skip: skip || (!expected && 'no expected.json') }, async () => {
  for (const q of expected.queries) {
    const filters = { product: q.filters.product, year: q.filters.year };
    const r = await KbSearch.query(base, q.text, filters, { limit: q.top.length || 20 });
    const label = `${JSON.stringify(q.text)} ${JSON.stringify(filters)}`;
    assert.equal(r.total, q.total, `total for ${label}`);
    assert.deepEqual(
      r.hits.map((h) => [h.doc, h.score, h.id, h.url, h.title]),
      q.top.map((h) => [h.doc, h.score, h.id, h.url, h.title]),
      `ranking for ${label}`,
    );
  }
});

test('ids resolve like the Rust reader', { skip: skip || (!expected && 'no expected.json') }, async () => {
  for (const c of expected.resolve) {
    const rec = await KbSearch.resolveId(base, c.text);
    assert.equal(rec ? rec.url : null, c.url, `resolve ${c.text}`);
  }
});

test('paging returns the next results', { skip: skip || (!expected && 'no expected.json') }, async () => {
  const q = expected.queries.find((x) => x.total > 2);
  if (!q) return;
  const all = await KbSearch.query(base, q.text, q.filters, { limit: 3 });
  const next = await KbSearch.query(base, q.text, q.filters, { offset: 1, limit: 2 });
  assert.deepEqual(next.hits.map((h) => h.doc), all.hits.slice(1, 3).map((h) => h.doc));
});

// A minimal DOM, enough for KbSearch.init: elements, text nodes, events.
class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.listeners = {};
    this.textContent = '';
    this.className = '';
    this.hidden = false;
    this.value = '';
    this.href = '';
  }
  appendChild(c) { this.children.push(c); return c; }
  setAttribute(k, v) { this[k] = String(v); }
  removeChild(c) { this.children.splice(this.children.indexOf(c), 1); return c; }
  get firstChild() { return this.children[0] || null; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  async dispatch(type) {
    const ev = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    await Promise.all((this.listeners[type] || []).map((fn) => fn(ev)));
    return ev;
  }
  find(cls) {
    const out = [];
    const walk = (e) => { if (e.className === cls) out.push(e); (e.children || []).forEach(walk); };
    walk(this);
    return out;
  }
}

function fakePage(search) {
  const els = {};
  for (const id of ['q', 'results', 'product', 'year', 'form']) {
    els['#' + id] = new FakeElement(id === 'form' ? 'form' : id === 'q' ? 'input' : 'div');
  }
  globalThis.document = {
    createElement: (t) => new FakeElement(t),
    createTextNode: (t) => ({ textContent: t }),
    querySelector: (s) => els[s] || null,
  };
  globalThis.location = { search, pathname: '/search/', hash: '', assigned: null, assign(u) { this.assigned = u; } };
  globalThis.history = { replaceState(_s, _t, url) { globalThis.location.replaced = url; } };
  return els;
}

test('page wiring: filters, results as text, more, id jump', { skip: skip || (!expected && 'no expected.json') }, async () => {
  const m = await KbSearch.open(base).manifest();
  const plain = expected.queries.filter((x) => !x.filters.product && !x.filters.year);
  const q = plain.find((x) => x.total > 20) || plain.find((x) => x.total > 0);
  const els = fakePage('?q=' + encodeURIComponent(q.text));
  try {
    const ui = KbSearch.init({ base, input: '#q', results: '#results', productFilter: '#product', yearFilter: '#year', form: '#form' });
    await ui.ready;
    assert.equal(els['#product'].children.length, m.products.length + 1);
    assert.equal(els['#year'].children.length, m.years.length + 1);
    assert.equal(els['#q'].value, q.text);
    const hits = els['#results'].find('kbs-hit');
    assert.equal(hits.length, Math.min(20, q.total));
    const link = hits[0].children[0];
    assert.equal(link.href, q.top[0].url);
    assert.equal(link.find('kbs-title')[0].textContent, q.top[0].title);
    const more = els['#results'].find('kbs-more')[0];
    assert.equal(more.hidden, q.total <= 20);
    if (q.total > 20) {
      await more.dispatch('click');
      assert.equal(els['#results'].find('kbs-hit').length, Math.min(40, q.total));
    }
    const idCase = expected.resolve.find((c) => c.url);
    if (idCase) {
      els['#q'].value = idCase.text;
      const ev = await els['#form'].dispatch('submit');
      assert.ok(ev.defaultPrevented);
      assert.equal(globalThis.location.assigned, idCase.url);
    }
    els['#q'].value = '';
    await ui.search();
    assert.equal(els['#results'].find('kbs-hit').length, 0);
  } finally {
    delete globalThis.document;
    delete globalThis.location;
    delete globalThis.history;
  }
});
