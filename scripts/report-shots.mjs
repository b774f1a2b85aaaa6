// Screenshots and opening time of a report (what docs/images holds and docs/pcm.md quotes):
//   node scripts/report-shots.mjs <report.html> [--out shot.png] [--sections training,activity] [--width 1100] [--loads 5]
// Prints the file's size and the median time from navigation to the load event over --loads
// fresh pages in headless Chromium ($SNU_CHROMIUM, else chromium on the PATH).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import puppeteer from 'puppeteer-core';
import { findChromium } from './find-chromium.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, sections: { type: 'string' }, width: { type: 'string', default: '1100' }, loads: { type: 'string', default: '5' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: node scripts/report-shots.mjs <report.html> [--out shot.png] [--sections a,b] [--width 1100] [--loads 5]');
  process.exit(2);
}
const url = pathToFileURL(resolve(file)).href;
const chromium = findChromium();
if (!chromium) {
  console.error('no chromium on the PATH: apt-get install chromium, or set SNU_CHROMIUM');
  process.exit(1);
}
const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const times = [];
  for (let i = 0; i < Number(values.loads); i++) {
    const page = await browser.newPage();
    await page.setViewport({ width: Number(values.width), height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    // From the start of navigation to the end of the load event: parsing, layout and first paint of every chart.
    times.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
    if (i < Number(values.loads) - 1) await page.close();
    else if (values.out) {
      const ids = values.sections?.split(',');
      if (ids) {
        // The named sections only: from the top of the first to the bottom of the last.
        const box = await page.evaluate((list) => {
          const rects = list.map((id) => document.getElementById(id)?.getBoundingClientRect()).filter(Boolean);
          if (rects.length !== list.length) return null;
          const top = Math.min(...rects.map((r) => r.top + window.scrollY));
          return { x: 0, y: top - 8, width: document.documentElement.scrollWidth, height: Math.max(...rects.map((r) => r.bottom + window.scrollY)) - top + 16 };
        }, ids);
        if (!box) throw new Error(`--sections: the report has no section among ${ids.join(', ')}`);
        await page.screenshot({ path: values.out, clip: box, captureBeyondViewport: true });
      } else {
        await page.screenshot({ path: values.out, fullPage: true });
      }
    }
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${file}: ${(statSync(file).size / 1e6).toFixed(3)} MB; opens in ${median.toFixed(0)} ms (median of ${times.length} loads, ${times.map((t) => t.toFixed(0)).join(' / ')} ms)${values.out ? `; wrote ${values.out}` : ''}`);
} finally {
  await browser.close();
}
