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

test('a custom loader is used', { skip }, async () => {
  const seen = [];
  const load = async (url) => { seen.push(url); return readFileSync(url); };
  const ix = KbSearch.open(base, { load });
  await ix.search('zzzz', {});
  assert.ok(seen.some((u) => u.endsWith('manifest.json')));
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
