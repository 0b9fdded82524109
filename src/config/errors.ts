/**
 * A config that cannot be used. Carries every problem found, each already
 * formatted as `<file>: <field path>: <what is wrong>, got <value> (line N)`.
 */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Where a problem was found, as a field path in the config. */
export interface ConfigProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `['prometheus', 'storage', 'size']` becomes `prometheus.storage.size`; indexes become `[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** A value as it should appear after "got": strings quoted, objects short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'object') return `an object (${JSON.stringify(value).slice(0, 60)})`;
  return `${typeof value} ${String(value)}`;
}
