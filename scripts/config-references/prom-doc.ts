/**
 * Reads a configuration reference written in Prometheus's hand-written notation: Prometheus's own
 * `docs/configuration/configuration.md`, and Promtail's configuration reference and stage pages.
 *
 * Each heading opens a section that runs to the next heading of the same or a higher level; the section's
 * schema is the first code block in it written in the notation (examples written as plain YAML or JSON are
 * skipped because they do not parse). In a code block:
 *
 *   key: <type>  /  [ key: <type> | default = … ]     a key; `<type>` may name another section
 *   key:                                             a block written in place; deeper lines are its keys
 *   [ <block> ]                                      the keys of another section, at this level
 *   [ <labelname>: <labelvalue> ... ]                the enclosing key is a map of arbitrary keys
 *   [ - <block> ... ]  /  - [<block>]                the enclosing key is a list of that block
 *   [ - <string> ... ]  /  - <string>                the enclosing key is a list of scalars
 *   - [ <a> | <b> | … ]                              a list whose items are one of the named blocks
 */
import { isYaml, parseMarkdown } from './markdown';
import { free, LEAF, list, map, node, ref, SchemaNode, TypeRef } from './schema';

export interface Section {
  readonly name: string;
  readonly level: number;
  readonly blocks: string[][];
}

/** Sections by heading (backticks and `<>` removed), with every YAML code block inside each one's span. */
export function sections(markdown: string): Section[] {
  const { headings, blocks } = parseMarkdown(markdown);
  return headings.map((h, i) => ({
    name: h.text.replace(/[`<>]/g, '').replace(/:$/, '').trim(),
    level: h.level,
    blocks: blocks.filter((b) => isYaml(b, true) && b.within.includes(i)).map((b) => b.lines),
  }));
}

export interface ParseOptions {
  /** Whether `<name>` names a block (a section, or an added one); otherwise it is a scalar placeholder. */
  readonly isBlock: (name: string) => boolean;
  /** The type of a list item written as an alternation `- [ <a> | <b> … ]`; default: the union of the blocks. */
  readonly alternation?: (names: string[]) => TypeRef;
}

class LineError extends Error {}

const ALT_TOKENS = /<([A-Za-z0-9_]+)>/g;

export function parseSchemaBlock(lines: readonly string[], opts: ParseOptions): TypeRef {
  const union = (names: string[]): TypeRef => {
    if (opts.alternation) return opts.alternation(names);
    const n = new SchemaNode();
    n.includes.push(...names);
    return node(n);
  };
  const typeOf = (t: string): TypeRef => {
    const m = /^<([A-Za-z0-9_]+)>$/.exec(t.trim());
    return m && opts.isBlock(m[1]) ? ref(m[1]) : LEAF;
  };

  interface Frame {
    indent: number;
    node: SchemaNode;
    /** The key that opened this frame, to turn it into a list or map. */
    owner?: { parent: SchemaNode; key: string };
    /** An item frame of a list written as `- key: …` lines. */
    itemOf?: boolean;
  }
  const root = new SchemaNode();
  let rootType: TypeRef = node(root);
  const stack: Frame[] = [{ indent: -1, node: root }];
  let alternation: { names: string[]; apply: (t: TypeRef) => void } | undefined;

  const setOwner = (f: Frame, t: TypeRef) => {
    if (f.owner) f.owner.parent.fields.set(f.owner.key, t);
    else rootType = t;
  };

  for (const raw of lines) {
    const indent = raw.length - raw.trimStart().length;
    let text = raw.trim();
    if (alternation) {
      for (const m of text.matchAll(ALT_TOKENS)) alternation.names.push(m[1]);
      if (text.includes(']')) {
        alternation.apply(list(union(alternation.names)));
        alternation = undefined;
      }
      continue;
    }
    if (text === '' || text.startsWith('#') || text === '...') continue;
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const top = stack[stack.length - 1];

    // `- [` opens an alternation over the following lines; `- [ <a> | <b> ]` on one line is one too.
    if (/^-\s*\[\s*(<[^\]]*)?$/.test(text) || /^-\s*\[\s*<[^\]]*\|[^\]]*\]$/.test(text)) {
      const names = [...text.matchAll(ALT_TOKENS)].map((m) => m[1]);
      const apply = (t: TypeRef) => setOwner(top, t);
      if (text.endsWith(']')) apply(list(union(names)));
      else alternation = { names, apply };
      continue;
    }
    // Strip the notation's brackets and repetition marks.
    text = text.replace(/^\[([A-Za-z0-9_]+)\]:/, '$1:').replace(/^\[\s*/, '').replace(/(\s*\.\.\.)?\s*\]*\s*$/, '').replace(/\s*\.\.\.$/, '').trim();
    if (text === '' || text === '[') continue;
    let m: RegExpExecArray | null;

    // A list item: `- <block>`, `- [<block>]`, `- <string>`, `- localhost`, or `- key: <type>`.
    if ((m = /^-\s*\[?\s*(.*)$/.exec(text))) {
      const rest = m[1].replace(/\]\s*$/, '').trim();
      const km = /^([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$/.exec(rest);
      if (km) {
        // `- key: <type>` starts a list of blocks written in place.
        const item = new SchemaNode();
        item.set(km[1], km[2] === '' ? LEAF : typeOf(km[2].split('|')[0]));
        setOwner(top, list(node(item)));
        stack.push({ indent, node: item, itemOf: true });
        continue;
      }
      const bm = /^<([A-Za-z0-9_]+)>$/.exec(rest);
      setOwner(top, list(bm && opts.isBlock(bm[1]) ? ref(bm[1]) : LEAF));
      continue;
    }
    // `<name>: …`: keys the reference does not name.
    if ((m = /^<[A-Za-z0-9_]+>:\s*(.*)$/.exec(text))) {
      const value = m[1].trim();
      if (value === '') {
        const child = new SchemaNode();
        top.node.wildcard = node(child);
        stack.push({ indent, node: child });
      } else if (value.includes('|')) {
        top.node.wildcard = union([...value.matchAll(ALT_TOKENS)].map((x) => x[1]));
      } else top.node.wildcard = typeOf(value.replace(/^\[|\]$/g, ''));
      continue;
    }
    // `<block>`: its keys, here.
    if ((m = /^<([A-Za-z0-9_]+)>$/.exec(text))) {
      if (opts.isBlock(m[1])) top.node.includes.push(m[1]);
      else if (top.owner) setOwner(top, LEAF);
      else throw new LineError(`"${raw.trim()}": <${m[1]}> names no section`);
      continue;
    }
    // `key:` opens a block; `key: <type>`, `key: value` is a key.
    if ((m = /^([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$/.exec(text))) {
      const [, key, value] = m;
      if (value === '' || value === '[') {
        const child = new SchemaNode();
        top.node.set(key, node(child));
        stack.push({ indent, node: child, owner: { parent: top.node, key } });
      } else {
        top.node.set(key, typeOf(value.split('|')[0]));
      }
      continue;
    }
    throw new LineError(`cannot read "${raw.trim()}"`);
  }
  if (alternation) throw new LineError('an alternation `- [` is not closed');
  // A block whose keys were only opened (`key:` with nothing below) is a key that takes a value.
  const settle = (t: TypeRef): TypeRef => {
    if (t.kind === 'node') {
      for (const [k, v] of t.node.fields) {
        const s = settle(v);
        const empty = s.kind === 'node' && s.node.fields.size === 0 && s.node.includes.length === 0 && !s.node.wildcard;
        t.node.fields.set(k, empty ? LEAF : s);
      }
      if (t.node.wildcard) t.node.wildcard = settle(t.node.wildcard);
      return t;
    }
    if (t.kind === 'list') return list(settle(t.item));
    if (t.kind === 'map') return map(settle(t.value));
    return t;
  };
  return settle(rootType);
}

/** The schema of each section: the first of its code blocks that parses. */
export function sectionSchemas(
  markdown: string,
  opts: Omit<ParseOptions, 'isBlock'> & { isBlock?: (name: string, sectionNames: Set<string>) => boolean },
): Map<string, TypeRef> {
  const secs = sections(markdown);
  const names = new Set(secs.map((s) => s.name));
  const isBlock = (n: string) => (opts.isBlock ? opts.isBlock(n, names) : names.has(n));
  const out = new Map<string, TypeRef>();
  for (const s of secs) {
    if (out.has(s.name)) continue;
    for (const b of s.blocks) {
      try {
        out.set(s.name, parseSchemaBlock(b, { ...opts, isBlock }));
        break;
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
      }
    }
  }
  return out;
}

export { free, map };
