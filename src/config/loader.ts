import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, Node } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeValue, formatPath } from './errors';
import { StackConfig, StackConfigInput, StackConfigSchema } from './schema';
import { checkConfig, configDeprecations } from './checks';
import { readOpenSlo } from '../catalog/openslo';

/** A loaded config, and the place in its file of any field path: ` (line N)`, or "" for a default. */
export interface LoadedConfig {
  readonly config: StackConfig;
  /** The files the config was read from: the file itself, the shared files it extends, then the OpenSLO files it names. */
  readonly files: readonly string[];
  readonly lineOf: (path: readonly PropertyKey[]) => string;
  /** Deprecated fields that still work, with file and line: synth prints them as warnings. */
  readonly warnings: readonly string[];
}

/**
 * Reads and validates one config file. Throws a ConfigError listing every
 * problem: YAML syntax, types, unknown keys, and the cross-field checks.
 */
export function loadConfigFile(file: string, displayName = file, warnings: string[] = []): StackConfig {
  const loaded = loadConfig(file, displayName);
  warnings.push(...loaded.warnings);
  return loaded.config;
}

/** loadConfigFile, with the files it was read from and the lines of its fields. */
export function loadConfig(file: string, displayName = file): LoadedConfig {
  const layers = readLayers(file, displayName, []);
  const { referenced, ...loaded } = validate(layers);
  return { ...loaded, files: [...layers.map((l) => l.file), ...referenced] };
}

export function parseConfig(text: string, displayName: string, warnings: string[] = []): StackConfig {
  const loaded = validate([parseLayer(text, displayName, displayName)]);
  warnings.push(...loaded.warnings);
  return loaded.config;
}

/** One file of a config: the environment's own, or a shared file it extends. */
interface Layer {
  readonly file: string;
  readonly displayName: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  readonly data: Record<string, unknown>;
}

function parseLayer(text: string, file: string, displayName: string): Layer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${displayName}: line ${pos.line}, column ${pos.col}: YAML syntax error: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ConfigError([`${displayName}: the file is empty; expected a mapping with at least "environment", "cluster", "repository" and "grafana"`]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([`${displayName}: expected a mapping of settings at the top level, got ${describeValue(data)}`]);
  }
  return { file, displayName, doc, lineCounter, data: data as Record<string, unknown> };
}

/**
 * The file and the shared files it extends (`extends: ./shared/catalogue.yaml`, relative to the file), the
 * file first. Each shared file may extend another.
 */
function readLayers(file: string, displayName: string, extending: ReadonlyArray<{ file: string; displayName: string }>): Layer[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${displayName}: cannot read the file: ${(err as Error).message}`]);
  }
  const layer = parseLayer(text, file, displayName);
  const base = layer.data.extends;
  if (base === undefined) return [layer];
  // Problems are reported against the environment's file, with the line in the file that says `extends`.
  const root = extending[0]?.displayName ?? displayName;
  const line = findLine(layer.doc.contents, [], 'extends', layer.lineCounter);
  const where = line ? (extending.length === 0 ? ` (line ${line})` : ` (${displayName}, line ${line})`) : '';
  if (typeof base !== 'string' || !/\.ya?ml$/.test(base)) {
    throw new ConfigError([`${root}: extends: expected the path of a shared YAML file like "./shared/catalogue.yaml", got ${describeValue(base)}${where}`]);
  }
  const baseFile = path.resolve(path.dirname(file), base);
  // As the file names it, relative to the one that extends it; an absolute path stays as written.
  const baseDisplay = path.isAbsolute(base) ? path.normalize(base) : path.normalize(path.join(path.dirname(displayName), base));
  const chain = [...extending, { file: path.resolve(file), displayName }];
  if (chain.some((c) => c.file === baseFile)) {
    throw new ConfigError([
      `${root}: extends: ${[...chain.map((c) => c.displayName), baseDisplay].join(' -> ')} is a circle; ` +
        `a shared file cannot extend a file that extends it${where}`,
    ]);
  }
  if (!fs.existsSync(baseFile)) {
    throw new ConfigError([`${root}: extends: "${base}" does not exist (looked for ${baseDisplay})${where}`]);
  }
  return [layer, ...readLayers(baseFile, baseDisplay, chain)];
}

/** Mappings are merged key by key, the extending file winning; a list or a value replaces the shared one whole. */
function merge(base: unknown, over: unknown): unknown {
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMapping(base) || !isMapping(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value);
  return out;
}

function validate(layers: readonly Layer[]): Omit<LoadedConfig, 'files'> & { referenced: string[] } {
  const displayName = layers[0].displayName;
  const data = layers.reduceRight<unknown>((merged, layer) => merge(merged, layer.data), {}) as Record<string, unknown>;
  // Only the environment's own file says what it extends.
  if (layers[0].data.extends === undefined) delete data.extends;
  else data.extends = layers[0].data.extends;

  // The line of a field in the file that sets it: the environment's own file, else the shared file it comes from.
  const lineOf = (p: readonly PropertyKey[], key?: string): string => {
    for (const [i, layer] of layers.entries()) {
      const found = findLine(layer.doc.contents, p, key, layer.lineCounter, true);
      if (found) return i === 0 ? ` (line ${found})` : ` (${layer.displayName}, line ${found})`;
    }
    const nearest = findLine(layers[0].doc.contents, p, key, layers[0].lineCounter);
    return nearest ? ` (line ${nearest})` : '';
  };

  const referenced = applyOpenSlo(layers, data, lineOf);
  const parsed = StackConfigSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap((issue) => formatIssue(issue, displayName, lineOf)));
  }
  const located = (p: { path: readonly PropertyKey[]; message: string }) => `${displayName}: ${formatPath(p.path)}: ${p.message}${lineOf(p.path)}`;
  const problems = checkConfig(parsed.data, data as StackConfigInput);
  if (problems.length > 0) throw new ConfigError(problems.map(located));
  return {
    config: parsed.data,
    lineOf: (p) => lineOf(p),
    warnings: configDeprecations(parsed.data, data as StackConfigInput).map(located),
    referenced,
  };
}

/**
 * Reads the OpenSLO files `slo.openSlo` lists (relative to the file that lists them) into
 * `services[].slo.objectives` of the merged config, before it is validated. A service whose
 * objectives the config already writes, a service the catalogue lacks and a name given twice are
 * refused with both places.
 */
function applyOpenSlo(layers: readonly Layer[], data: Record<string, unknown>, lineOf: (p: readonly PropertyKey[]) => string): string[] {
  const files = (data.slo as { openSlo?: unknown } | undefined)?.openSlo;
  if (!Array.isArray(files) || files.length === 0) return [];
  const root = layers[0].displayName;
  // The layer whose `slo.openSlo` won the merge: its directory is where the paths start.
  const owner = layers.find((l) => (l.data.slo as { openSlo?: unknown } | undefined)?.openSlo !== undefined) ?? layers[0];
  const services = Array.isArray(data.services) ? data.services.map((s) => (typeof s === 'object' && s !== null ? { ...(s as object) } : s)) : [];
  const problems: string[] = [];
  const read: string[] = [];
  const declared = new Map<string, string>(); // service/name -> where
  const filled = new Set<string>(); // services whose objectives come from these files
  files.forEach((entry, i) => {
    if (typeof entry !== 'string' || !/\.ya?ml$/.test(entry)) return; // the schema reports it, with its line
    const full = path.resolve(path.dirname(owner.file), entry);
    const display = path.isAbsolute(entry) ? path.normalize(entry) : path.normalize(path.join(path.dirname(owner.displayName), entry));
    let text: string;
    try {
      text = fs.readFileSync(full, 'utf8');
    } catch (err) {
      problems.push(`${root}: slo.openSlo[${i}]: cannot read "${entry}" (looked for ${display}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${lineOf(['slo', 'openSlo', i])}`);
      return;
    }
    read.push(full);
    const slos = readOpenSlo(text, display);
    problems.push(...slos.problems);
    for (const { service, objective, where } of slos.objectives) {
      const index = services.findIndex((s) => (s as { name?: unknown }).name === service);
      if (index < 0) {
        const names = services.map((s) => (s as { name?: unknown }).name).filter((n) => typeof n === 'string');
        problems.push(`${where}: spec.service: "${service}" is not a service of the catalogue (services: ${names.join(', ') || 'none'})`);
        continue;
      }
      const svc = services[index] as Record<string, unknown>;
      const slo = { ...((svc.slo as Record<string, unknown> | undefined) ?? {}) };
      if (slo.objectives !== undefined && !filled.has(service)) {
        problems.push(`${where}: SLO "${objective.name}" of "${service}": services[${index}].slo.objectives is also written in the config${lineOf(['services', index, 'slo', 'objectives'])}; declare the service's SLOs in one place`);
        continue;
      }
      const key = `${service}/${objective.name}`;
      if (declared.has(key)) {
        problems.push(`${where}: SLO "${objective.name}" of "${service}" is declared twice (also ${declared.get(key)})`);
        continue;
      }
      declared.set(key, where);
      filled.add(service);
      slo.objectives = [...((slo.objectives as unknown[] | undefined) ?? []), objective];
      services[index] = { ...svc, slo };
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  data.services = services;
  return read;
}

function formatIssue(
  issue: z.core.$ZodIssue,
  file: string,
  lineOf: (p: readonly PropertyKey[], key?: string) => string,
): string[] {
  const where = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(issue.path);
      return issue.keys.map((key) => {
        const suggestion = closest(key, allowed);
        const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
        return `${file}: ${formatPath([...issue.path, key])}: unknown key${hint}; allowed here: ${allowed.join(', ')}${lineOf(issue.path, key)}`;
      });
    }
    case 'invalid_type':
      if (input === undefined) {
        return [`${file}: ${where}: required, expected ${issue.expected}${lineOf(issue.path.slice(0, -1))}`];
      }
      // A number that is not whole fails `.int()` as a type error; its custom message (if any) says what is allowed.
      if (issue.expected === 'int') {
        const message = issue.message.startsWith('Invalid input') ? 'expected a whole number' : issue.message;
        return [`${file}: ${where}: ${message}, got ${describeValue(input)}${lineOf(issue.path)}`];
      }
      return [`${file}: ${where}: expected ${issue.expected}, got ${describeValue(input)}${lineOf(issue.path)}`];
    case 'invalid_value':
      return [
        `${file}: ${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(input)}${lineOf(issue.path)}`,
      ];
    case 'invalid_key':
      // A key of a record (a label name, an alert name) is wrong: say what the key schema allows, not zod's generic text.
      return issue.issues.map((inner) => `${file}: ${where}: ${inner.message}, got ${describeValue(input)}${lineOf(issue.path)}`);
    default:
      return [`${file}: ${where}: ${issue.message}, got ${describeValue(input)}${lineOf(issue.path)}`];
  }
}

/** The keys the schema allows for the object at `objectPath`. */
function allowedKeys(objectPath: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = StackConfigSchema;
  for (const part of [...objectPath, undefined]) {
    schema = unwrap(schema);
    if (part === undefined) break;
    const def: any = schema?._zod.def;
    if (def?.type === 'object') schema = def.shape[part as string];
    else if (def?.type === 'array') schema = def.element;
    else if (def?.type === 'record') schema = def.valueType;
    else return [];
  }
  const def: any = schema?._zod.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current: any = schema;
  while (current && ['default', 'prefault', 'optional', 'nullable', 'pipe', 'readonly'].includes(current._zod.def.type)) {
    current = current._zod.def.innerType ?? current._zod.def.in;
  }
  return current;
}

/** The allowed key nearest to a typo, if it is near enough to be a typo. */
function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/**
 * The line of the deepest node on `p` (then `key`) present in the document:
 * a map entry's key, or a list item itself, so `services[3].name` points at
 * that service's line rather than at `services:`.
 */
function findLine(
  root: unknown,
  p: readonly PropertyKey[],
  key: string | undefined,
  counter: LineCounter,
  exact = false,
): number | undefined {
  let node: unknown = root;
  let lastRange: [number, number, number] | undefined;
  const parts = key === undefined ? p : [...p, key];
  let matched = 0;
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) break;
      lastRange = (pair.key as Node).range ?? lastRange;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && part < node.items.length) {
      node = node.items[part];
      lastRange = (node as Node).range ?? lastRange;
    } else break;
    matched++;
  }
  if (exact && (matched < parts.length || parts.length === 0)) return undefined;
  return lastRange ? counter.linePos(lastRange[0]).line : undefined;
}

/** Every `*.yaml` config in a directory, or the one file given, sorted by name. */
export function listConfigFiles(fileOrDir: string): string[] {
  const stat = fs.statSync(fileOrDir, { throwIfNoEntry: false });
  if (!stat) throw new ConfigError([`${fileOrDir}: no such file or directory`]);
  if (stat.isFile()) return [fileOrDir];
  const files = fs
    .readdirSync(fileOrDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => path.join(fileOrDir, f));
  if (files.length === 0) throw new ConfigError([`${fileOrDir}: no *.yaml config files in this directory`]);
  return files;
}
