/**
 * The shape a configuration reference describes, between parsing an upstream document and writing the flat
 * list of key paths (reference.ts).
 */

export type TypeRef =
  | { readonly kind: 'leaf' }
  /** Anything below; `why` goes into the list as a comment. */
  | { readonly kind: 'free'; readonly why: string }
  | { readonly kind: 'node'; readonly node: SchemaNode }
  | { readonly kind: 'list'; readonly item: TypeRef }
  | { readonly kind: 'map'; readonly value: TypeRef }
  /** A named block of the same document (or an added one), resolved when flattening. */
  | { readonly kind: 'ref'; readonly name: string };

export class SchemaNode {
  readonly fields = new Map<string, TypeRef>();
  /** Named blocks whose keys belong to this one (`[<tls_config>]`). */
  readonly includes: string[] = [];
  /** Keys not named by the reference (`[ <labelname>: <labelvalue> ... ]`). */
  wildcard?: TypeRef;

  set(key: string, type: TypeRef): void {
    const old = this.fields.get(key);
    // A key described twice (a stage in two documents) keeps the richer description.
    if (old && old.kind !== 'leaf' && type.kind === 'leaf') return;
    this.fields.set(key, type);
  }
}

export const LEAF: TypeRef = { kind: 'leaf' };
export const node = (n: SchemaNode): TypeRef => ({ kind: 'node', node: n });
export const ref = (name: string): TypeRef => ({ kind: 'ref', name });
export const list = (item: TypeRef): TypeRef => ({ kind: 'list', item });
export const map = (value: TypeRef): TypeRef => ({ kind: 'map', value });
export const free = (why: string): TypeRef => ({ kind: 'free', why });

export interface FlatList {
  /** `path` or `path  # comment`. */
  readonly lines: string[];
  readonly aliases: string[];
  /** Block names referenced but not described anywhere: a bug of the parser or of the document. */
  readonly missing: Set<string>;
}

/**
 * Writes every key path of `root`. A block reached again inside itself (a pipeline stage `match` holding
 * stages) becomes an `@alias` to where it was first written.
 */
export function flatten(root: TypeRef, blocks: ReadonlyMap<string, TypeRef>): FlatList {
  const lines = new Set<string>();
  const aliases = new Set<string>();
  const missing = new Set<string>();

  const walk = (t: TypeRef, at: string, open: Map<string, string>): void => {
    switch (t.kind) {
      case 'leaf':
        return;
      case 'free':
        lines.add(`${at === '' ? '' : `${at}.`}**  # ${t.why}`);
        return;
      case 'list':
        lines.add(`${at}[]`);
        walk(t.item, `${at}[]`, open);
        return;
      case 'map':
        lines.add(`${at}.*`);
        walk(t.value, `${at}.*`, open);
        return;
      case 'ref': {
        const seen = open.get(t.name);
        if (seen !== undefined) {
          aliases.add(`@alias ${at} => ${seen}`);
          return;
        }
        const block = blocks.get(t.name);
        if (!block) {
          missing.add(t.name);
          lines.add(`${at === '' ? '' : `${at}.`}**  # ${t.name}: named but not described by the reference`);
          return;
        }
        walk(block, at, new Map(open).set(t.name, at));
        return;
      }
      case 'node': {
        const n = t.node;
        for (const inc of n.includes) walk(ref(inc), at, open);
        for (const [k, v] of n.fields) {
          const p = at === '' ? k : `${at}.${k}`;
          lines.add(p);
          walk(v, p, open);
        }
        if (n.wildcard) {
          const p = at === '' ? '*' : `${at}.*`;
          lines.add(p);
          walk(n.wildcard, p, open);
        }
        return;
      }
    }
  };
  walk(root, '', new Map());
  return { lines: [...lines].sort(), aliases: [...aliases].sort(), missing };
}

/** The same shape with every block name prefixed, so blocks of another document cannot collide. */
export function prefixRefs(t: TypeRef, prefix: string): TypeRef {
  switch (t.kind) {
    case 'leaf':
    case 'free':
      return t;
    case 'ref':
      return ref(`${prefix}${t.name}`);
    case 'list':
      return list(prefixRefs(t.item, prefix));
    case 'map':
      return map(prefixRefs(t.value, prefix));
    case 'node': {
      const n = new SchemaNode();
      for (const [k, v] of t.node.fields) n.fields.set(k, prefixRefs(v, prefix));
      n.includes.push(...t.node.includes.map((i) => `${prefix}${i}`));
      if (t.node.wildcard) n.wildcard = prefixRefs(t.node.wildcard, prefix);
      return node(n);
    }
  }
}
