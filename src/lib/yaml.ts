import { stringify } from 'yaml';

/**
 * YAML as a person would write it: no line folding, and no `&anchor`/`*alias`
 * for objects that happen to be shared in memory (tools and reviewers read
 * plain YAML best).
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}
