// The module graph of ts/: no import cycles, and the library never imports the CLI (the CLI is
// built on the library, not the other way round).
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'ts');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each module's relative imports (type-only ones included), comments and doc examples left out. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = [...code.matchAll(/^(?:import|export)[^;]*? from '(\.[^']+)'/gm)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    graph.set(relative(root, file), deps.map((d) => relative(root, d)));
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

test('ts/ has no import cycles', (t) => {
  const graph = importGraph();
  t.true(graph.size > 30, `read ${graph.size} modules`);
  t.true([...graph.values()].some((deps) => deps.length > 0), 'imports were found');
  t.deepEqual(cycles(graph), []);
});

test('the cycle finder finds a cycle', (t) => {
  const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
  t.deepEqual(cycles(graph), ['a.ts -> b.ts -> c.ts -> a.ts']);
});

test('the library does not import the CLI', (t) => {
  const offenders = [...importGraph()].filter(([file, deps]) => !file.startsWith('cli/') && deps.some((d) => d.startsWith('cli/')));
  t.deepEqual(offenders.map(([f]) => f), []);
});
