import * as fs from 'fs';
import * as path from 'path';
import { seriesCatalogue } from '../../src/catalog/metrics';
import type { SeriesSpec } from '../../src/kit/metric-catalogue';
import { dashboards, ruleFiles } from './dist-files';
import { groupingLabels, metricSelectors } from './query-parsers';

export type Catalogue = Map<string, SeriesSpec>;

/** A query found in a rule file or a dashboard, with where it came from. */
export interface FoundQuery {
  readonly where: string;
  readonly expr: string;
  /** A Grafana `label_values(<selector>, <label>)` variable query. */
  readonly labelValues?: boolean;
}

/** Recording rules as the series they produce: `level:metric:operation`, with their output labels. */
export function withRecordingRules(
  catalogue: Catalogue,
  rules: ReadonlyArray<{ record?: string; expr: string; labels?: Record<string, string> }>,
): { catalogue: Catalogue; problems: string[] } {
  const out: Catalogue = new Map(catalogue);
  const problems: string[] = [];
  for (const rule of rules) {
    if (!rule.record) continue;
    if (!/^[a-zA-Z_]\w*:[a-zA-Z_]\w*(?::\w+)?$/.test(rule.record) || rule.record.split(':').length !== 3) {
      problems.push(`recording rule "${rule.record}": name it level:metric:operation`);
    }
    // `sum by (a, b)` keeps exactly a and b; otherwise the source labels pass through.
    const grouping = groupingLabels(rule.expr);
    const labels = new Set<string>(
      // A recording of recordings reads the earlier ones (rules run in order).
      grouping.length > 0 ? grouping : metricSelectors(rule.expr).flatMap((s) => [...(out.get(s.metric)?.labels ?? [])]),
    );
    for (const l of Object.keys(rule.labels ?? {})) labels.add(l);
    out.set(rule.record, { metric: rule.record, labels });
  }
  return { catalogue: out, problems };
}

function closest(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  // `status` for `status_code`: a shortened name is the likeliest slip.
  const extended = list.find((c) => c.startsWith(`${name}_`));
  if (extended) return extended;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * What is wrong with one PromQL expression against the catalogue: unknown
 * metrics, matchers on labels the metric does not have, and by/on/without
 * labels that none of the expression's metrics have.
 */
export function promqlCatalogueProblems(expr: string, catalogue: Catalogue): string[] {
  const problems: string[] = [];
  const selectors = metricSelectors(expr);
  const known: SeriesSpec[] = [];
  for (const { metric, labels } of selectors) {
    if (metric === '' || metric.startsWith('$')) {
      problems.push(`a selector whose metric name cannot be checked ("${metric}"); name the metric`);
      continue;
    }
    const spec = catalogue.get(metric);
    if (!spec) {
      const hint = closest(metric, catalogue.keys());
      problems.push(`unknown metric "${metric}"${hint ? ` (did you mean "${hint}"?)` : ''}; add it to src/catalog/metrics.ts if it is real`);
      continue;
    }
    known.push(spec);
    for (const label of labels) {
      if (!spec.labels.has(label)) {
        const hint = closest(label, spec.labels);
        problems.push(
          `metric "${metric}" has no label "${label}"${hint ? ` (did you mean "${hint}"?)` : ''}; it has ${[...spec.labels].sort().join(', ')}`,
        );
      }
    }
  }
  if (known.length > 0) {
    for (const label of groupingLabels(expr)) {
      if (!known.some((s) => s.labels.has(label))) {
        problems.push(`groups by "${label}", which none of ${known.map((s) => `"${s.metric}"`).join(', ')} has`);
      }
    }
  }
  return problems;
}

const LABEL_VALUES = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_]\w*)\s*\)\s*$/s;

/** Problems of a found query: plain PromQL, or a `label_values(selector, label)` variable query. */
export function queryProblems(q: FoundQuery, catalogue: Catalogue): string[] {
  if (!q.labelValues) return promqlCatalogueProblems(q.expr, catalogue);
  const m = LABEL_VALUES.exec(q.expr);
  if (!m) return [`variable query "${q.expr}" is not label_values(<selector>, <label>)`];
  const problems = promqlCatalogueProblems(m[1], catalogue);
  for (const { metric } of metricSelectors(m[1])) {
    const spec = catalogue.get(metric);
    if (spec && !spec.labels.has(m[2])) problems.push(`variable reads label "${m[2]}", which "${metric}" does not have`);
  }
  return problems;
}

/** Every Prometheus query of a dashboard's JSON: panel targets and template variables. */
export function dashboardPromQueries(json: any): FoundQuery[] {
  const uid = json.uid;
  const out: FoundQuery[] = [];
  const panels: any[] = (json.panels ?? []).flatMap((p: any) => [p, ...(p.panels ?? [])]);
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      const type = t.datasource?.type ?? p.datasource?.type;
      if (type === 'prometheus') out.push({ where: `dashboard ${uid} panel "${p.title}" ${t.refId}`, expr: t.expr });
    }
  }
  for (const v of json.templating?.list ?? []) {
    if (v.type === 'query' && v.datasource?.type === 'prometheus') {
      out.push({ where: `dashboard ${uid} variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query, labelValues: true });
    }
  }
  return out;
}

export function defaultCatalogue(): Catalogue {
  return seriesCatalogue();
}

/**
 * The metric names an environment's rule files and dashboards read (recording rules' outputs included), so a
 * test of a real exporter can check that it serves every one of its series they need.
 */
export function seriesReadIn(envDir: string): Set<string> {
  const exprs = [
    ...(fs.existsSync(path.join(envDir, 'rules')) ? ruleFiles(envDir).flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => String(r.expr)))) : []),
    ...(fs.existsSync(path.join(envDir, 'dashboards')) ? dashboards(envDir).flatMap((d) => dashboardPromQueries(d.json)) : []).map((q) =>
      q.labelValues ? (LABEL_VALUES.exec(q.expr)?.[1] ?? q.expr) : q.expr,
    ),
  ];
  return new Set(exprs.flatMap((e) => metricSelectors(e).map((s) => s.metric)));
}
