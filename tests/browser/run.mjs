// A journalist's path through logam in a real browser (Debian's Chromium, driven by
// playwright-core): home → dataset → filter → next page → CSV download → indicator chart →
// English → embed snippet → an error page → print → dark mode → a phone's width. Screenshots
// of each page go to OUT_DIR.
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
  const chart = page.locator('figure .chart-wide svg');
  check(await chart.isVisible(), 'no chart');
  const box = await chart.boundingBox();
  check(box && box.width > 300 && box.height > 150, `chart too small: ${JSON.stringify(box)}`);
  check((await page.locator('figure .chart-wide svg circle').count()) === 5, 'not one point per observation');
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
  await frame.locator('.chart-wide svg').waitFor({ timeout: 10000 });
  check((await frame.locator('.chart-wide svg circle').count()) === 5, 'the embedded chart has no points');
  await host.screenshot({ path: join(out, '07-embedded.png'), fullPage: true });

  step = 'a page that does not exist';
  const missing = await page.goto(base + '/datasets/tidak_ada');
  check(missing.status() === 404, `status ${missing.status()}`);
  check(await page.locator('h1', { hasText: 'Halaman tidak ditemukan' }).isVisible(), 'no Indonesian error page');
  check(await page.locator('a[href="/"]').first().isVisible(), 'no way back');

  step = 'print';
  await page.goto(base + '/indicators/rupiah-per-unit');
  await page.emulateMedia({ media: 'print' });
  check(!(await page.locator('nav').isVisible()), 'the navigation is printed');
  check(await page.locator('figure .chart-wide svg').isVisible(), 'the chart is not printed');
  await page.emulateMedia({ media: 'screen' });

  step = 'dark mode';
  const dark = await browser.newContext({ locale: 'id-ID', colorScheme: 'dark', viewport: { width: 1200, height: 900 } });
  const darkPage = await dark.newPage();
  await darkPage.goto(base + '/datasets/klaster_knalpot');
  const [r, g, b] = (await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor))
    .match(/\d+/g).map(Number);
  check(r + g + b < 150, `the page stays light in dark mode (rgb ${r}, ${g}, ${b})`);
  await darkPage.screenshot({ path: join(out, '08-dark-dataset.png'), fullPage: true });
  await dark.close();

  step = 'phone width';
  const phone = await browser.newContext({
    locale: 'id-ID', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  const phonePage = await phone.newPage();
  phonePage.on('pageerror', (e) => problems.push(`phone page error: ${e.message}`));
  for (const [name, path] of [
    ['09-phone-home', '/'],
    ['10-phone-dataset', '/datasets/klaster_knalpot'],
    ['11-phone-indicator', '/indicators/rupiah-per-unit'],
    ['12-phone-sources', '/sources'],
  ]) {
    step = `phone width ${path}`;
    await phonePage.goto(base + path);
    const wider = await phonePage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wider <= 1, `the page is ${wider}px wider than the phone`);
    // A table wider than the phone scrolls inside itself: scrolled to its end, its last
    // column is whole on the screen, and no cell's text is cut.
    const cut = await phonePage.evaluate(() => {
      const problems = [];
      for (const table of document.querySelectorAll('table')) {
        table.scrollLeft = table.scrollWidth;
        for (const cell of table.querySelectorAll('tr:first-child > *:last-child, tbody tr:last-child > *:last-child')) {
          const box = cell.getBoundingClientRect();
          if (box.right > window.innerWidth + 1) problems.push(`last column ends at ${Math.round(box.right)}px`);
        }
        for (const cell of table.querySelectorAll('td')) {
          if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`cell "${cell.innerText.slice(0, 20)}" is cut`);
        }
        table.scrollLeft = 0;
      }
      return problems;
    });
    check(cut.length === 0, cut.slice(0, 5).join('; '));
    // A chart's text is drawn at 12 units; shown at the phone's width it must stay >= 10 px.
    const charts = await phonePage.evaluate(() => [...document.querySelectorAll('svg[viewBox]')]
      .filter((svg) => svg.getBoundingClientRect().width > 0)
      .map((svg) => 12 * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width));
    check(charts.every((px) => px >= 10), `chart text shown at ${charts.map((px) => px.toFixed(1))} px`);
    if (path.startsWith('/indicators/')) check(charts.length === 1, `${charts.length} charts visible`);
    await phonePage.screenshot({ path: join(out, `${name}.png`), fullPage: true });
  }
  await phone.close();

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
