// The builders' option docs say each default in prose ("Default 0.8."); the engine owns the
// values (ts/generated/spec.ts). This test reads the prose of ts/layers.ts and holds it to the
// engine's values, so that a default changed in Rust cannot leave a stale sentence behind.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAYER_DEFAULTS, STATE_ACTIVATIONS, SURROGATES } from '../ts/generated/spec.js';

const source = readFileSync(fileURLToPath(new URL('../ts/layers.ts', import.meta.url)), 'utf8');

/** The doc comment of each field of `interface name`, by field. */
function fieldDocs(name: string): Map<string, string> {
  const body = new RegExp(`export interface ${name}(?: extends [^{]+)? \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1];
  if (!body) throw new Error(`interface ${name} not found in ts/layers.ts`);
  const docs = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(\w+)\??:/g)) docs.set(m[2]!, m[1]!.replace(/\s*\*\s*/g, ' '));
  return docs;
}

/** The value a sentence `Default X` states: a quoted name, true/false, or a number. */
function statedDefault(doc: string): unknown {
  const m = /Default (`'(\w+)'`|true|false|-?[\d.]+)/.exec(doc);
  if (!m) return undefined;
  if (m[2] !== undefined) return m[2];
  if (m[1] === 'true' || m[1] === 'false') return m[1] === 'true';
  return Number(m[1]!.replace(/\.$/, ''));
}

for (const [iface, type] of [['SnuConfig', 'snu'], ['DenseConfig', 'dense'], ['LstmConfig', 'lstm']] as const) {
  test(`${iface}: every default its docs state is the engine's`, (t) => {
    const defaults = LAYER_DEFAULTS[type] as Record<string, unknown>;
    let checked = 0;
    for (const [field, doc] of fieldDocs(iface)) {
      if (!(field in defaults)) continue;
      const engine = defaults[field];
      const value = typeof engine === 'object' && engine !== null ? (engine as { kind: string }).kind : engine;
      t.is(statedDefault(doc), value, `${iface}.${field}: "${doc.trim()}"`);
      checked++;
    }
    t.is(checked, Object.keys(defaults).length, 'every default of the engine is stated in the docs');
  });
}

test('SnuConfig: the parameters of the named g and surrogates are the engine\'s', (t) => {
  const docs = fieldDocs('SnuConfig');
  const g = docs.get('g')!;
  t.regex(g, new RegExp(`'leakyRelu'\` alone has \`alpha\` ${STATE_ACTIVATIONS.leakyRelu.alpha}\\b`));
  const surrogate = docs.get('surrogate')!;
  t.is(SURROGATES.fastSigmoid.slope, SURROGATES.sigmoid.slope);
  t.regex(surrogate, new RegExp(`\`sigmoid\` have slope ${SURROGATES.sigmoid.slope}\\b`));
  t.regex(surrogate, new RegExp(`\`rectangular\` width ${SURROGATES.rectangular.width}\\b`));
});
