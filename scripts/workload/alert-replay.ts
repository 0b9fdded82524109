/**
 * Alerting rules evaluated over replayed data. Prometheus evaluates rules only in real time, and
 * `promtool tsdb create-blocks-from rules` backfills recording rules only, so each alerting rule's `expr`
 * is evaluated here by the real query engine (query_range) at its group's interval over the replay window,
 * once the recording rules are backfilled; `for` and `keep_firing_for` are then applied as Prometheus's
 * rule manager does (rules/alerting.go, AlertingRule.Eval): an alert is pending from the first evaluation
 * that returns its series, fires at the first evaluation at least `for` later that still returns it, and
 * once firing stays firing through evaluations that no longer return it until `keep_firing_for` has
 * passed since the first of them. A pending alert whose series vanishes is dropped.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { api, durationSeconds } from '../dashboards/panel-queries';

export interface AlertingRule {
  /** `<file>/<group>` */
  readonly group: string;
  readonly alert: string;
  readonly expr: string;
  /** Seconds between evaluations: the group's interval, else the global evaluation_interval. */
  readonly interval: number;
  readonly forSeconds: number;
  readonly keepFiringForSeconds: number;
}

/** One alert instance (the rule's result series, by its labels) and the evaluations at which it was pending or firing. */
export interface AlertInstance {
  readonly labels: Record<string, string>;
  /** Unix seconds of the evaluations at which the alert was pending. */
  readonly pending: number[];
  /** Unix seconds of the evaluations at which the alert was firing. */
  readonly firing: number[];
}

export interface ReplayedAlert {
  readonly rule: AlertingRule;
  readonly instances: AlertInstance[];
}

/** Every alerting rule of some rule files. `defaultInterval`: the global evaluation_interval, seconds. */
export function alertingRules(ruleFiles: readonly string[], defaultInterval: number): AlertingRule[] {
  return ruleFiles.flatMap((file) =>
    (parse(fs.readFileSync(file, 'utf8')).groups ?? []).flatMap((g: any) =>
      (g.rules ?? [])
        .filter((r: any) => r.alert)
        .map((r: any) => ({
          group: `${path.basename(file, path.extname(file))}/${g.name}`,
          alert: r.alert as string,
          expr: r.expr as string,
          interval: g.interval ? durationSeconds(g.interval) : defaultInterval,
          forSeconds: r.for ? durationSeconds(r.for) : 0,
          keepFiringForSeconds: r.keep_firing_for ? durationSeconds(r.keep_firing_for) : 0,
        })),
    ),
  );
}

/**
 * The state machine of Prometheus's AlertingRule.Eval over the evaluations `times` (ascending), given at
 * each the label sets the expression returned. Pure, so its own test can drive it without a Prometheus.
 */
export function alertStates(rule: Pick<AlertingRule, 'forSeconds' | 'keepFiringForSeconds'>, times: readonly number[], returned: ReadonlyArray<ReadonlySet<string>>): Map<string, { pending: number[]; firing: number[] }> {
  type State = { state: 'pending' | 'firing' | 'inactive'; activeAt: number; keepFiringSince?: number };
  const active = new Map<string, State>();
  const out = new Map<string, { pending: number[]; firing: number[] }>();
  times.forEach((ts, i) => {
    const now = returned[i];
    for (const key of now) {
      const a = active.get(key);
      if (!a || a.state === 'inactive') active.set(key, { state: 'pending', activeAt: ts });
    }
    for (const [key, a] of active) {
      if (!now.has(key)) {
        let keepFiring = false;
        if (a.state === 'firing' && rule.keepFiringForSeconds > 0) {
          a.keepFiringSince ??= ts;
          keepFiring = ts - a.keepFiringSince < rule.keepFiringForSeconds;
        }
        if (a.state === 'pending') active.delete(key);
        if (!keepFiring) {
          a.state = 'inactive';
          continue;
        }
      } else a.keepFiringSince = undefined;
      if (a.state === 'pending' && ts - a.activeAt >= rule.forSeconds) a.state = 'firing';
      if (!out.has(key)) out.set(key, { pending: [], firing: [] });
      out.get(key)![a.state === 'firing' ? 'firing' : 'pending'].push(ts);
    }
  });
  return out;
}

/** Evaluations of a rule over [start, end]: at its interval, aligned to it as a group's schedule is. */
export function evaluationTimes(interval: number, start: number, end: number): number[] {
  const times: number[] = [];
  for (let t = Math.ceil(start / interval) * interval; t <= end; t += interval) times.push(t);
  return times;
}

/** Evaluates each rule over [start, end] on the Prometheus at `base` and applies its `for` and `keep_firing_for`. */
export async function replayAlerts(base: string, rules: readonly AlertingRule[], start: number, end: number): Promise<ReplayedAlert[]> {
  const out: ReplayedAlert[] = [];
  for (const rule of rules) {
    const times = evaluationTimes(rule.interval, start, end);
    if (times.length === 0) throw new Error(`${rule.alert}: no evaluation of a ${rule.interval} s interval between ${start} and ${end}`);
    const data = await api(base, '/api/v1/query_range', { query: rule.expr, start: String(times[0]), end: String(times[times.length - 1]), step: String(rule.interval) });
    const returned = times.map(() => new Set<string>());
    const labelsOf = new Map<string, Record<string, string>>();
    for (const series of data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>) {
      // An alert's labels are its result's, without the metric name (the rule's own labels are the same on every instance).
      const { __name__: _name, ...labels } = series.metric;
      const key = JSON.stringify(Object.entries(labels).sort());
      labelsOf.set(key, labels);
      for (const [t] of series.values) returned[Math.round((t - times[0]) / rule.interval)].add(key);
    }
    const states = alertStates(rule, times, returned);
    out.push({ rule, instances: [...states].map(([key, s]) => ({ labels: labelsOf.get(key)!, ...s })) });
  }
  return out;
}

/** The global evaluation_interval of a synthesized Prometheus manifest, in seconds. */
export function evaluationIntervalOf(prometheusManifest: string): number {
  const m = /evaluation_interval: (\w+)/.exec(prometheusManifest);
  if (!m) throw new Error('the Prometheus config sets no evaluation_interval');
  return durationSeconds(m[1]);
}
