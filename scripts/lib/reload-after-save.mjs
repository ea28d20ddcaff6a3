// The wiki's own edit loop, timed as reload-bench times rldev's: save a
// module's Less (reload-bench's css-leaf edit of the tree's leaf module),
// reload the page, and stop the clock when the page shows the new colour.
//   node reload-after-save.mjs --tree TREE --url URL --k K --work WORK
// TREE is a tree of reload-bench's generate.mjs (bench.json); URL a page
// that loads its modules (e.g. a wiki's Main Page with ?debug=1, so that
// load.php answers with no cache); playwright-core comes from WORK, where
// reload-bench's setup.sh installed it. Prints p50/p95/max in ms.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    tree: { type: 'string' },
    url: { type: 'string' },
    k: { type: 'string', default: '20' },
    work: { type: 'string', default: '/tmp/reload-bench' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const K = Number(o.k);
const manifest = JSON.parse(fs.readFileSync(path.join(o.tree, 'bench.json'), 'utf8'));
const L = manifest.leafModule;
const file = path.join(o.tree, manifest.files['css-leaf']);
const original = fs.readFileSync(file, 'utf8');
const require = createRequire(path.join(path.resolve(o.work), 'package.json'));
const { chromium } = require('playwright-core');

const profile = fs.mkdtempSync(path.join(path.resolve(o.work), 'chromium-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: o.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] || await ctx.newPage();
const colour = (want) => page.waitForFunction(([sel, c]) => {
  const el = document.querySelector(sel);
  return !!el && getComputedStyle(el).color === c;
}, [`.m${L}`, want], { timeout: 60000, polling: 'raf' });

const samples = [];
try {
  await page.goto(o.url);
  await page.waitForFunction((n) => window.__marks && Object.keys(window.__marks).length >= n,
    manifest.n, { timeout: 120000 });
  for (let e = 1; e <= K; e++) {
    const want = `rgb(${(e * 37) % 256}, 201, 7)`;
    const t0 = performance.now();
    fs.writeFileSync(file, original.replace(`color: @c${L};`, `color: ${want};`));
    await page.reload({ waitUntil: 'commit' });
    await colour(want);
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 300));
  }
} finally {
  fs.writeFileSync(file, original);
  await ctx.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
const sorted = [...samples].sort((a, b) => a - b);
const rank = (p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (v) => v.toFixed(1);
console.log('| path | p50 ms | p95 ms | max ms | ok |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| save, reload with ?debug=1 | ${ms(rank(50))} | ${ms(rank(95))} | ${ms(sorted[sorted.length - 1])} | ${samples.length}/${K} |`);
