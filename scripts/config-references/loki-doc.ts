/**
 * Reads Loki's configuration reference (`docs/sources/shared/configuration.md`), which Loki generates from
 * its configuration structs: the root block under "Supported contents and default values of `loki.yaml`",
 * then one `### <block>` section per named block. In the code blocks:
 *
 *   [key: <type> | default = …]   a key; `<type>` is a scalar, a named block, `list of X`, `map of string to X`
 *   key:                          a block written in place; deeper lines are its keys
 *   [<block>]                     the keys of a named block, at this level
 *   [: <map of string to X>]      the enclosing key is a map of arbitrary keys
 */
import { isYaml, parseMarkdown } from './markdown';
import { free, LEAF, list, map, node, ref, SchemaNode, TypeRef } from './schema';

const SCALARS = new Set([
  'string',
  'int',
  'boolean',
  'duration',
  'float',
  'time',
  'Time',
  'daytime',
  'url',
  'secret',
  'filename',
  'host',
  'labelname',
  'labelvalue',
  'Regexp',
  'list of strings',
  'prefix',
  '',
]);

export interface ExternalBlocks {
  /** Blocks the document names without describing (Prometheus's RemoteWriteConfig), added from elsewhere. */
  readonly [name: string]: TypeRef;
}

export interface LokiReference {
  readonly root: TypeRef;
  readonly blocks: Map<string, TypeRef>;
  /** Types the document names but does not describe, each with where it was met. */
  readonly opaque: Map<string, string>;
}

export function parseLokiReference(markdown: string, external: ExternalBlocks = {}): LokiReference {
  const blocks = new Map<string, TypeRef>();
  // A section may show an example before its schema (named_stores_config): every code block under a
  // heading is kept, and the first one written in the reference's notation is its schema.
  const rawBlocks = new Map<string, string[][]>();
  let rootLines: string[] | undefined;
  const { headings, blocks: code } = parseMarkdown(markdown);
  for (const b of code) {
    if (!isYaml(b) || b.within.length === 0) continue;
    const heading = headings[b.within[b.within.length - 1]].text;
    if (/^Supported contents and default values of `loki\.yaml`/.test(heading)) rootLines ??= b.lines;
    else if (/^[a-z0-9_]+$/.test(heading)) rawBlocks.set(heading, [...(rawBlocks.get(heading) ?? []), b.lines]);
  }
  if (!rootLines) throw new Error('no "Supported contents and default values of `loki.yaml`" code block: is this the Loki configuration reference?');
  const names = new Set([...rawBlocks.keys(), ...Object.keys(external)]);
  const opaque = new Map<string, string>();

  const typeOf = (t: string, where: string): TypeRef => {
    t = t.trim();
    if (SCALARS.has(t)) return LEAF;
    if (names.has(t)) return ref(t);
    let m = /^list of (.+)$/.exec(t);
    if (m) {
      const item = m[1];
      const singular = item.replace(/s$/, '');
      if (names.has(singular)) return list(ref(singular));
      opaque.set(item, where);
      return list(free(`${item}: not described by the reference`));
    }
    m = /^map of string to ?(.*)$/.exec(t);
    if (m) {
      const v = m[1].trim();
      if (SCALARS.has(v)) return map(LEAF);
      if (names.has(v)) return map(ref(v));
      opaque.set(v, where);
      return map(free(`${v}: not described by the reference`));
    }
    if (/\.\.\.$/.test(t)) {
      // `<relabel_config...>`: a list of Prometheus relabel configs.
      const item = t.replace(/\.\.\.$/, '');
      if (names.has(item)) return list(ref(item));
      opaque.set(item, where);
      return list(free(`${item}: not described by the reference`));
    }
    opaque.set(t, where);
    return free(`${t}: not described by the reference`);
  };

  const parseBlock = (lines: string[], where: string): TypeRef => {
    const root = new SchemaNode();
    // Each frame: the indentation of the key that opened it, and its node.
    const stack: Array<{ indent: number; node: SchemaNode; owner?: { parent: SchemaNode; key: string } }> = [{ indent: -1, node: root }];
    for (const raw of lines) {
      const text = raw.trim();
      if (text === '' || text.startsWith('#')) continue;
      const indent = raw.length - raw.trimStart().length;
      while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
      const top = stack[stack.length - 1];
      let m: RegExpExecArray | null;
      if ((m = /^\[:\s*<map of string to (.*?)>\s*\]$/.exec(text))) {
        // The enclosing key is itself the map.
        if (!top.owner) throw new Error(`${where}: "${text}" outside a block`);
        top.owner.parent.set(top.owner.key, typeOf(`map of string to ${m[1]}`, where));
        continue;
      }
      if ((m = /^\[<([a-z0-9_]+)>\]$/.exec(text))) {
        top.node.includes.push(m[1]);
        continue;
      }
      if ((m = /^\[([A-Za-z0-9_]+):\s*<([^>]*)>/.exec(text))) {
        top.node.set(m[1], typeOf(m[2], `${where}.${m[1]}`));
        continue;
      }
      if ((m = /^([A-Za-z0-9_]+):$/.exec(text))) {
        const child = new SchemaNode();
        top.node.set(m[1], node(child));
        stack.push({ indent, node: child, owner: { parent: top.node, key: m[1] } });
        continue;
      }
      throw new Error(`${where}: cannot read the reference line "${text}"`);
    }
    return node(root);
  };

  for (const [name, candidates] of rawBlocks) {
    const errors: string[] = [];
    for (const lines of candidates) {
      try {
        blocks.set(name, parseBlock(lines, name));
        break;
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (!blocks.has(name)) throw new Error(errors.join('\n'));
  }
  for (const [name, t] of Object.entries(external)) if (!blocks.has(name)) blocks.set(name, t);
  for (const inc of includesOf(blocks)) if (!blocks.has(inc)) throw new Error(`[<${inc}>] is included but not described`);
  return { root: parseBlock(rootLines, 'loki.yaml'), blocks, opaque };
}

function includesOf(blocks: Map<string, TypeRef>): string[] {
  const out: string[] = [];
  const visit = (t: TypeRef) => {
    if (t.kind === 'node') {
      out.push(...t.node.includes);
      for (const v of t.node.fields.values()) visit(v);
    } else if (t.kind === 'list') visit(t.item);
    else if (t.kind === 'map') visit(t.value);
  };
  for (const t of blocks.values()) visit(t);
  return out;
}
