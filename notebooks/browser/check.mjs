// Browser check: opens one notebook in a running classic Jupyter Notebook 6 server (Debian's
// jupyter-notebook) with headless Chromium, clears its outputs, runs all cells from the menu the way a
// user would, waits until they have run, and checks what the page shows:
//   - every code cell ran (an "In [n]" prompt, none left at "[*]" or "[ ]");
//   - no cell shows an error output;
//   - at least one chart rendered in an output area (a decoded data:image/png <img> or an inline SVG).
// It writes a screenshot of the whole notebook (and one of the first chart) whether it passes or not.
//
// Normally started by run.sh, which starts and stops the server:
//   node check.mjs --base http://127.0.0.1:PORT/ --token TOKEN --notebook 00-tour.ipynb \
//                  --screenshot ../../out/ci/browser-00-tour.png [--timeout 300] [--chromium /usr/bin/chromium]
// Exit status: 0 pass, 1 a check failed, 2 bad usage.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const opts = {
  base: null, token: '', notebook: null, screenshot: null, timeout: 300, chromium: '/usr/bin/chromium',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  if (!(key in opts) || argv[i + 1] === undefined) {
    console.error(`check.mjs: unknown or incomplete option '${argv[i]}'; options: ${Object.keys(opts).map((k) => '--' + k).join(' ')}`);
    process.exit(2);
  }
  opts[key] = key === 'timeout' ? Number(argv[i + 1]) : argv[i + 1];
}
if (!opts.base || !opts.notebook || !opts.screenshot || !(opts.timeout > 0)) {
  console.error('check.mjs: --base, --notebook and --screenshot are required, --timeout must be > 0 seconds');
  process.exit(2);
}
const base = opts.base.endsWith('/') ? opts.base : opts.base + '/';
const auth = opts.token ? { Authorization: `token ${opts.token}` } : {};
const t0 = Date.now();
const log = (msg) => console.log(`[browser ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
const failures = [];
const fail = (msg) => { failures.push(msg); console.error(`[browser] FAIL: ${msg}`); };

async function api(path, init = {}) {
  const res = await fetch(base + path, { ...init, headers: { ...auth, ...(init.headers || {}) } });
  if (!res.ok) throw new Error(`${init.method || 'GET'} ${path}: HTTP ${res.status}`);
  return res.status === 204 ? null : res.json();
}

// Fail fast, with the fix, when the server can't see the kernelspec (the page would only show a
// "kernel not found" dialog and the wait would time out).
const specs = await api('api/kernelspecs');
if (!specs.kernelspecs || !specs.kernelspecs.compresso) {
  console.error(`check.mjs: the server has no 'compresso' kernelspec (it has: ${Object.keys(specs.kernelspecs || {}).join(', ') || 'none'}); ` +
    'install it with ./compresso install --prefix DIR and start the server with JUPYTER_PATH=DIR/share/jupyter');
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: opts.chromium,
  headless: true,
  // Debian's Chromium as root in a container: no sandbox, no GPU, no network chatter beyond localhost.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});
// Playwright gives every context a fresh, temporary profile (its own --user-data-dir).
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('dialog', (d) => { log(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });

const nbUrl = `${base}notebooks/${encodeURIComponent(opts.notebook)}${opts.token ? `?token=${encodeURIComponent(opts.token)}` : ''}`;
const deadline = t0 + opts.timeout * 1000;
const left = () => Math.max(1000, deadline - Date.now());

// Reads the page's state: prompts, errors, charts, kernel indicator. Uses the DOM a user sees, and the
// notebook's output model for errors (so an error that renders oddly is still caught).
const snapshot = () => page.evaluate(() => {
  const cells = [...document.querySelectorAll('#notebook-container .cell.code_cell')];
  const prompts = cells.map((c) => (c.querySelector('.input_prompt')?.textContent || '').replace(/\s+/g, ''));
  const errorsDom = cells.flatMap((c, i) => [...c.querySelectorAll('.output_area .output_error')]
    .map((e) => ({ cell: i + 1, text: e.textContent.trim().slice(0, 400) })));
  const errorsModel = (window.Jupyter?.notebook?.get_cells() || []).filter((c) => c.cell_type === 'code')
    .flatMap((c, i) => (c.output_area?.outputs || []).filter((o) => o.output_type === 'error')
      .map((o) => ({ cell: i + 1, text: `${o.ename}: ${o.evalue}` })));
  const pngs = [...document.querySelectorAll('.output_area img')]
    .filter((img) => img.src.startsWith('data:image/png') && img.complete && img.naturalWidth > 0);
  const svgs = [...document.querySelectorAll('.output_area .output_svg svg, .output_area img[src^="data:image/svg+xml"]')]
    .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
  const icon = document.querySelector('#kernel_indicator_icon');
  return {
    cells: cells.length,
    prompts,
    running: prompts.filter((p) => p.includes('[*]')).length,
    // Notebook 6 does not send empty cells to the kernel, so they keep "[ ]".
    notRun: prompts.map((p, i) => (/\[\d+\]/.test(p) || !(cells[i].querySelector('.CodeMirror')?.CodeMirror?.getValue() ?? 'x').trim() ? 0 : i + 1)).filter((i) => i),
    errors: errorsDom.length ? errorsDom : errorsModel,
    errorsModel: errorsModel.length,
    pngs: pngs.length,
    svgs: svgs.length,
    kernel: icon ? icon.className : 'none',
    connected: !!window.Jupyter?.notebook?.kernel?.is_connected?.(),
  };
});

async function screenshots() {
  try {
    mkdirSync(dirname(opts.screenshot), { recursive: true });
    // Notebook 6 scrolls inside #site, so a full-page shot would stop at the viewport: unroll it first.
    await page.addStyleTag({ content: 'body.notebook_app{position:static!important;overflow:visible!important;height:auto!important}' +
      '#site{height:auto!important;overflow:visible!important}' });
    await page.screenshot({ path: opts.screenshot, fullPage: true, timeout: 60000 });
    console.log(`[browser] screenshot: ${opts.screenshot}`);
    const chart = page.locator('.output_area:has(.output_png img, .output_svg svg)').first();
    if (await chart.count()) {
      const chartShot = opts.screenshot.replace(/\.png$/, '') + '-chart.png';
      await chart.screenshot({ path: chartShot, timeout: 30000 });
      console.log(`[browser] chart screenshot: ${chartShot}`);
    }
  } catch (e) {
    console.error(`[browser] could not write the screenshot: ${e.message}`);
  }
}

try {
  log(`opening ${opts.notebook} (${await browser.version()})`);
  await page.goto(nbUrl, { waitUntil: 'load', timeout: 60000 });
  if (!(await page.locator('#notebook-container').count())) {
    throw new Error(`no #notebook-container at ${page.url()}: is this Notebook 6 (classic)? title '${await page.title()}'`);
  }
  // The kernel is ready when the notebook is connected to it and the indicator shows idle.
  await page.waitForFunction(() => window.Jupyter?.notebook?.kernel?.is_connected?.() &&
    document.querySelector('#kernel_indicator_icon')?.classList.contains('kernel_idle_icon'), null, { timeout: Math.min(left(), 120000) });
  log('kernel idle; clearing the committed outputs, then Cell > Run All');

  // Clear committed outputs first, so whatever is checked below came from this run.
  await page.click('#celllink');
  await page.hover('#all_outputs > a');
  await page.click('#clear_all_output > a');
  const cleared = await snapshot();
  const numbered = cleared.prompts.filter((p) => /\[\d+\]/.test(p)).length;
  if (cleared.pngs + cleared.svgs > 0 || numbered > 0) {
    throw new Error(`Cell > All Output > Clear left ${cleared.pngs + cleared.svgs} charts and ${numbered} numbered prompts`);
  }
  await page.click('#celllink');
  await page.click('#run_all_cells > a');

  // Done when no prompt shows [*] and the kernel is idle, twice in a row (a second apart), or when
  // the kernel dies. Run All sends stop_on_error, so after an error later cells may stay unrun ([ ]).
  let s; let quiet = 0; let lastReport = 0; let deadSince = 0;
  for (;;) {
    await page.waitForTimeout(1000);
    s = await snapshot();
    const idle = s.kernel.includes('kernel_idle_icon');
    quiet = s.running === 0 && idle ? quiet + 1 : 0;
    if (quiet >= 2) break;
    if (/dead|disconnected/.test(s.kernel) || !s.connected) {
      deadSince = deadSince || Date.now();
      if (Date.now() - deadSince > 15000) throw new Error(`the kernel died or disconnected (indicator '${s.kernel}')`);
    } else deadSince = 0;
    if (Date.now() > deadline) {
      throw new Error(`cells still running after ${opts.timeout} s: ${s.running} of ${s.cells} show [*]`);
    }
    if (Date.now() - lastReport > 15000) {
      lastReport = Date.now();
      log(`running: ${s.cells - s.notRun.length} of ${s.cells} code cells done, ${s.running} queued or running`);
    }
  }
  log(`finished: ${s.cells} code cells, prompts ${s.prompts.join(' ')}`);

  if (s.cells === 0) fail('the notebook has no code cells');
  for (const e of s.errors) fail(`cell ${e.cell} shows an error: ${e.text}`);
  if (s.notRun.length) fail(`code cells not run: ${s.notRun.join(', ')} (a kernel that honours stop_on_error skips the cells after an error)`);
  if (s.pngs + s.svgs === 0) fail('no chart rendered: no data:image/png <img> and no image/svg+xml output in any output area');
  else log(`charts rendered: ${s.pngs} PNG <img>, ${s.svgs} SVG`);
} catch (e) {
  fail(e.message.split('\n')[0]);
} finally {
  if (pageErrors.length) console.error(`[browser] JavaScript errors on the page (not a failure by themselves):\n  ${pageErrors.join('\n  ')}`);
  await screenshots();
  // Shut the kernel down through the server, so no JVM outlives the check even if the server is killed.
  try {
    const sessions = await api('api/sessions');
    for (const sess of sessions) await api(`api/sessions/${sess.id}`, { method: 'DELETE' });
  } catch (e) {
    console.error(`[browser] could not shut the kernel down through the server: ${e.message}`);
  }
  await browser.close().catch(() => {});
}

const secs = ((Date.now() - t0) / 1000).toFixed(1);
if (failures.length) {
  console.error(`[browser] ${opts.notebook}: FAILED (${failures.length} problem${failures.length > 1 ? 's' : ''}) in ${secs} s`);
  process.exit(1);
}
console.log(`[browser] ${opts.notebook}: OK in ${secs} s`);
