/**
 * The incidents of the write-ups, replayed: the seeded workload (scripts/workload/) for this test's own
 * config (test/fixtures/incidents/config.yaml), with each incident laid over it at its own time
 * (scripts/workload/incidents.mjs), backfilled with promtool and served by the real Prometheus with the
 * synthesized recording rules backfilled over it (scripts/workload/replay.ts). For each incident, the
 * dashboard panels it names show a value beyond their bound inside its window and not in quiet times, the
 * alerts it names fire inside its window, and the alerts it names as false friends stay silent there.
 *
 * How the alerts are evaluated: Prometheus evaluates rules only in real time, and `promtool tsdb
 * create-blocks-from rules` ignores alerting rules, so each synthesized alerting rule's `expr` is evaluated
 * by the real query engine (query_range) at its rule group's interval over the replay, after the recording
 * rules are backfilled, and its `for` and `keep_firing_for` are applied as Prometheus's rule manager does:
 * pending until the expression has held for `for` at every evaluation, then firing
 * (scripts/workload/alert-replay.ts). Alertmanager's inhibitions are not applied: a warning twin that
 * Alertmanager would inhibit still counts as firing here.
 *
 * All incidents share one backfill: incidents whose windows overlap hit other services and other alerts
 * (checked below), and every alert that fires outside the windows of the incidents naming it fails the
 * test, so an alert counted as fired for an incident fired because of it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { synthesize } from '../src/synth';
import { replayWorkload } from '../scripts/workload/replay';
import { alertingRules, evaluationIntervalOf, replayAlerts, ReplayedAlert } from '../scripts/workload/alert-replay';
import { api, grafanaScrapeSeconds, panelsOf, relativeSeconds, targetQuery, variableValues } from '../scripts/dashboards/panel-queries';
import { stopAll, tempDir } from './support/process';

const CONFIG = path.join(__dirname, 'fixtures', 'incidents', 'config.yaml');
/** Hours of the statements' history: PostgresQueryRegression compares a statement with its hourly means before. */
const STATEMENT_HOURS = 3;
/** Minutes of everything else: the longest incident (the saga's 30 minutes without a completion) and a warm-up. */
const MINUTES = 120;
const STEP_SECONDS = 30;
/** How long a panel may still show an incident after its window (the saga panels read 30 minutes back). */
const PANEL_TAIL_SECONDS = 30 * 60;

interface WorkloadSummary {
  readonly statements: { readonly regressedQueryid?: string };
}

interface PanelCheck {
  readonly uid: string;
  readonly title: string;
  /** The incident shows as a value above this inside its window, and never in the panel's quiet times. */
  readonly above: number;
  /** Only the series with these labels count (e.g. the leaking service's connections). */
  readonly series?: Record<string, string>;
  /** Template variables set for the check; the others are at "All" (or their first value). */
  readonly variables?: (workload: WorkloadSummary) => Record<string, string>;
}

interface Incident {
  /** The incident's name in scripts/workload/incidents.mjs. */
  readonly name: string;
  readonly what: string;
  /** Minutes before the replay's end: from, to. */
  readonly window: readonly [number, number];
  /** Minutes after the window during which its alerts may still fire (the windows their rules read). */
  readonly aftermath?: number;
  readonly panels: readonly PanelCheck[];
  /** Alerts, each `Name` or `Name{label="value", ...}` for the instances with those labels. */
  readonly fire: readonly string[];
  readonly silent: readonly string[];
}

/** Alerts read rates over up to 5 minutes: they may fire that long after an incident's window. */
const AFTERMATH_MINUTES = 5;

const INCIDENTS: readonly Incident[] = [
  {
    name: '5xx-burst',
    what: 'gateway answers a fifth of its requests with 500 for 10 minutes',
    window: [120, 110],
    // SloErrorBudgetBurnFast's second pair of windows (6 h and 30 min above 6x) holds it for 30 minutes after.
    aftermath: 35,
    panels: [{ uid: 'service-overview', title: '5xx ratio by service and route', above: 0.05, series: { app: 'gateway' } }],
    fire: ['ErrorRateCritical{service="gateway"}', 'SloErrorBudgetBurnFast{service="gateway", slo="availability"}'],
    silent: ['P99LatencyWarning', 'CircuitBreakerOpen', 'SloErrorBudgetBurnFast{slo="latency"}'],
  },
  {
    name: 'grpc-handshake-hang',
    what: "order-service's gRPC handshakes to payment-service hang until the 30 s deadline; the saga stalls after PAYMENT_CREATED",
    window: [116, 76],
    panels: [
      // histogram_quantile reports the highest finite bucket (10 s) when the quantile lies in +Inf.
      { uid: 'grpc-clients', title: 'p99 latency by target and method', above: 5, series: { target: 'payment-service' } },
      { uid: 'grpc-clients', title: 'Non-OK ratio by target and method', above: 0.5, series: { target: 'payment-service' } },
      { uid: 'saga', title: 'Orders stalled after PAYMENT_CREATED (30m)', above: 1000 },
    ],
    fire: ['SagaOrderStalled'],
    // The write-up's point: the saga services' HTTP SLOs do not see a hanging handshake.
    silent: ['SloErrorBudgetBurnFast{service="order-service"}', 'SloErrorBudgetBurnFast{service="payment-service"}'],
  },
  {
    name: 'stalled-saga',
    what: "the saga's payments queue loses its consumers: messages pile up, no order completes",
    window: [40, 0],
    panels: [
      { uid: 'saga', title: 'Orders stalled after PAYMENT_CREATED (30m)', above: 1000 },
      { uid: 'rabbitmq', title: 'Queue depth (ready + unacked)', above: 1000, series: { queue: 'payments' } },
    ],
    fire: ['SagaOrderStalled', 'RabbitMQQueueWithoutConsumers'],
    silent: ['RabbitMQDeadLetterQueueGrowing', 'SloErrorBudgetBurnFast{service="payment-service"}'],
  },
  {
    name: 'kafka-consumer-lag',
    what: 'order-projector falls 6 000 messages behind on each partition of ecommerce.orders',
    window: [80, 60],
    panels: [
      { uid: 'kafka-consumers', title: 'order-projector / ecommerce.orders: max lag', above: 1000 },
      { uid: 'kafka-consumers', title: 'Lag by group and topic', above: 10000, series: { group_id: 'order-projector' } },
    ],
    fire: ['KafkaConsumerLagHigh'],
    silent: ['CDCLagCritical'],
  },
  {
    name: 'cdc-lag',
    what: 'the Debezium connector falls two minutes behind the WAL',
    window: [54, 40],
    panels: [{ uid: 'slo-overview', title: 'CDC lag (target < 5 s)', above: 60 }],
    fire: ['CDCLagCritical'],
    // audit, the CDC events' consumer, keeps up with what little arrives.
    silent: ['KafkaConsumerLagHigh'],
  },
  {
    name: 'slow-statement-regression',
    what: 'a statement of the top 50 runs five times slower than its baseline (a plan change)',
    window: [55, 0],
    panels: [
      {
        uid: 'postgres-query-performance',
        title: 'Mean latency per queryid (not p95: pg_stat_statements has no percentiles)',
        above: 0.1,
        variables: (w) => ({ queryid: w.statements.regressedQueryid ?? '__none__' }),
      },
    ],
    fire: ['PostgresQueryRegression'],
    // Slower, yet under the 1 s ceiling and the 500 ms of a slow call.
    silent: ['PostgresQueryTooSlow', 'PostgresSlowQueryRateSpike'],
  },
  {
    name: 'postgres-connection-leak',
    what: 'cart-service leaks 150 connections, left idle in transaction',
    window: [75, 50],
    panels: [{ uid: 'postgres-query-performance', title: 'Connections by Service', above: 100, series: { application_name: 'cart-service' } }],
    fire: ['PostgresConnectionSaturation'],
    silent: ['PostgresQueryTooSlow', 'PostgresDeadlocks'],
  },
  {
    name: 'oom-killed-pod',
    what: 'a task-service pod grows to its memory limit and is OOM-killed once',
    window: [40, 20],
    panels: [
      { uid: 'kubernetes', title: 'OOM kills by container', above: 0 },
      { uid: 'kubernetes', title: 'Containers last killed by OOM', above: 0 },
      { uid: 'kubernetes', title: 'Restarts by pod', above: 0 },
      { uid: 'kubernetes', title: 'Container working set / memory limit', above: 0.9 },
    ],
    fire: ['KubeContainerOOMKilled'],
    // One kill is not a restart storm, and the pod is back within a step.
    silent: ['KubePodRestartStorm', 'KubeContainerMemoryPressure', 'PodNotReady', 'TargetDown'],
  },
  {
    name: 'hot-gpu',
    what: "the AI service's GPU runs at 92 °C for a quarter of an hour",
    window: [45, 25],
    panels: [
      { uid: 'gpu', title: 'Hottest GPU', above: 85 },
      { uid: 'gpu', title: 'Temperature per GPU', above: 85 },
    ],
    fire: ['GpuTemperatureHigh'],
    silent: ['GpuMemoryHigh', 'AiServiceNotReady'],
  },
];

/** Alerts that fire outside every incident, each with why. */
const FIRING_ANYWAY: ReadonlyArray<{ alert: string; reason: string }> = [
  { alert: 'Watchdog', reason: "the dead man's switch: always firing, so that its silence means the alerting pipeline is broken" },
  {
    alert: 'SloErrorBudgetBurnSlow{service="gateway", slo="availability"}',
    reason:
      "its 1-day window holds only the replay's 120 minutes, in which the 5xx burst is 1.7% of gateway's requests " +
      '(0.14% of a day, under the 0.3% it pages at); a month of history would keep it silent',
  },
];

/** `Name{a="x", b="y"}` → the alert's name and the labels its instances must have. */
function alertSpec(text: string): { name: string; labels: Record<string, string> } {
  const m = /^(\w+)(?:\{(.*)\})?$/.exec(text);
  if (!m) throw new Error(`"${text}" is not Name or Name{label="value", ...}`);
  const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
  return { name: m[1], labels };
}

/** Two specs can name the same instance: same alert, no label with two values. */
function overlaps(a: string, b: string): boolean {
  const x = alertSpec(a);
  const y = alertSpec(b);
  return x.name === y.name && Object.entries(x.labels).every(([k, v]) => y.labels[k] === undefined || y.labels[k] === v);
}

/** The incident × alert table: rows the incidents, columns every alert one of them names. */
function table(firingIn: (alert: string, from: number, to: number) => boolean, alertWindowOf: (i: Incident) => { from: number; to: number }): string {
  const concerned = [...new Set(INCIDENTS.flatMap((i) => [...i.fire, ...i.silent]))];
  const rows = INCIDENTS.map((i) => {
    const { from, to } = alertWindowOf(i);
    const cells = concerned.map((a) => {
      const fired = firingIn(a, from, to);
      if (i.fire.includes(a)) return fired ? 'fired ✓' : 'silent ✗ (expected to fire)';
      if (i.silent.includes(a)) return fired ? 'fired ✗ (expected silent)' : 'silent ✓';
      return fired ? 'fired' : '·';
    });
    return `| ${i.name} (${i.window[0]}–${i.window[1]} min before the end) | ${cells.join(' | ')} |`;
  });
  return [
    'Incident × alert (✓ as expected, ✗ not; · neither expected nor fired):',
    `| incident | ${concerned.join(' | ')} |`,
    `|---|${concerned.map(() => '---').join('|')}|`,
    ...rows,
  ].join('\n');
}

describe('incidents replayed on the workload show in their panels and fire their alerts', () => {
  const work = tempDir('incidents-');
  const out = path.join(work, 'synth');
  // The workload ends on a whole minute in the past, as a live Prometheus's data would.
  const end = Math.floor(Date.now() / 60_000) * 60 - 120;
  const start = end - MINUTES * 60;
  const windowOf = (i: Incident) => ({ from: end - i.window[0] * 60, to: end - i.window[1] * 60 });
  /** Where an incident's alerts may fire: its window and its aftermath. */
  const alertWindowOf = (i: Incident) => ({ from: windowOf(i).from, to: windowOf(i).to + (i.aftermath ?? AFTERMATH_MINUTES) * 60 });
  let base = '';
  let envDir = '';
  let workload: WorkloadSummary;
  let alerts: ReplayedAlert[] = [];
  /** Per incident and panel check: the highest value inside the window and in the panel's quiet times. */
  const panelResults = new Map<PanelCheck, { inside: number; quiet: number; quietPoints: number }>();

  const matching = (spec: string) => {
    const { name, labels } = alertSpec(spec);
    return alerts.filter((a) => a.rule.alert === name).flatMap((a) => a.instances.filter((i) => Object.entries(labels).every(([k, v]) => i.labels[k] === v)));
  };
  const firingIn = (spec: string, from: number, to: number) => matching(spec).some((i) => i.firing.some((t) => t >= from && t <= to));

  beforeAll(async () => {
    const [summary] = synthesize({ config: CONFIG, out: path.join(out) });
    envDir = path.join(out, summary.environment);
    const summaryFile = path.join(work, 'workload.json');
    const replay = await replayWorkload({
      envDir,
      configFile: CONFIG,
      work,
      hours: STATEMENT_HOURS,
      shortMinutes: MINUTES,
      stepSeconds: STEP_SECONDS,
      end,
      name: 'incidents',
      generatorArgs: [...INCIDENTS.map((i) => `--incident=${i.name}:${i.window[0]}:${i.window[1]}`), `--summary=${summaryFile}`],
    });
    base = replay.base;
    console.log(`incidents: ${replay.timings}`);
    workload = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));

    const began = Date.now();
    const ruleDir = path.join(envDir, 'rules');
    const ruleFiles = fs.readdirSync(ruleDir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ruleDir, f));
    const interval = evaluationIntervalOf(fs.readFileSync(path.join(envDir, 'prometheus.k8s.yaml'), 'utf8'));
    alerts = await replayAlerts(base, alertingRules(ruleFiles, interval), start, end);

    const scrapeSeconds = grafanaScrapeSeconds(fs.readFileSync(path.join(envDir, 'grafana.k8s.yaml'), 'utf8'));
    const dashboards = new Map<string, any>();
    for (const f of fs.readdirSync(path.join(envDir, 'dashboards'))) {
      const d = JSON.parse(fs.readFileSync(path.join(envDir, 'dashboards', f), 'utf8'));
      dashboards.set(d.uid, d);
    }
    for (const incident of INCIDENTS) {
      for (const check of incident.panels) {
        const dashboard = dashboards.get(check.uid);
        const panel = dashboard && panelsOf(dashboard).find((p: any) => p.title === check.title);
        if (!panel) throw new Error(`${incident.name}: no panel "${check.title}" on dashboard ${check.uid}`);
        const { values } = await variableValues(base, dashboard, start, end);
        const all = Object.fromEntries((dashboard.templating?.list ?? []).filter((v: any) => v.includeAll).map((v: any) => [v.name, v.allValue ?? '.*']));
        const chosen = { ...values, ...all, ...(check.variables?.(workload) ?? {}) };
        const rangeSeconds = relativeSeconds(dashboard.time.from);
        // The panel's quiet times: outside the windows (and their tails) of every incident that names it.
        const loud = INCIDENTS.filter((i) => i.panels.some((p) => p.uid === check.uid && p.title === check.title)).map(windowOf);
        const result = { inside: -Infinity, quiet: -Infinity, quietPoints: 0 };
        const { from, to } = windowOf(incident);
        const isQuiet = (t: number) => !loud.some((w) => t >= w.from && t < w.to + PANEL_TAIL_SECONDS);
        for (let t = start; t <= end; t += STEP_SECONDS) if (isQuiet(t)) result.quietPoints++;
        for (const target of panel.targets ?? []) {
          const { expr } = targetQuery({ panel, target, rangeSeconds, scrapeSeconds, values: chosen });
          const data = await api(base, '/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(STEP_SECONDS) });
          for (const s of data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>) {
            if (!Object.entries(check.series ?? {}).every(([k, v]) => s.metric[k] === v)) continue;
            for (const [t, text] of s.values) {
              const v = Number(text);
              if (Number.isNaN(v)) continue;
              if (t >= from && t <= to) result.inside = Math.max(result.inside, v);
              else if (isQuiet(t)) result.quiet = Math.max(result.quiet, v);
            }
          }
        }
        panelResults.set(check, result);
      }
    }
    console.log(`incidents: alerts and panels read in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    console.log(table(firingIn, alertWindowOf));
  }, 900_000);

  afterAll(async () => {
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });


  it('names only alerts the synthesized rules have, and incidents at the same time share no alert and no panel', () => {
    const known = new Set(alerts.map((a) => a.rule.alert));
    const unknown = [...INCIDENTS.flatMap((i) => [...i.fire, ...i.silent]), ...FIRING_ANYWAY.map((f) => f.alert)].filter((a) => !known.has(alertSpec(a).name));
    const clashes: string[] = [];
    for (const a of INCIDENTS) {
      for (const b of INCIDENTS) {
        const [x, y] = [alertWindowOf(a), alertWindowOf(b)];
        if (a === b || !(x.from <= y.to && y.from <= x.to)) continue;
        for (const alert of a.fire) {
          const same = [...b.fire, ...b.silent].filter((other) => overlaps(alert, other));
          if (same.length > 0) clashes.push(`${a.name} fires ${alert} while ${b.name} names ${same.join(', ')}`);
        }
        // A panel still shows an incident for its tail: another incident naming it must come after.
        const shown = { from: windowOf(a).from, to: windowOf(a).to + PANEL_TAIL_SECONDS };
        if (!(shown.from <= windowOf(b).to && windowOf(b).from <= shown.to)) continue;
        for (const p of a.panels) {
          if (b.panels.some((q) => q.uid === p.uid && q.title === p.title)) clashes.push(`${a.name} and ${b.name} both name ${p.uid} / ${p.title} within ${PANEL_TAIL_SECONDS / 60} minutes`);
        }
      }
    }
    expect([...unknown, ...clashes]).toEqual([]);
  });

  it.each(INCIDENTS.map((i) => [i.name, i] as const))('%s shows in its panels: above the bound inside its window, not in quiet times', (_name, incident) => {
    const failures = incident.panels.flatMap((check) => {
      const r = panelResults.get(check)!;
      const where = `${check.uid} / ${check.title}${check.series ? ` ${JSON.stringify(check.series)}` : ''}`;
      if (!(r.inside > check.above)) return [`${where}: at most ${r.inside} inside the window, not above ${check.above}`];
      if (r.quietPoints === 0) return [`${where}: no time outside the incidents that name it, nothing to compare with`];
      if (r.quiet > check.above) return [`${where}: ${r.quiet} outside the incidents that name it, already above ${check.above}`];
      return [];
    });
    expect(failures).toEqual([]);
  });

  it.each(INCIDENTS.map((i) => [i.name, i] as const))('%s fires its alerts and leaves its false friends silent', (_name, incident) => {
    const { from, to } = alertWindowOf(incident);
    const missing = incident.fire.filter((a) => !firingIn(a, from, to)).map((a) => `${a} did not fire`);
    const wrong = incident.silent.filter((a) => firingIn(a, from, to)).map((a) => `${a} fired`);
    expect([...missing, ...wrong]).toEqual([]);
  });

  it('no alert fires outside the windows of the incidents that name it, unless declared with a reason', () => {
    const named = (spec: string, labels: Record<string, string>) => {
      const { labels: wanted } = alertSpec(spec);
      return Object.entries(wanted).every(([k, v]) => labels[k] === v);
    };
    const stray = alerts.flatMap((a) => {
      return a.instances.flatMap((i) => {
        if (FIRING_ANYWAY.some((f) => alertSpec(f.alert).name === a.rule.alert && named(f.alert, i.labels))) return [];
        const windows = INCIDENTS.filter((inc) => inc.fire.some((f) => alertSpec(f).name === a.rule.alert && named(f, i.labels))).map(alertWindowOf);
        const outside = i.firing.filter((t) => !windows.some((w) => t >= w.from && t <= w.to));
        return outside.length === 0 ? [] : [`${a.rule.alert} ${JSON.stringify(i.labels)}: firing ${outside.length} times outside, first ${(end - outside[0]) / 60} min before the end`];
      });
    });
    // An entry that no longer fires is stale: the list cannot rot.
    const stale = FIRING_ANYWAY.filter((f) => !matching(f.alert).some((i) => i.firing.length > 0)).map((f) => `${f.alert} is declared as firing anyway but never fired`);
    expect([...stray, ...stale]).toEqual([]);
  });
});
