// The source tree is layered: a file may import only from its own layer or a lower one, and no two files may
// import each other, directly or through a chain. This test reads every source file under src/ and fails on an
// upward import, on a cycle, and on a file that no layer claims, so a new folder has to be placed on purpose.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * The layers, low to high. A path is claimed by the first entry whose prefix matches it, so the single lib files
 * under src/config/ come before the rest of that folder.
 */
const LAYERS: readonly { name: string; paths: readonly string[] }[] = [
  // Plain helpers, the shared config field types and the generated Kubernetes API types (imports/, outside src/):
  // know nothing of the platform.
  {
    name: 'lib',
    paths: ['imports/', 'src/lib/', 'src/config/fields.ts', 'src/config/errors.ts', 'src/config/promql.ts', 'src/config/go-template.ts'],
  },
  // Building blocks that know no component: rule model, alert-test kit, dashboard presets, lint and renderer,
  // datasource uids, metric-catalogue types.
  { name: 'kit', paths: ['src/kit/'] },
  // One folder per component: construct, config slice, rules, alert tests, dashboard. Components may import
  // each other sideways as long as no cycle forms.
  { name: 'components', paths: ['src/components/'] },
  // Composes the components: alerting catalogue and routing, platform dashboards, security, GitOps, topology.
  {
    name: 'platform',
    paths: ['src/alerting/', 'src/catalog/', 'src/dashboards/', 'src/security/', 'src/gitops/', 'src/topology/', 'src/instrumentation/'],
  },
  // Composes the config from the slices, and loads and checks it: every src/config/ file the lib layer does not claim.
  { name: 'config', paths: ['src/config/'] },
  // The Stack: builds every component from a loaded config.
  { name: 'stack', paths: ['src/stack.ts', 'src/stack/'] },
  // Entry points: the CLI, synthesis and the library surface.
  { name: 'entry', paths: ['src/cli.ts', 'src/main.ts', 'src/synth.ts', 'src/index.ts'] },
];

const ROOT = path.join(__dirname, '..', '..');

export interface Edge {
  from: string;
  to: string;
}

/** The layer index of a repository-relative path, or undefined when no layer claims it. */
export function layerOf(file: string, layers = LAYERS): number | undefined {
  const i = layers.findIndex((l) => l.paths.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
  return i < 0 ? undefined : i;
}

/** Every module specifier a file names: static and type-only imports and exports, import(), require(), import types. */
export function moduleSpecifiers(source: string, fileName = 'file.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const e = node.moduleReference.expression;
      if (ts.isStringLiteral(e)) found.push(e.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const arg = node.arguments[0];
      if ((isImport || isRequire) && arg && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The repository-relative file a relative specifier names, as Node's resolution finds it. */
function resolveRelative(fromFile: string, spec: string, exists: (f: string) => boolean): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec));
  const candidates = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')];
  const hit = candidates.find(exists);
  if (!hit) throw new Error(`${fromFile}: cannot resolve import '${spec}'`);
  return hit;
}

/** Source files under src/ that belong to the product (tests excluded), repository-relative with '/' separators. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(rel);
    }
  };
  walk('src');
  return out.sort();
}

/** The import graph of the source tree: one edge per relative import, deduplicated. */
function importGraph(files: readonly string[]): Edge[] {
  const exists = (f: string): boolean => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile();
  const edges = new Map<string, Edge>();
  for (const from of files) {
    for (const spec of moduleSpecifiers(fs.readFileSync(path.join(ROOT, from), 'utf8'), from)) {
      if (!spec.startsWith('.')) continue;
      const to = resolveRelative(from, spec, exists);
      edges.set(`${from} -> ${to}`, { from, to });
    }
  }
  return [...edges.values()];
}

/** Files that no layer claims. */
export function unplacedFiles(files: readonly string[], layers = LAYERS): string[] {
  return files.filter((f) => layerOf(f, layers) === undefined);
}

/** Imports from a lower layer to a higher one (or out of the layered tree), as `from (layer) -> to (layer)`. */
export function upwardImports(edges: readonly Edge[], layers = LAYERS): string[] {
  const name = (f: string): string => {
    const i = layerOf(f, layers);
    return i === undefined ? 'no layer' : `${i} ${layers[i].name}`;
  };
  return edges
    .filter((e) => {
      const from = layerOf(e.from, layers);
      const to = layerOf(e.to, layers);
      return from !== undefined && (to === undefined || to > from);
    })
    .map((e) => `${e.from} (${name(e.from)}) -> ${e.to} (${name(e.to)})`);
}

/**
 * Every cycle of the graph, one per strongly connected component (Tarjan), printed as a closed path through the
 * component so the files to untangle can be read off directly.
 */
export function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) {
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strongConnect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = next.get(v)!.includes(v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strongConnect(v);
  return components.map((c) => cycleThrough(c, next));
}

/** A shortest closed path from the component's first file (sorted) back to itself, staying inside the component. */
function cycleThrough(component: string[], next: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const parent = new Map<string, string>();
  const queue = [start];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of next.get(v)!) {
      if (!members.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        while (pathBack[0] !== start) pathBack.unshift(parent.get(pathBack[0])!);
        return [...pathBack, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no cycle through ${start}`);
}

describe('the checker', () => {
  const layers = [
    { name: 'low', paths: ['src/low/'] },
    { name: 'high', paths: ['src/high.ts'] },
  ];

  it('reads every kind of import a file can make', () => {
    const source = [
      "import { a } from './a';",
      "import type { B } from './b';",
      "import './c';",
      "export { d } from './d';",
      "export * from './e';",
      "import f = require('./f');",
      "const g = require('./g');",
      "const h = import('./h');",
      "type I = typeof import('./i');",
      "// import { j } from './j';",
      "const k = 'import x from \"./k\"';",
    ].join('\n');
    expect(moduleSpecifiers(source)).toEqual(['./a', './b', './c', './d', './e', './f', './g', './h', './i']);
  });

  it('finds an upward import, a cycle and an unplaced file in a made-up tree', () => {
    const edges: Edge[] = [
      { from: 'src/low/a.ts', to: 'src/high.ts' },
      { from: 'src/high.ts', to: 'src/low/a.ts' },
      { from: 'src/low/b.ts', to: 'src/low/c.ts' },
      { from: 'src/low/c.ts', to: 'src/low/d.ts' },
      { from: 'src/low/d.ts', to: 'src/low/b.ts' },
      { from: 'src/low/e.ts', to: 'src/low/b.ts' },
    ];
    expect(upwardImports(edges, layers)).toEqual(['src/low/a.ts (0 low) -> src/high.ts (1 high)']);
    expect(importCycles(edges)).toEqual([
      ['src/high.ts', 'src/low/a.ts', 'src/high.ts'],
      ['src/low/b.ts', 'src/low/c.ts', 'src/low/d.ts', 'src/low/b.ts'],
    ]);
    expect(unplacedFiles(['src/low/a.ts', 'src/high.ts', 'src/new/x.ts'], layers)).toEqual(['src/new/x.ts']);
  });

  it('accepts a tree that only points down', () => {
    const edges: Edge[] = [
      { from: 'src/high.ts', to: 'src/low/a.ts' },
      { from: 'src/low/a.ts', to: 'src/low/b.ts' },
    ];
    expect(upwardImports(edges, layers)).toEqual([]);
    expect(importCycles(edges)).toEqual([]);
  });
});

describe('the source tree', () => {
  const files = sourceFiles();
  const edges = importGraph(files);

  it('reads a real tree', () => {
    // Guards the checks below against passing on an empty graph (a wrong root or pattern).
    expect(files).toContain('src/stack.ts');
    expect(edges).toContainEqual({ from: 'src/index.ts', to: 'src/stack.ts' });
  });

  it('places every file in a layer', () => {
    expect(unplacedFiles(files)).toEqual([]);
  });


  it('imports only from its own layer or below', () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(edges).map((c) => c.join(' -> '))).toEqual([]);
  });
});
