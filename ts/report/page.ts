// One self-contained HTML page: inline CSS, the charts as inline SVG, one small script (the
// sample picker). Nothing is fetched when it is viewed, so it opens from a file, offline.
import { escapeXml } from '../plots/svg.js';

/** A block of a section: charts side by side, a table, or a paragraph. */
export type Block =
  | { kind: 'figures'; svgs: string[]; sample?: number }
  | { kind: 'table'; head: string[]; rows: (string | number)[][] }
  | { kind: 'text'; text: string }
  | { kind: 'picker'; label: string; options: string[] };

/** A titled part of the page. */
export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1040px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.figs{display:flex;flex-wrap:wrap;gap:8px}.figs svg{border:1px solid #eee}
table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
p.note{color:#555;margin:4px 0}nav a{margin-right:12px}[hidden]{display:none!important}`;

// Shows the figures of the picked sample and hides the others.
const SCRIPT = `for(const p of document.querySelectorAll('select.picker')){const show=()=>{for(const d of document.querySelectorAll('[data-sample]'))d.hidden=d.dataset.sample!==p.value};p.addEventListener('change',show);show()}`;

function block(b: Block): string {
  switch (b.kind) {
    case 'figures':
      return `<div class="figs"${b.sample === undefined ? '' : ` data-sample="${b.sample}"`}>${b.svgs.join('')}</div>`;
    case 'table': {
      const cell = (v: string | number) => (typeof v === 'number' ? `<td class="n">${v}</td>` : `<td>${escapeXml(v)}</td>`);
      return `<table><tr>${b.head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>${b.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
    }
    case 'text':
      return `<p class="note">${escapeXml(b.text)}</p>`;
    case 'picker':
      return `<label>${escapeXml(b.label)} <select class="picker">${b.options.map((o, i) => `<option value="${i}">${escapeXml(o)}</option>`).join('')}</select></label>`;
  }
}

/**
 * The page: a title, a line under it, a table of contents and the sections.
 * @example
 * ```ts
 * const svg = plots.curves([{ name: 'loss', values: [0.9, 0.5, 0.4] }]);
 * const html = reportPage('MNIST run', 'finished, 3 epochs', [{ id: 'curves', title: 'Training', blocks: [{ kind: 'figures', svgs: [svg] }] }]);
 * ```
 */
export function reportPage(title: string, subtitle: string, sections: Section[]): string {
  const nav = sections.map((s) => `<a href="#${s.id}">${escapeXml(s.title)}</a>`).join('');
  const body = sections.map((s) => `<section id="${s.id}"><h2>${escapeXml(s.title)}</h2>${s.blocks.map(block).join('\n')}</section>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title><style>${CSS}</style></head>
<body><h1>${escapeXml(title)}</h1><p class="note">${escapeXml(subtitle)}</p><nav>${nav}</nav>
${body}
<script>${SCRIPT}</script></body></html>
`;
}
