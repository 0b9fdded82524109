import { stringify } from 'yaml';

/**
 * YAML as a person would write it: no line folding, and no `&anchor`/`*alias`
 * for objects that happen to be shared in memory (tools and reviewers read
 * plain YAML best).
 *
 * Every string keeps its type under YAML 1.1 as well as 1.2: the Go programs
 * reading these files (gopkg.in/yaml.v2 and friends) follow 1.1, where plain
 * `2006-01-02` is a timestamp, `on`/`no`/`y` are booleans, `0755` is octal,
 * `1:20` is sexagesimal and `<<` is a merge key. `compat: 'yaml-1.1'` makes the
 * writer quote any string that either schema would read as something else;
 * strings both read as strings stay plain.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false, compat: 'yaml-1.1' });
}
