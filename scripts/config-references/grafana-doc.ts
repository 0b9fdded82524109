/**
 * Grafana's provisioning references describe each file by an annotated example rather than a schema:
 * `docs/sources/administration/provisioning/index.md` (data sources, dashboard providers) and
 * `docs/sources/alerting/set-up/provision-alerting-resources/file-provisioning/index.md` (alert rules,
 * contact points and their per-integration settings, notification policies, templates, mute timings).
 * Every key of every example is taken; a key whose comment says `<map…>` is a map of arbitrary keys.
 *
 * What the examples leave out but the text or Grafana's provisioning structs state is added by
 * SUPPLEMENTS, each line naming where it comes from.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, Node as YamlNode } from 'yaml';
import { isYaml, parseMarkdown } from './markdown';

export type GrafanaKind = 'datasources' | 'dashboards' | 'alerting';

const ROOTS: Record<string, GrafanaKind> = {
  datasources: 'datasources',
  deleteDatasources: 'datasources',
  providers: 'dashboards',
  groups: 'alerting',
  deleteRules: 'alerting',
  contactPoints: 'alerting',
  deleteContactPoints: 'alerting',
  policies: 'alerting',
  resetPolicies: 'alerting',
  templates: 'alerting',
  deleteTemplates: 'alerting',
  muteTimes: 'alerting',
  deleteMuteTimes: 'alerting',
};

export interface GrafanaSupplement {
  readonly kind: GrafanaKind;
  /** A path, `path.**`, or `@alias a => b`. */
  readonly line: string;
  readonly source: string;
}

/** What the reference states outside its examples. */
export const SUPPLEMENTS: readonly GrafanaSupplement[] = [
  {
    kind: 'alerting',
    line: 'groups[].rules[].data[].relativeTimeRange',
    source: 'file-provisioning: "Alert rule time range"; QueryV1.relativeTimeRange (pkg/services/provisioning/alerting/rules_types.go)',
  },
  { kind: 'alerting', line: 'groups[].rules[].data[].relativeTimeRange.from', source: 'RelativeTimeRangeV1.from (rules_types.go)' },
  { kind: 'alerting', line: 'groups[].rules[].data[].relativeTimeRange.to', source: 'RelativeTimeRangeV1.to (rules_types.go)' },
  { kind: 'alerting', line: 'groups[].rules[].data[].queryType', source: 'QueryV1.queryType (rules_types.go)' },
  {
    kind: 'alerting',
    line: 'groups[].rules[].data[].model.**',
    source: 'file-provisioning: the query model "should be obtained through the API"; QueryV1.model is a JSON value',
  },
  {
    kind: 'alerting',
    line: '@alias policies[].routes[] => policies[]',
    source: 'file-provisioning: "routes: Zero or more child policies. The schema is the same as the root policy."',
  },
  { kind: 'alerting', line: 'policies[].routes', source: 'file-provisioning: "routes: Zero or more child policies"' },
  { kind: 'alerting', line: 'policies[].continue', source: 'file-provisioning ("if the `continue` option is not set"); definitions.Route.continue' },
  { kind: 'alerting', line: 'policies[].active_time_intervals', source: 'definitions.Route.active_time_intervals' },
  {
    kind: 'datasources',
    line: 'datasources[].jsonData.**',
    source: 'provisioning: "<map> Fields to convert to JSON and store in jsonData"; each data source type has its own',
  },
  {
    kind: 'datasources',
    line: 'datasources[].correlations.**',
    source: 'upsertDataSourceFromConfigV1.correlations, a list of JSON objects (pkg/services/provisioning/datasources/types.go)',
  },
];

function codeBlocks(markdown: string): string[] {
  return parseMarkdown(markdown)
    .blocks.filter((b) => isYaml(b))
    .map((b) => b.lines.join('\n'));
}

/** Dedents a block that sits inside a list item of the markdown. */
function dedent(text: string): string {
  const lines = text.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
  const min = Math.min(...indents);
  return lines.map((l) => l.slice(min)).join('\n');
}

function quoteTemplates(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^(\s*(?:- )?[A-Za-z_][\w-]*:\s+)(\{\{.*)$/, (_, key: string, value: string) => `${key}${JSON.stringify(value)}`))
    .join('\n');
}

function keyPaths(n: YamlNode | null | undefined, at: string, out: Set<string>): void {
  if (!n) return;
  if (isSeq(n)) {
    for (const item of n.items) if (isMap(item) || isSeq(item)) keyPaths(item as YamlNode, `${at}[]`, out);
    return;
  }
  if (!isMap(n)) return;
  for (const pair of n.items) {
    if (!isPair(pair) || !isScalar(pair.key)) continue;
    const key = String(pair.key.value);
    const p = at === '' ? key : `${at}.${key}`;
    const comment = `${(pair.key as YamlNode).commentBefore ?? ''}`;
    if (/<map<string,\s*string>/.test(comment)) {
      out.add(p);
      out.add(`${p}.*`);
      continue;
    }
    if (/<map>/.test(comment)) {
      out.add(p);
      out.add(`${p}.**`);
      continue;
    }
    out.add(p);
    keyPaths(pair.value as YamlNode, p, out);
  }
}

export interface GrafanaReference {
  /** `kind:path` lines, sorted. */
  readonly lines: string[];
  /** Integration types whose settings the reference describes. */
  readonly integrations: string[];
}

export function parseGrafanaReference(provisioningMd: string, alertingMd: string): GrafanaReference {
  const lines = new Set<string>();
  const integrations = new Set<string>();
  for (const block of [...codeBlocks(provisioningMd), ...codeBlocks(alertingMd)]) {
    let doc = parseDocument(dedent(block));
    // An example may write a Go template as a bare value (`color: {{ if … }}`), which YAML reads as a
    // mapping and rejects; quoted, it is the string the page means.
    if (doc.errors.length > 0) doc = parseDocument(quoteTemplates(dedent(block)));
    if (doc.errors.length > 0) throw new Error(`a YAML example does not parse: ${doc.errors[0].message}\n${block}`);
    if (!isMap(doc.contents)) continue;
    const top = doc.contents;
    const keys = top.items.filter(isPair).map((p) => String((p.key as { value?: unknown })?.value));
    // A contact point integration: `type: <name>` and its `settings`.
    if (keys.includes('type') && keys.includes('settings') && !keys.some((k) => k in ROOTS)) {
      const type = String(top.get('type'));
      integrations.add(type);
      const paths = new Set<string>();
      keyPaths(top.get('settings', true) as YamlNode, '', paths);
      lines.add(`alerting:contactPoints[].receivers[].settings(${type})`);
      for (const p of paths) lines.add(`alerting:contactPoints[].receivers[].settings(${type}).${p}`);
      continue;
    }
    const kinds = new Set(keys.map((k) => ROOTS[k]).filter(Boolean));
    if (kinds.size !== 1) continue;
    const kind = [...kinds][0];
    const paths = new Set<string>();
    keyPaths(top, '', paths);
    for (const p of paths) lines.add(`${kind}:${p}`);
  }
  for (const s of SUPPLEMENTS) {
    lines.add(s.line.startsWith('@') ? `@${s.line.slice(1).replace(/^(\w+) /, `$1 ${s.kind}:`)}  # ${s.source}` : `${s.kind}:${s.line}  # ${s.source}`);
  }
  // The generic contact point example's settings are the prometheus-alertmanager integration's.
  const generic = [...lines].filter((l) => l.startsWith('alerting:contactPoints[].receivers[].settings.'));
  for (const l of generic) lines.delete(l);
  lines.add('@variant alerting:contactPoints[].receivers[].settings type');
  // Nothing below a free-form sub-tree is listed (the examples show some of its keys).
  const freeRoots = [...lines].filter((l) => /\.\*\*(\s|$)/.test(l)).map((l) => l.replace(/\.\*\*.*$/, '.'));
  const kept = [...lines].filter((l) => !freeRoots.some((r) => l.startsWith(r) && !l.startsWith(`${r}**`)));
  return { lines: kept.sort(), integrations: [...integrations].sort() };
}
