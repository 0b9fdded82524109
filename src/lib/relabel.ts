import { RelabelConfig } from './scrape';

/**
 * Prometheus relabelling (replace, keep, drop) as Prometheus and the log
 * agents apply it to discovered targets, for tests that check what a target
 * ends up labelled. Regexes are anchored like RE2's in Prometheus. Labels that
 * start with `__` are dropped at the end, except the ones the agents read
 * (`__path__`, `__host__`) and `__address__`, which becomes `instance`.
 */
export function relabel(rules: readonly RelabelConfig[], input: Record<string, string>): Record<string, string> | null {
  const labels = { ...input };
  for (const rule of rules) {
    const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
    const re = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`);
    const m = re.exec(value);
    const action = rule.action ?? 'replace';
    if (action === 'keep' && !m) return null;
    if (action === 'drop' && m) return null;
    if (action === 'replace' && m && rule.target_label) {
      const replaced = (rule.replacement ?? '$1').replace(/\$\{?(\d+)\}?/g, (_, i: string) => m[Number(i)] ?? '');
      if (replaced === '') delete labels[rule.target_label];
      else labels[rule.target_label] = replaced;
    }
  }
  const kept = Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__') || k === '__path__' || k === '__host__'));
  // Prometheus' default: a target without an instance label is named after its address.
  if (input.__address__ !== undefined && kept.instance === undefined && labels.__address__) kept.instance = labels.__address__;
  return kept;
}

