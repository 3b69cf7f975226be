// Real-browser test of the kbsite search page: serves a built site with Node's http
// module, drives Chromium through playwright-core and checks what a reader sees.
//
//   SITE_DIR=public BASEURL=/kbarchive node tests/browser/search.mjs
//
// Env: SITE_DIR (required; a site built with BASEURL as its baseurl), BASEURL ('' for the
// root), CHROMIUM (default /usr/bin/chromium), TEST_TIMEOUT_MS (whole run, default 90000).
// Prints one PASS/FAIL line per check; exits 1 when a check fails, 2 when it cannot run.
// Run by tests/browser_search.rs (cargo test); needs `npm ci --prefix tests/browser`.

import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const SITE_DIR = process.env.SITE_DIR;
const BASEURL = (process.env.BASEURL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS || 90000);
const STEP_TIMEOUT_MS = 15000;

const ARTICLE = 'Q151228';
const ARTICLE_PATH = `${BASEURL}/kb/151/Q151228/`;
// "serial" matches articles of three products in the demo site; the filter keeps one.
const FILTER_QUERY = 'serial';
const FILTER_PRODUCT = 'Microsoft LAN Manager';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

function fail(msg) {
  console.error(`ERROR: ${msg}`);
  process.exit(2);
}

if (!SITE_DIR) fail('SITE_DIR is not set (the built site folder to serve)');
const root = path.resolve(SITE_DIR);
if (!fs.existsSync(path.join(root, 'search', 'index.html'))) fail(`${root} has no search/index.html`);
if (!fs.existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM} (set CHROMIUM)`);

// ---- Static server: the site under BASEURL, index.html for folders. ----

function send(res, status, type, body, head) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

function serve(req, res) {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain', 'method not allowed\n', head);
  const url = new URL(req.url, 'http://localhost');
  let pathname;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return send(res, 400, 'text/plain', 'bad path\n', head);
  }
  if (pathname === BASEURL && BASEURL) {
    res.writeHead(301, { Location: `${BASEURL}/${url.search}` });
    return res.end();
  }
  if (!pathname.startsWith(`${BASEURL}/`)) return notFound(res, head);
  const rel = pathname.slice(BASEURL.length + 1);
  let file = path.resolve(root, rel);
  if (file !== root && !file.startsWith(root + path.sep)) return notFound(res, head);
  let stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat && stat.isDirectory()) {
    if (!pathname.endsWith('/')) {
      res.writeHead(301, { Location: `${pathname}/${url.search}` });
      return res.end();
    }
    file = path.join(file, 'index.html');
    stat = fs.statSync(file, { throwIfNoEntry: false });
  }
  if (!stat || !stat.isFile()) return notFound(res, head);
  const body = fs.readFileSync(file);
  send(res, 200, TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream', body, head);
}

function notFound(res, head) {
  const page = path.join(root, '404.html');
  const body = fs.existsSync(page) ? fs.readFileSync(page) : 'not found\n';
  send(res, 404, 'text/html; charset=utf-8', body, head);
}

// ---- Checks. ----

const results = [];

function report(ok, name, detail) {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

async function check(name, fn) {
  try {
    const detail = await fn();
    report(true, name, detail);
  } catch (e) {
    report(false, name, String(e && e.message ? e.message : e).split('\n')[0]);
  }
}

// What the results box shows now.
function shown(page) {
  return page.evaluate(() => ({
    status: (document.querySelector('.kbs-status') || {}).textContent || '',
    hits: [...document.querySelectorAll('#results li.kbs-hit')].map((li) => ({
      id: (li.querySelector('.kbs-id') || {}).textContent || '',
      title: (li.querySelector('.kbs-title') || {}).textContent || '',
      meta: (li.querySelector('.kbs-meta') || {}).textContent || '',
    })),
  }));
}

function describe(s) {
  const hits = s.hits.slice(0, 5).map((h) => `${h.id} [${h.meta}]`).join(', ');
  return `status "${s.status}", hits: ${hits || 'none'}${s.hits.length > 5 ? ', …' : ''}`;
}

const productOf = (h) => h.meta.split(' · ')[0];

// Waits until pred(shown state) holds, then until the list stays the same for 300 ms (a
// debounced search may still be running); on timeout throws with what was shown.
async function waitFor(page, what, pred) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last = null;
  let stableSince = 0;
  while (Date.now() < deadline) {
    const s = await shown(page);
    const key = JSON.stringify(s);
    if (pred(s)) {
      if (key === last && Date.now() - stableSince >= 300) return s;
      if (key !== last) stableSince = Date.now();
    }
    last = key;
    await page.waitForTimeout(50);
  }
  throw new Error(`timed out waiting for ${what}; ${describe(await shown(page))}`);
}

async function openSearch(page, base) {
  await page.goto(`${base}/search/`);
  // The product select is filled once the manifest has loaded.
  await page.waitForFunction(() => document.querySelectorAll('#kbs-product option').length > 1, null, {
    timeout: STEP_TIMEOUT_MS,
  });
}

async function typeQuery(page, text) {
  const input = page.locator('#q');
  await input.fill('');
  await input.pressSequentially(text, { delay: 15 });
}

async function expectArticle(page, how) {
  await page.waitForURL((u) => u.pathname === ARTICLE_PATH, { timeout: STEP_TIMEOUT_MS });
  await page.waitForLoadState('load');
  const title = await page.title();
  if (!title.includes(ARTICLE)) throw new Error(`${how}: title is "${title}"`);
  return `${new URL(page.url()).pathname} "${title.slice(0, 60)}"`;
}

async function run(base, context) {
  const page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A failed request is reported below, with its URL; Chromium asks for /favicon.ico itself.
    if (/^Failed to load resource/.test(m.text())) return;
    problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    const p = new URL(r.url()).pathname;
    if (r.status() >= 400 && p !== '/favicon.ico') problems.push(`HTTP ${r.status()} ${p}`);
  });

  await check('search page loads and lists the products', async () => {
    await openSearch(page, base);
    const options = await page.locator('#kbs-product option').allTextContents();
    if (options[0] !== 'All products') throw new Error(`first option is "${options[0]}"`);
    if (!options.some((o) => o.startsWith(FILTER_PRODUCT))) throw new Error(`no ${FILTER_PRODUCT}: ${options}`);
    return options.join(' | ');
  });

  await check(`typing "duplicate serial numbers" lists ${ARTICLE} first`, async () => {
    await typeQuery(page, 'duplicate serial numbers');
    const s = await waitFor(page, `${ARTICLE} first`, (s) => s.hits.length > 0 && s.hits[0].id === ARTICLE);
    const h = s.hits[0];
    if (!/duplicate serial numbers/i.test(h.title)) throw new Error(`title is "${h.title}"`);
    const href = await page.locator('#results li.kbs-hit a').first().getAttribute('href');
    if (href !== ARTICLE_PATH) throw new Error(`link is ${href}, expected ${ARTICLE_PATH}`);
    return `${s.status}: ${h.id} ${h.title} [${h.meta}]`;
  });

  let unfiltered = null;
  await check(`"${FILTER_QUERY}" has results in several products`, async () => {
    await typeQuery(page, FILTER_QUERY);
    const s = await waitFor(page, 'results in 2+ products', (s) => new Set(s.hits.map(productOf)).size >= 2);
    unfiltered = s;
    return `${s.status}: ${[...new Set(s.hits.map(productOf))].join(', ')}`;
  });

  await check(`product filter "${FILTER_PRODUCT}" keeps only its articles`, async () => {
    if (!unfiltered) throw new Error('no unfiltered results to compare with');
    await page.selectOption('#kbs-product', FILTER_PRODUCT);
    const s = await waitFor(
      page,
      `only ${FILTER_PRODUCT}`,
      (s) => s.hits.length > 0 && s.hits.every((h) => productOf(h) === FILTER_PRODUCT),
    );
    const expected = unfiltered.hits.filter((h) => productOf(h) === FILTER_PRODUCT).length;
    if (s.hits.length !== expected) throw new Error(`${s.hits.length} hits, expected ${expected}; ${describe(s)}`);
    const q = new URL(page.url()).searchParams;
    if (q.get('product') !== FILTER_PRODUCT || q.get('q') !== FILTER_QUERY) throw new Error(`URL is ${page.url()}`);
    return describe(s);
  });

  await check('"All products" brings the other products back', async () => {
    if (!unfiltered) throw new Error('no unfiltered results to compare with');
    await page.selectOption('#kbs-product', '');
    const want = JSON.stringify(unfiltered.hits);
    const s = await waitFor(page, 'the unfiltered results', (s) => JSON.stringify(s.hits) === want);
    return describe(s);
  });

  for (const typed of [ARTICLE, '151228', 'q151228']) {
    await check(`Enter on "${typed}" opens the article`, async () => {
      await openSearch(page, base);
      await page.locator('#q').fill(typed);
      await page.locator('#q').press('Enter');
      return expectArticle(page, `after Enter on ${typed}`);
    });
  }

  await check(`short URL ${BASEURL}/${ARTICLE}/ redirects to the article`, async () => {
    await page.goto(`${base}/${ARTICLE}/`);
    return expectArticle(page, 'after the redirect');
  });

  await check('header search box opens the search page with results', async () => {
    await page.goto(`${base}/`);
    const box = page.locator('form.site-search input[name=q]');
    await box.fill('duplicate serial numbers');
    await box.press('Enter');
    await page.waitForURL((u) => u.pathname === `${BASEURL}/search/`, { timeout: STEP_TIMEOUT_MS });
    const s = await waitFor(page, `${ARTICLE} first`, (s) => s.hits.length > 0 && s.hits[0].id === ARTICLE);
    const value = await page.locator('#q').inputValue();
    if (value !== 'duplicate serial numbers') throw new Error(`search box holds "${value}"`);
    return describe(s);
  });

  await check(`header search box with "${ARTICLE}" opens the article`, async () => {
    await page.goto(`${base}/`);
    const box = page.locator('form.site-search input[name=q]');
    await box.fill(ARTICLE);
    await box.press('Enter');
    return expectArticle(page, `after the header search for ${ARTICLE}`);
  });

  await check('no JavaScript errors or failed requests', async () => {
    if (problems.length) throw new Error(problems.join('; '));
    return '';
  });
}

// ---- Main: always closes the browser and the server. ----

const started = Date.now();
const server = http.createServer((req, res) => {
  try {
    serve(req, res);
  } catch (e) {
    send(res, 500, 'text/plain', `${e}\n`, false);
  }
});
let context = null;
let userDataDir = null;
let cleaned = false;

async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (context) await context.close().catch((e) => console.error(`closing the browser: ${e.message}`));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  report(false, 'whole run', `took longer than ${TEST_TIMEOUT_MS} ms`);
  await Promise.race([cleanup(), new Promise((r) => setTimeout(r, 5000))]);
  process.exit(1);
}, TEST_TIMEOUT_MS);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(130);
  });
}

let code = 0;
try {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}${BASEURL}`;
  console.log(`serving ${root} at ${base}/`);
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbsite-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  console.log(`browser: ${CHROMIUM} ${context.browser() ? context.browser().version() : ''}`.trim());
  await run(base, context);
  const failed = results.filter((ok) => !ok).length;
  console.log(`${failed ? 'FAIL' : 'PASS'}: ${results.length - failed} of ${results.length} browser checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  code = failed ? 1 : 0;
} catch (e) {
  console.error(`ERROR: ${e && e.stack ? e.stack : e}`);
  code = 2;
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
process.exit(code);
