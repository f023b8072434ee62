// The HTML report in headless Chromium (Debian's chromium, driven by playwright-core): the
// failing cell is shown with its traceback, the golden diff side by side; screenshots go to
// test-output/notebook/.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { OUTPUT_DIR, runSample, useSamples } from './helpers.ts';

const CHROMIUM = process.env.NBV_CHROMIUM ?? '/usr/bin/chromium';

const samples = useSamples();
let browser: BrowserContext;
before(async () => {
  // A fresh profile each run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(await mkdtemp(join(tmpdir(), 'nbv-chromium-')), {
    executablePath: CHROMIUM,
    viewport: { width: 1100, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(() => browser?.close());

describe('HTML report in Chromium', () => {
  it('shows the failing cell with its traceback', async () => {
    const r = await runSample(await samples.manifest('failing'), 'html-failing');
    assert.equal(r.code, 1);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(join(r.reportDir, 'report.html')).href);
    assert.match(await page.title(), /failing: Failed/);
    const cell = page.locator('#cell-3');
    assert.ok(await cell.isVisible());
    assert.match((await cell.getAttribute('class')) ?? '', /\bfailure\b/);
    const text = await cell.innerText();
    assert.match(text, /Failure/);
    assert.match(text, /result = numerator \/ denominator/);
    assert.match(text, /ZeroDivisionError: division by zero/);
    assert.equal(await page.locator('#cell-4').getAttribute('data-status'), 'Skipped');
    assert.match(await page.locator('#message').innerText(), /cell 3 failed/);
    // The page's window, typed here since the project compiles without the DOM library.
    const border = await cell.evaluate(
      (el) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { borderTopColor: string } }
        ).getComputedStyle(el).borderTopColor,
    );
    assert.equal(border, 'rgb(207, 34, 46)', 'the failing cell is drawn in red');
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'self-contained: no other requests',
    );
    await page.screenshot({ path: join(OUTPUT_DIR, 'html-failing.png'), fullPage: true });
    await page.close();
  });

  it('shows a golden mismatch side by side', async () => {
    const r = await runSample(await samples.manifest('golden-mismatch'), 'html-golden-mismatch');
    assert.equal(r.code, 1);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(join(r.reportDir, 'report.html')).href);
    const table = page.locator('#cell-1 table.diff');
    assert.ok(await table.isVisible());
    const row = table.locator('tr', { hasText: 'Hello, nbv 0.1!' });
    assert.equal(await row.locator('td.del').innerText(), 'Hello, nbv 0.1!');
    assert.equal(await row.locator('td.ins').innerText(), 'Hello, World!');
    await page.screenshot({ path: join(OUTPUT_DIR, 'html-golden-mismatch.png'), fullPage: true });
    await page.close();
  });
});
