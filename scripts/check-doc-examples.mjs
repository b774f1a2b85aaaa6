// `node scripts/check-doc-examples.mjs`: type-checks every code example of the documentation, so
// that an example cannot drift away from the API it shows. Run by `npm run docs` (and so by CI).
//
// 1. Collects the examples:
//    - every ```ts block in a doc comment (`/** … */`) of ts/**/*.ts, `@example` blocks included.
//      An `@example` tag without a ```ts block is an error: every example is checked.
//    - every ```ts block of the guides listed in GUIDES below (whole programs), and of the pages
//      listed in FRAGMENTS (README.md, docs/pcm.md: short fragments that assume a context).
// 2. Checks coverage: every value ts/index.ts exports (function, class, constant) and every
//    public member of an exported class has a doc comment with an `@example` holding a ```ts
//    block; every exported type has a doc comment.
// 3. Writes each example to a file of its own in a temporary folder and type-checks them all with
//    the repository's TypeScript (`tsc --noEmit`, the options of tsconfig.json: strict,
//    noUncheckedIndexedAccess). In each file:
//    - imports from 'snu' point at ts/index.ts, and relative imports at the example's own folder;
//    - a doc-comment example or a fragment also sees, without importing them, every export of
//      ts/index.ts (and of its own source file), and these names, declared but never defined (the context most
//      examples assume): `model` (a compiled Sequential), `train` and `test` (Datasets), `batch`
//      (a Batch) and `corpus` (a PtbCorpus). Its code runs in a block of its own, so it may
//      declare these names again.
//    - a guide's block gets nothing added: it is a whole program (run it with --run).
//    Errors are reported at the example's line in its source file.
//
// Options: --run  also runs every guide block with tsx (working directory: a temporary folder;
//                 TMPDIR inside it; SNU_DATA_DIR defaults to ../shared/data beside the
//                 repository), prints its
//                 output and says whether it equals the ```text block after it in the guide
//                 (outputs with times or temporary file names differ from run to run);
//          --keep keep the temporary folder.
// Exits 0 when everything passes, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const GUIDES = ['docs/getting-started.md', 'docs/encoders-and-datasets.md'];
const FRAGMENTS = ['README.md', 'docs/pcm.md'];
const INDEX = join(root, 'ts', 'index.ts');
/** The context a doc-comment example may assume (see above). */
const PRELUDE = {
  model: '__snu.Sequential',
  train: '__snu.Dataset',
  test: '__snu.Dataset',
  batch: '__snu.Batch',
  corpus: '__snu.PtbCorpus',
};

const args = new Set(process.argv.slice(2));
for (const a of args) {
  if (!['--run', '--keep'].includes(a)) {
    console.error(`check-doc-examples: unknown option ${a} (options: --run, --keep)`);
    process.exit(2);
  }
}
const problems = [];
const rel = (p) => relative(root, p);

// ---------------------------------------------------------------- 1. collect the examples

function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** Every `/** … *\/` comment of a source file (found through the parser: never inside a string). */
function docComments(file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const seen = new Map();
  const visit = (node) => {
    for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) {
      if (r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith('/**', r.pos) && !text.startsWith('/**/', r.pos)) seen.set(r.pos, r);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  visit(source.endOfFileToken);
  return [...seen.values()].map((r) => ({
    line: source.getLineAndCharacterOfPosition(r.pos).line + 1,
    // The comment's lines without `/**`, `*/` and the leading ` * `.
    lines: text
      .slice(r.pos + 3, r.end - 2)
      .split('\n')
      .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, '')),
  }));
}

const FENCE_OPEN = /^(\s*)```\s*(ts|typescript)\s*$/;
const FENCE_ANY = /^(\s*)```/;

/** ```ts blocks in `lines` (line numbers: `firstLine` is lines[0]). */
function fencedBlocks(lines, firstLine, where) {
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]);
    if (!open) {
      // skip over fences of other languages, whose content is no concern of ours
      if (FENCE_ANY.test(lines[i])) {
        const end = lines.findIndex((l, j) => j > i && FENCE_ANY.test(l));
        if (end < 0) problems.push(`${where}:${firstLine + i}: unclosed code fence`);
        else i = end;
      }
      continue;
    }
    const indent = open[1].length;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end < 0) {
      problems.push(`${where}:${firstLine + i}: unclosed \`\`\`ts fence`);
      break;
    }
    const code = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n');
    // the ```text block right after it, if any: the output the guide shows
    let next = end + 1;
    while (next < lines.length && lines[next].trim() === '') next++;
    let shown;
    if (/^\s*```\s*text\s*$/.test(lines[next] ?? '')) {
      const close = lines.findIndex((l, j) => j > next && /^\s*```\s*$/.test(l));
      if (close > 0) shown = lines.slice(next + 1, close).join('\n');
    }
    blocks.push({ line: firstLine + i + 1, code, shown });
    i = end;
  }
  return blocks;
}

const sourceFiles = tsFiles(join(root, 'ts'));
const examples = [];
for (const file of sourceFiles) {
  for (const c of docComments(file, readFileSync(file, 'utf8'))) {
    const blocks = fencedBlocks(c.lines, c.line, rel(file));
    // each @example section must hold a ```ts block
    c.lines.forEach((l, i) => {
      if (!/^\s*@example\b/.test(l)) return;
      const next = c.lines.findIndex((m, j) => j > i && /^\s*@\w+/.test(m));
      const section = c.lines.slice(i, next < 0 ? undefined : next);
      if (!section.some((s) => FENCE_OPEN.test(s))) problems.push(`${rel(file)}:${c.line + i}: @example without a \`\`\`ts block (write the example as a fenced \`\`\`ts block so that it is checked)`);
    });
    for (const b of blocks) examples.push({ kind: 'source', file, line: b.line, code: b.code });
  }
}
for (const guide of [...GUIDES, ...FRAGMENTS]) {
  const kind = GUIDES.includes(guide) ? 'guide' : 'fragment';
  const path = join(root, guide);
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    problems.push(`${guide}: missing`);
    continue;
  }
  const blocks = fencedBlocks(text.split('\n'), 1, guide);
  if (blocks.length === 0) problems.push(`${guide}: no \`\`\`ts blocks found`);
  for (const b of blocks) examples.push({ kind, file: path, line: b.line, code: b.code, shown: b.shown });
}

// ---------------------------------------------------------------- 2. coverage of the public API

const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
const program = ts.createProgram(sourceFiles, { ...config.options, noEmit: true });
const checker = program.getTypeChecker();

function tagsOf(decl) {
  return ts.getJSDocTags(decl);
}
function hasDoc(decl) {
  return ts.getJSDocCommentsAndTags(decl).some((d) => ts.isJSDoc(d));
}
function hasExample(decl) {
  return tagsOf(decl).some((t) => t.tagName.text === 'example' && /```(ts|typescript)\b/.test(ts.getTextOfJSDocComment(t.comment) ?? ''));
}
function isInternal(decl) {
  return tagsOf(decl).some((t) => t.tagName.text === 'internal');
}
function where(decl) {
  const sf = decl.getSourceFile();
  return `${rel(sf.fileName)}:${sf.getLineAndCharacterOfPosition(decl.getStart()).line + 1}`;
}
function needExample(decl, name) {
  if (!hasExample(decl)) problems.push(`${where(decl)}: ${name} has no @example with a \`\`\`ts block`);
}
function isPublicMember(decl) {
  if (decl.name && ts.isPrivateIdentifier(decl.name)) return false;
  const flags = ts.getCombinedModifierFlags(decl);
  return !(flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !isInternal(decl);
}

const indexSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX));
for (const exported of checker.getExportsOfModule(indexSymbol)) {
  const name = exported.getName();
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  for (const decl of symbol.getDeclarations() ?? []) {
    if (ts.isFunctionDeclaration(decl) || ts.isVariableDeclaration(decl)) {
      const docNode = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
      needExample(docNode, name);
    } else if (ts.isClassDeclaration(decl)) {
      needExample(decl, name);
      for (const member of decl.members) {
        if (!isPublicMember(member) || ts.isClassStaticBlockDeclaration(member)) continue;
        const memberName = ts.isConstructorDeclaration(member) ? 'constructor' : member.name?.getText();
        needExample(member, `${name}.${memberName}`);
        if (ts.isConstructorDeclaration(member)) {
          // parameter properties (`readonly path: string`) are public properties too
          for (const p of member.parameters) {
            if (ts.getCombinedModifierFlags(p) & ts.ModifierFlags.ParameterPropertyModifier && isPublicMember(p)) needExample(p, `${name}.${p.name.getText()}`);
          }
        }
      }
    } else if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl)) {
      if (!hasDoc(decl)) problems.push(`${where(decl)}: type ${name} has no doc comment`);
    }
  }
}

// ---------------------------------------------------------------- 3. write and type-check

/** The names a module of ts/ exports. */
function exportsOf(file) {
  const mod = checker.getSymbolAtLocation(program.getSourceFile(file));
  return new Set(mod ? checker.getExportsOfModule(mod).map((s) => s.getName()) : []);
}
const publicNames = exportsOf(INDEX);
const exportCache = new Map();

/** The example split into its import declarations and the rest, with the names it imports. */
function splitImports(code) {
  const sf = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true);
  const imports = [];
  const names = new Set();
  const cut = [];
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st)) continue;
    imports.push(st);
    cut.push([st.getFullStart(), st.getEnd()]);
    const clause = st.importClause;
    if (clause?.name) names.add(clause.name.text);
    if (clause?.namedBindings) {
      if (ts.isNamespaceImport(clause.namedBindings)) names.add(clause.namedBindings.name.text);
      else for (const el of clause.namedBindings.elements) names.add(el.name.text);
    }
  }
  // blank out the imports, keeping the line count so that lines map back
  let body = code;
  for (const [a, b] of cut.reverse()) body = body.slice(0, a) + body.slice(a, b).replace(/[^\n]/g, ' ') + body.slice(b);
  return { imports, names, body };
}

function rewriteSpecifier(spec, fromDir) {
  if (spec === 'snu') return INDEX.replace(/\.ts$/, '.js');
  if (spec.startsWith('./') || spec.startsWith('../')) return resolve(fromDir, spec);
  return spec;
}

const dir = mkdtempSync(join(tmpdir(), 'snu-doc-examples-'));
const generated = new Map(); // temp file -> { example, bodyLine }
const pad = String(examples.length).length;
examples.forEach((ex, i) => {
  const name = `${String(i + 1).padStart(pad, '0')}-${rel(ex.file).replace(/[^\w]+/g, '_')}-L${ex.line}.mts`;
  const path = join(dir, name);
  const { imports, names, body } = splitImports(ex.code);
  const fromDir = dirname(ex.file);
  const head = [`// ${rel(ex.file)}:${ex.line}`];
  for (const imp of imports) {
    const spec = imp.moduleSpecifier;
    const text = ex.code.slice(imp.getStart(), spec.getStart()) + JSON.stringify(rewriteSpecifier(spec.text, fromDir)) + ex.code.slice(spec.getEnd(), imp.getEnd());
    head.push(text.replace(/\s*\n\s*/g, ' '));
  }
  if (ex.kind !== 'guide') {
    head.push(`import type * as __snu from '${INDEX.replace(/\.ts$/, '.js')}';`);
    const own = ex.kind === 'fragment' || ex.file === INDEX ? new Set() : (exportCache.get(ex.file) ?? exportCache.set(ex.file, exportsOf(ex.file)).get(ex.file));
    const fromIndex = [...publicNames].filter((n) => !names.has(n) && !own.has(n));
    const fromOwn = [...own].filter((n) => !names.has(n));
    if (fromIndex.length) head.push(`import { ${fromIndex.join(', ')} } from '${INDEX.replace(/\.ts$/, '.js')}';`);
    if (fromOwn.length) head.push(`import { ${fromOwn.join(', ')} } from '${ex.file.replace(/\.ts$/, '.js')}';`);
    for (const [n, type] of Object.entries(PRELUDE)) if (!names.has(n)) head.push(`declare const ${n}: ${type};`);
    head.push('{');
    writeFileSync(path, `${head.join('\n')}\n${body}\n}\nexport {};\n`);
  } else {
    head.push('');
    writeFileSync(path, `${head.join('\n')}\n${body}\nexport {};\n`);
  }
  generated.set(path, { example: ex, bodyLine: head.length + 1 });
});

writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: join(root, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDir: '/', types: ['node'], typeRoots: [join(root, 'node_modules', '@types')], incremental: false },
      include: ['*.mts'],
    },
    null,
    2,
  ),
);

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { encoding: 'utf8' });
if (r.error) problems.push(`tsc: ${r.error.message}`);
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
let typeErrors = 0;
for (const line of output.split('\n')) {
  if (line.trim() === '') continue;
  const m = /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(line);
  if (m) {
    typeErrors++;
    const g = generated.get(resolve(dir, m[1]));
    if (g) {
      const at = Number(m[2]) - g.bodyLine;
      // the line in the source file; the column would be off by the comment's ` * ` prefix
      const where = at >= 0 ? `${rel(g.example.file)}:${g.example.line + at}` : `${rel(g.example.file)}:${g.example.line} (in its imports)`;
      problems.push(`${where}: ${m[4]}`);
    } else problems.push(`${rel(resolve(dir, m[1]))}(${m[2]},${m[3]}): ${m[4]}`);
  } else if (/^\s/.test(line) && problems.length > 0) {
    problems[problems.length - 1] += `\n${line}`;
  } else problems.push(line);
}
if (r.status !== 0 && typeErrors === 0 && output.trim() === '') problems.push(`tsc exited with ${r.status} and no message`);

// ---------------------------------------------------------------- optional: run the guides

let ran = 0;
if (args.has('--run')) {
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const env = { ...process.env, SNU_DATA_DIR: process.env.SNU_DATA_DIR ?? resolve(root, '..', 'shared', 'data') };
  for (const [path, g] of generated) {
    if (g.example.kind !== 'guide') continue;
    const cwd = mkdtempSync(join(dir, 'run-'));
    const started = performance.now();
    // TMPDIR too, so that what a program writes to os.tmpdir() goes when the folder does
    const run = spawnSync(tsx, [path], { cwd, env: { ...env, TMPDIR: cwd }, encoding: 'utf8', timeout: 300_000 });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    ran++;
    const printed = `${run.stdout ?? ''}${run.stderr ? run.stderr.replace(/^(?=.)/gm, '[stderr] ') : ''}`;
    // Outputs that hold times or random file names differ from run to run: a note, not a failure.
    const same = g.example.shown === undefined ? 'no output shown in the guide' : printed.trimEnd() === g.example.shown.trimEnd() ? 'output as shown in the guide' : 'OUTPUT DIFFERS from the guide';
    console.log(`--- ${rel(g.example.file)}:${g.example.line} (exit ${run.status ?? run.signal}, ${seconds} s, ${same})`);
    process.stdout.write(printed);
    if (run.status !== 0) problems.push(`${rel(g.example.file)}:${g.example.line}: the program exited with ${run.status ?? run.signal}`);
  }
}

if (args.has('--keep')) console.error(`check-doc-examples: kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });

const count = (kind) => examples.filter((e) => e.kind === kind).length;
const counts = `${count('source')} doc-comment examples, ${count('guide')} guide blocks and ${count('fragment')} README/pcm.md fragments${ran ? ` (${ran} guide blocks run)` : ''}`;
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-doc-examples: FAILED: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${counts})`);
  process.exit(1);
}
console.log(`check-doc-examples: ok: ${counts} type-check`);
