// A journalist's path through logam in a real browser (Debian's Chromium, driven by
// playwright-core): home → dataset → filter → next page → CSV download → indicator chart →
// English → embed snippet. Screenshots of each page go to OUT_DIR.
//
//   node run.mjs BASE_URL OUT_DIR
//
// Exits non-zero, naming the step, when anything a reader would notice is wrong.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, out] = process.argv.slice(2);
if (!base || !out) {
  console.error('usage: node run.mjs BASE_URL OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
// An Indonesian reader's browser: the pages must come in Indonesian without asking.
const context = await browser.newContext({ acceptDownloads: true, locale: 'id-ID', viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));

let step = 'start';
function check(condition, message) {
  if (!condition) throw new Error(`${step}: ${message}`);
}
async function shot(name) {
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true });
}

try {
  step = 'home';
  await page.goto(base + '/');
  check((await page.getAttribute('html', 'lang')) === 'id', 'the home page is not Indonesian');
  check(await page.locator('h1', { hasText: 'logam' }).isVisible(), 'no heading');
  await shot('01-home');

  step = 'open a dataset';
  await page.locator('a[href="/datasets/klaster_knalpot"]').first().click();
  await page.waitForURL('**/datasets/klaster_knalpot');
  check(await page.locator('table').first().isVisible(), 'no table');
  await shot('02-dataset');

  step = 'filter';
  await page.fill('input[name="tahun"]', '2010');
  await page.click('button[type="submit"]');
  await page.waitForURL('**tahun=2010**');
  const years = await page.locator('table >> nth=0 >> tbody tr td:nth-child(2)').allInnerTexts();
  check(years.length > 0 && years.every((y) => y.trim() === '2010'), `rows not all 2010: ${years}`);
  await shot('03-filtered');

  step = 'next page';
  await page.goto(base + '/datasets/klaster_knalpot?_size=5&_sort=id');
  const firstIds = await page.locator('table >> nth=0 >> tbody tr td:nth-child(1)').allInnerTexts();
  await page.click('a[rel="next"]');
  await page.waitForURL('**_next=**');
  const secondIds = await page.locator('table >> nth=0 >> tbody tr td:nth-child(1)').allInnerTexts();
  check(secondIds.length > 0 && secondIds[0] !== firstIds[0], `the next page repeats: ${firstIds} / ${secondIds}`);
  await shot('04-next-page');

  step = 'download CSV';
  await page.goto(base + '/datasets/klaster_knalpot?tahun=2010');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('a[href^="/api/datasets/klaster_knalpot/rows.csv?tahun=2010"]'),
  ]);
  const csvPath = join(out, 'klaster_knalpot-2010.csv');
  await download.saveAs(csvPath);
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  check(lines[0].startsWith('id,tahun,'), `unexpected header ${lines[0]}`);
  check(lines.slice(1).every((l) => l.split(',')[1] === '2010'), 'CSV rows not all 2010');
  const shown = await page.locator('table >> nth=0 >> tbody tr').count();
  check(lines.length - 1 === shown, `CSV has ${lines.length - 1} rows, the page ${shown}`);

  step = 'open an indicator and see the chart';
  await page.goto(base + '/');
  await page.locator('a[href="/indicators/workers-per-unit"]').click();
  await page.waitForURL('**/indicators/workers-per-unit');
  const chart = page.locator('figure svg');
  check(await chart.isVisible(), 'no chart');
  const box = await chart.boundingBox();
  check(box && box.width > 300 && box.height > 150, `chart too small: ${JSON.stringify(box)}`);
  check((await page.locator('figure svg circle').count()) === 5, 'not one point per observation');
  await shot('05-indicator');

  step = 'switch language';
  await page.click('nav a[hreflang="en"]');
  await page.waitForURL('**lang=en**');
  check((await page.getAttribute('html', 'lang')) === 'en', 'the page did not switch to English');
  check(await page.locator('h2', { hasText: 'Definition' }).isVisible(), 'no English heading');
  await shot('06-indicator-en');

  step = 'follow the embed snippet';
  const snippet = await page.inputValue('textarea');
  check(snippet.startsWith('<iframe src="'), `odd snippet ${snippet}`);
  const host = await context.newPage();
  await host.setContent(`<!doctype html><html><body><h1>A newsroom story</h1>${snippet}</body></html>`);
  const frame = host.frameLocator('iframe');
  await frame.locator('svg').waitFor({ timeout: 10000 });
  check((await frame.locator('svg circle').count()) === 5, 'the embedded chart has no points');
  await host.screenshot({ path: join(out, '07-embedded.png'), fullPage: true });

  step = 'done';
  check(problems.length === 0, problems.join('; '));
  console.log('browser: every step passed');
} catch (error) {
  await shot('failure').catch(() => {});
  console.error(error.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
