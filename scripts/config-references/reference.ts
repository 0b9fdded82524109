/**
 * Configuration references: the key paths an upstream configuration reference allows, as committed lists
 * (`test/references/<component>-<version>.keys`), and the check of a configuration against one.
 *
 * A list is text, one key path a line:
 *
 *   server.http_listen_port              a key (its value may be anything but a mapping with keys not listed)
 *   scrape_configs[].job_name            `[]`: the items of a list (only mapping items are walked)
 *   limits_config.per_tenant.*           `*`: any key (the reference says a map of arbitrary keys)
 *   datasources[].jsonData.**            `**`: a free-form sub-tree, nothing below is checked
 *   @alias a.b[].stages[] => a.b[]       the items of a.b[].stages[] follow the schema of a.b[] (recursion)
 *   @variant x[].settings type           the keys of x[].settings depend on the sibling `type`; they are
 *                                        listed as x[].settings(<type>).<key>
 *
 * A `:` before the path names a kind of file when one list covers several (`alerting:groups[].name`).
 * Text after ` #` is a comment; lines starting with `#` are the header.
 */
import * as fs from 'fs';

/** A parsed key path: `[]` as its own segment. `a.b[].c` → ['a', 'b', '[]', 'c']. */
export function pathSegments(p: string): string[] {
  const out: string[] = [];
  for (const part of p.split('.')) {
    const m = /^(.*?)((?:\[\])*)$/.exec(part)!;
    if (m[1] !== '') out.push(m[1]);
    for (let i = 0; i < m[2].length / 2; i++) out.push('[]');
  }
  return out;
}

export function joinSegments(segments: readonly string[]): string {
  let out = '';
  for (const s of segments) {
    if (s === '[]') out += '[]';
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

export interface ReferenceList {
  readonly header: string[];
  /** Key paths by kind ('' when the list has no kinds). */
  readonly paths: Map<string, string[]>;
  readonly aliases: Map<string, Array<{ from: string; to: string }>>;
  readonly variants: Map<string, Array<{ path: string; field: string }>>;
}

function splitKind(line: string): [string, string] {
  const m = /^([a-z-]+):(?!\/)(.*)$/.exec(line);
  return m ? [m[1], m[2]] : ['', line];
}

export function parseReferenceList(text: string): ReferenceList {
  const header: string[] = [];
  const paths = new Map<string, string[]>();
  const aliases = new Map<string, Array<{ from: string; to: string }>>();
  const variants = new Map<string, Array<{ path: string; field: string }>>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#')) {
      header.push(raw);
      continue;
    }
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('@alias ')) {
      const [kind, rest] = splitKind(line.slice(7).trim());
      const [from, to] = rest.split('=>').map((s) => s.trim());
      push(aliases, kind, { from, to });
    } else if (line.startsWith('@variant ')) {
      const [kind, rest] = splitKind(line.slice(9).trim());
      const [p, field] = rest.split(/\s+/);
      push(variants, kind, { path: p, field });
    } else {
      const [kind, p] = splitKind(line);
      push(paths, kind, p);
    }
  }
  return { header, paths, aliases, variants };
}

export function readReferenceList(file: string): ReferenceList {
  return parseReferenceList(fs.readFileSync(file, 'utf8'));
}

interface TrieNode {
  children: Map<string, TrieNode>;
  free: boolean;
  aliasOf?: TrieNode;
  /** Keys whose children depend on a sibling field: key → field. */
  variantField: Map<string, string>;
}

const newNode = (): TrieNode => ({ children: new Map(), free: false, variantField: new Map() });

function resolve(node: TrieNode): TrieNode {
  let n = node;
  for (let i = 0; n.aliasOf && i < 64; i++) n = n.aliasOf;
  return n;
}

function nodeAt(root: TrieNode, segments: readonly string[], create: boolean): TrieNode | undefined {
  let n = root;
  for (const s of segments) {
    n = resolve(n);
    let c = n.children.get(s);
    if (!c) {
      if (!create) return undefined;
      c = newNode();
      n.children.set(s, c);
    }
    n = c;
  }
  return n;
}

/** The compiled reference of one kind of file. */
export class KeyReference {
  private readonly root = newNode();

  constructor(paths: readonly string[], aliases: ReadonlyArray<{ from: string; to: string }> = [], variants: ReadonlyArray<{ path: string; field: string }> = []) {
    for (const p of paths) {
      const segs = pathSegments(p);
      if (segs[segs.length - 1] === '**') nodeAt(this.root, segs.slice(0, -1), true)!.free = true;
      else nodeAt(this.root, segs, true);
    }
    for (const { path, field } of variants) {
      const segs = pathSegments(path);
      nodeAt(this.root, segs.slice(0, -1), true)!.variantField.set(segs[segs.length - 1], field);
    }
    for (const { from, to } of aliases) {
      const target = nodeAt(this.root, pathSegments(to), false);
      if (!target) throw new Error(`@alias ${from} => ${to}: ${to} is not in the list`);
      nodeAt(this.root, pathSegments(from), true)!.aliasOf = target;
    }
  }

  static fromList(list: ReferenceList, kind = ''): KeyReference {
    const paths = list.paths.get(kind);
    if (!paths) throw new Error(`the reference list has no kind "${kind}" (has: ${[...list.paths.keys()].join(', ')})`);
    return new KeyReference(paths, list.aliases.get(kind) ?? [], list.variants.get(kind) ?? []);
  }

  /** Every key path of `config` the reference does not list, as written (`a.b[].c`, `x.settings(slack).y`). */
  violations(config: unknown): string[] {
    const out: string[] = [];
    this.walk(config, this.root, [], out);
    return out;
  }

  private walk(value: unknown, node: TrieNode, at: string[], out: string[]): void {
    const n = resolve(node);
    if (n.free) return;
    if (Array.isArray(value)) {
      const items = value.filter((v) => isMapping(v) || Array.isArray(v));
      if (items.length === 0) return;
      const item = n.children.get('[]');
      for (const v of items) {
        if (item) this.walk(v, item, [...at, '[]'], out);
        else if (isMapping(v)) for (const k of Object.keys(v)) out.push(joinSegments([...at, '[]', k]));
      }
      return;
    }
    if (!isMapping(value)) return;
    for (const [k, v] of Object.entries(value)) {
      const field = n.variantField.get(k);
      let key = k;
      let child: TrieNode | undefined;
      if (field !== undefined) {
        key = `${k}(${String((value as Record<string, unknown>)[field])})`;
        child = n.children.get(key);
      } else {
        child = n.children.get(k) ?? n.children.get('*');
      }
      if (!child) {
        out.push(joinSegments([...at, key]));
        continue;
      }
      this.walk(v, child, [...at, key], out);
    }
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `loki` and `3.7.0` → `loki-3.7.0.keys`: the list's name carries the image's version. */
export function referenceFileName(component: string, version: string): string {
  return `${component}-${version}.keys`;
}
