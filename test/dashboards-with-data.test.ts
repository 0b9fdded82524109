/**
 * Every panel returns data: the seeded workload (scripts/workload/) for the config's catalogue, backfilled
 * into a TSDB with promtool, read by the real Prometheus; the synthesized recording rules' results backfilled
 * over the same window with `promtool tsdb create-blocks-from rules`; then every Prometheus target of every
 * synthesized dashboard evaluated over the dashboard's default range, with its template variables set to the
 * first value Prometheus has for them, as Grafana would pick.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ServiceConfig } from '../src/catalog/config';
import { stopAll, tempDir } from './support/process';
import { shippedConfigOf, shippedEnvironments, synthesizedShippedConfigs } from './support/synth-fixture';
import { replayWorkload } from '../scripts/workload/replay';
import { allValues, api, grafanaScrapeSeconds, panelsOf, relativeSeconds, targetQuery, typeOf, variableValues } from '../scripts/dashboards/panel-queries';
import { unitMismatch } from '../scripts/dashboards/panel-units';

/** Hours of workload: enough for every range vector the panels and rules read (the longest is 1h). */
const WORKLOAD_HOURS = 2;
const STEP_SECONDS = 30;

/**
 * Panels that show nothing on a healthy system, by dashboard uid and panel title, each with why. An entry
 * that shows data anyway, or names no panel any more, fails the test, so the list cannot rot.
 */
const MAY_BE_EMPTY: ReadonlyArray<{ uid: string; title: string; reason: string; when?: (services: readonly ServiceConfig[]) => boolean }> = [
  {
    uid: 'slo-overview',
    title: 'CDC lag (target < 5 s)',
    reason: 'reads Debezium\'s connector lag, which only a catalogue service with jmx.debezium exports',
    when: (services) => !services.some((s) => s.jmx?.debezium),
  },
  { uid: 'kubernetes', title: 'Restarts by pod', reason: 'lists pods that restarted (`> 0`): none on a healthy system' },
  { uid: 'kubernetes', title: 'OOM kills by container', reason: 'lists containers OOM-killed (`> 0`): none on a healthy system' },
  { uid: 'kubernetes', title: 'Not-ready pods by namespace', reason: 'counts pods not ready (`== 0`): none on a healthy system' },
];

/**
 * Panels whose time unit is right although the durations they read are in another (the expression converts
 * in a way the unit check cannot see), by dashboard uid and panel title, each with why. An entry that the
 * check no longer reports, or that names no panel, fails the test.
 */
const UNIT_EXCEPTIONS: ReadonlyArray<{ uid: string; title: string; reason: string }> = [];

const PROMETHEUS_TYPES = new Set(['prometheus']);

interface Target {
  readonly uid: string;
  readonly title: string;
  readonly refId: string;
  readonly expr: string;
  /** Why it shows nothing; undefined when it returned a value. */
  empty?: string;
  /** The median of the values it returned. */
  median?: number;
  /** The panel's unit. */
  readonly unit?: string;
}

/** A panel shows data when one of its targets does (a panel may have one target per HTTP vocabulary). */
interface Panel {
  readonly uid: string;
  readonly title: string;
  readonly targets: Target[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

describe.each(shippedEnvironments())('every Prometheus panel of the %s dashboards returns data from the workload', (environment) => {
  const envDir = path.join(synthesizedShippedConfigs(), environment);
  const { file: configFile, config } = shippedConfigOf(environment);
  const mayBeEmpty = MAY_BE_EMPTY.filter((e) => e.when?.(config.services) ?? true);
  const work = tempDir(`panels-data-${environment}-`);
  // The workload ends on a whole minute in the past, as a live Prometheus's data would.
  const end = Math.floor(Date.now() / 60_000) * 60 - 120;
  let base = '';
  const panels: Panel[] = [];
  const other: Record<string, number> = {};
  const hasData = (p: Panel) => p.targets.some((t) => t.empty === undefined);
  /** Panels empty for the variables' first values that show data at "All". */
  const readAtAll: string[] = [];
  // The scrape interval Grafana's Prometheus data source is told (`timeInterval`): the floor of $__interval.
  const grafana = fs.readFileSync(path.join(envDir, 'grafana.k8s.yaml'), 'utf8');
  const scrapeSeconds = grafanaScrapeSeconds(grafana);

  beforeAll(async () => {
    const replay = await replayWorkload({ envDir, configFile, work, hours: WORKLOAD_HOURS, stepSeconds: STEP_SECONDS, end, name: `${environment} workload` });
    base = replay.base;
    console.log(`${environment}: ${replay.timings}`);

    const dashDir = path.join(envDir, 'dashboards');
    for (const file of fs.readdirSync(dashDir).filter((f) => f.endsWith('.json')).sort()) {
      const dashboard = JSON.parse(fs.readFileSync(path.join(dashDir, file), 'utf8'));
      const rangeSeconds = relativeSeconds(dashboard.time.from);
      if (dashboard.time.to !== 'now') throw new Error(`${dashboard.uid}: time range ends at ${dashboard.time.to}, not now`);
      const from = end - rangeSeconds;
      // A dashboard with no Prometheus target (the logs dashboard) has its variables on another data source.
      const readsPrometheus = panelsOf(dashboard).some((p) => (p.targets ?? []).some((t: any) => PROMETHEUS_TYPES.has(typeOf(p, t))));
      const { values, empty: emptyVariables } = readsPrometheus ? await variableValues(base, dashboard, from, end) : { values: {}, empty: [] };
      // Grafana opens these dashboards with each variable at "All" (the first option when includeAll is set).
      const atAllValues = allValues(dashboard);
      const evaluate = async (panel: any, chosen: Record<string, string>, unset: string[]): Promise<Target[]> => {
        const out: Target[] = [];
        for (const target of panel.targets ?? []) {
          if (!PROMETHEUS_TYPES.has(typeOf(panel, target))) continue;
          const { expr, step: interval } = targetQuery({ panel, target, rangeSeconds, scrapeSeconds, values: chosen });
          const t: Target = { uid: dashboard.uid, title: panel.title, refId: target.refId, expr, unit: panel.fieldConfig?.defaults?.unit };
          out.push(t);
          if (unset.length > 0) {
            t.empty = `variables without a value: ${unset.join(', ')}`;
            continue;
          }
          const data = await api(base, '/api/v1/query_range', { query: expr, start: String(from), end: String(end), step: String(interval) });
          const series = data.result as Array<{ values: Array<[number, string]> }>;
          if (series.length === 0) t.empty = 'no series';
          else if (series.every((s) => s.values.every(([, v]) => v === 'NaN'))) t.empty = `${series.length} series, only NaN`;
          else t.median = median(series.flatMap((s) => s.values.map(([, v]) => Number(v)).filter(Number.isFinite)));
        }
        return out;
      };
      for (const panel of panelsOf(dashboard)) {
        for (const target of panel.targets ?? []) {
          const type = typeOf(panel, target);
          if (!PROMETHEUS_TYPES.has(type)) other[type] = (other[type] ?? 0) + 1;
        }
        let evaluated: Panel = { uid: dashboard.uid, title: panel.title, targets: await evaluate(panel, values, emptyVariables) };
        if (evaluated.targets.length === 0) continue;
        // A panel for another stack or vocabulary than the first service's (a JVM panel when the first service
        // is in Go) is empty for that service by design: it is then read as Grafana first shows it, at "All".
        if (!hasData(evaluated) && Object.keys(atAllValues).length > 0) {
          const atAll: Panel = { uid: dashboard.uid, title: panel.title, targets: await evaluate(panel, { ...values, ...atAllValues }, []) };
          if (hasData(atAll)) {
            evaluated = atAll;
            readAtAll.push(`${dashboard.uid} / ${panel.title}`);
          }
        }
        panels.push(evaluated);
      }
    }
  }, 900_000);

  afterAll(async () => {
    const targets = panels.flatMap((p) => p.targets);
    console.log(
      `${environment}: ${panels.length} panels (${targets.length} Prometheus targets) evaluated, ${panels.filter(hasData).length} panels ` +
        `(${targets.filter((t) => t.empty === undefined).length} targets) with data; ` +
        `not evaluated here: ${Object.entries(other).map(([k, n]) => `${n} ${k} targets`).join(', ') || 'none'}; ` +
        `read at "All" (empty for the variables' first values): ${readAtAll.join('; ') || 'none'}`,
    );
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const declared = (p: Panel) => mayBeEmpty.some((e) => e.uid === p.uid && e.title === p.title);

  it('every panel returns a series with a value, unless it is declared as possibly empty', () => {
    expect(panels.length).toBeGreaterThan(0);
    const failures = panels
      .filter((p) => !hasData(p) && !declared(p))
      .map((p) => `${p.uid} / ${p.title}:\n${p.targets.map((t) => `    [${t.refId}] ${t.empty}: ${t.expr}`).join('\n')}`);
    expect(failures).toEqual([]);
  });

  it("every panel in seconds or milliseconds is in its values' unit, as the catalogue's metric names give it", async () => {
    const excepted = (t: Target) => UNIT_EXCEPTIONS.some((e) => e.uid === t.uid && e.title === t.title);
    const reported = panels.flatMap((p) => p.targets).flatMap((t) => {
      const why = t.median === undefined ? undefined : unitMismatch(t.unit, t.expr, t.median);
      return why ? [{ t, why }] : [];
    });
    const failures = reported.filter((r) => !excepted(r.t)).map((r) => `${r.t.uid} / ${r.t.title} [${r.t.refId}]: ${r.why}`);
    const stale = UNIT_EXCEPTIONS.filter((e) => !reported.some((r) => r.t.uid === e.uid && r.t.title === e.title)).map((e) => `${e.uid} / ${e.title}: not reported any more (${e.reason})`);
    // The control: a p99 of the milliseconds histogram, in a panel that says seconds, is reported.
    const control = 'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_ms_bucket[5m])))';
    const data = await api(base, '/api/v1/query', { query: control, time: String(end) });
    const values = (data.result as Array<{ value: [number, string] }>).map((r) => Number(r.value[1])).filter(Number.isFinite);
    expect(values.length).toBeGreaterThan(0);
    expect(unitMismatch('s', control, median(values))).toMatch(/^unit "s" \(seconds\) over values in milliseconds/);
    expect([...failures, ...stale]).toEqual([]);
  });

  it('every panel declared as possibly empty exists and is empty', () => {
    const stale = mayBeEmpty.filter((e) => !panels.some((p) => p.uid === e.uid && p.title === e.title)).map((e) => `${e.uid} / ${e.title}: no such panel`);
    const full = mayBeEmpty.filter((e) => panels.some((p) => p.uid === e.uid && p.title === e.title && hasData(p))).map((e) => `${e.uid} / ${e.title}: returns data (${e.reason})`);
    expect([...stale, ...full]).toEqual([]);
  });
});
