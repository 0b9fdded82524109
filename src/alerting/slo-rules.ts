import { SLO_LABELS, SLO_PERIOD, SLO_RECORD, serviceSlos, SharedSli, SliWindow } from '../catalog/slo';
import type { ServiceConfig, SloTargets } from '../catalog/config';
import { servicesMatchers } from '../catalog/services';
import { AlertRuleSpec, RecordingRuleSpec, RuleGroupSpec } from '../kit/rule-model';

/**
 * The catalogue's SLOs as error budgets, in the shape of the SRE workbook
 * (chapter 5, "Alerting on SLOs") that Sloth and Pyrra generate:
 *
 * - `slo` (every round): per service and SLO, the rates of all and of bad
 *   requests over 5 minutes, read once from the raw series (one rule for all
 *   the services whose SLIs differ only in the service, see sliRecordings); then, for all
 *   services at once, the error ratio over 5m, 30m and 1h from those
 *   recordings; and the page alert (1h and 5m at 14.4x, or 6h and 30m at 6x).
 * - `slo-6h` (every 2 minutes): the 6h ratio, the long window of the slower
 *   page pair and the short one of the slower ticket pair. It reads 720
 *   samples per series, four fifths of what the ratios of one round read, and
 *   a 6-hour sum moves by about 1/180 in 2 minutes; the 5m, 30m and 1h ratios,
 *   which decide how soon a page starts and stops, stay in every round.
 * - `slo-hourly` (every hour): the hourly means of the 5-minute rates.
 * - `slo-long` (every 5 minutes): the 2h ratio from the 5-minute rates; the
 *   1d, 3d and 30-day ratios from the hourly means (24, 72 and 720 samples
 *   per series instead of 2 880, 8 640 and 8 640); the budget left; and the
 *   ticket alert (1d and 2h at 3x, or 3d and 6h at 1x). Those windows lag by
 *   at most the hour not yet recorded, which a ticket on a day's burn and a
 *   30-day budget can afford; the short windows that reset the alerts do not.
 *
 * A window's ratio is the sum of the bad rates over the window divided by the
 * sum of the total rates: weighted by traffic, like a rate over the window,
 * and reading one recorded series per service and SLO instead of every pod's,
 * route's and status code's raw series. Prometheus' lookback of 5 minutes is
 * longer than the 2-minute interval, so the alerts always find the 6h ratio;
 * the hourly means are only read over ranges, never as instant vectors.
 */

/** Burn-rate pairs: the long window says the budget is really burning, the short one that it still is (so the alert resets soon after recovery). */
export const BURN_PAIRS = {
  page: [
    { long: '1h', short: '5m', factor: 14.4 },
    { long: '6h', short: '30m', factor: 6 },
  ],
  ticket: [
    { long: '1d', short: '2h', factor: 3 },
    { long: '3d', short: '6h', factor: 1 },
  ],
} as const satisfies Record<string, ReadonlyArray<{ long: SliWindow; short: SliWindow; factor: number }>>;

/** Windows recorded by the every-round group, by `slo-6h` and by `slo-long` (see above). */
const FAST_WINDOWS: readonly SliWindow[] = ['5m', '30m', '1h'];
const SIX_HOURS: SliWindow = '6h';
/** Windows of `slo-long`, each with what it sums: the 5-minute rates, or the hourly means. */
const SLOW_WINDOWS: ReadonlyArray<readonly [SliWindow | typeof SLO_PERIOD, 'rate5m' | 'rate1h']> = [
  ['2h', 'rate5m'],
  ['1d', 'rate1h'],
  ['3d', 'rate1h'],
  [SLO_PERIOD, 'rate1h'],
];

const on = `on (${SLO_LABELS})`;
/** The error budget: the share of bad requests the objective allows. */
const budget = `(1 - ${SLO_RECORD.objective})`;
/** How many times faster than the period allows the budget is spent over `w`. */
const burnRate = (w: SliWindow) => `${SLO_RECORD.errorRatio(w)} / ${on} ${budget}`;

function burnAlert(pairs: ReadonlyArray<{ long: SliWindow; short: SliWindow; factor: number }>): string {
  return pairs
    .map(
      ({ long, short, factor }) =>
        `(\n  ${burnRate(long)} > ${factor}\n  and ${on}\n  ${burnRate(short)} > ${factor}\n)`,
    )
    .join('\nor\n');
}

/** sum_over_time(errors) / sum_over_time(requests) over `w`: the traffic-weighted error ratio. */
const windowRatio = (w: string, errors: string = SLO_RECORD.errors, requests: string = SLO_RECORD.requests) =>
  `sum_over_time(${errors}[${w}]) / sum_over_time(${requests}[${w}])`;

/**
 * The 5-minute request and error rates of every SLO, and its objective. A generated SLO is recorded for
 * all the services that share its expressions (vocabulary, latency target and route) in one rule over all
 * their series, aggregated by service: at a thousand services, a handful of rules instead of thousands, each
 * finding its series once. An SLO a service declares itself keeps its own selectors and rules.
 *
 * A shared rule's selector matches each label against all the services' values, so it would also take in
 * a catalogue service's name in another catalogue namespace; the join with the objectives (recorded first,
 * one per service and SLO) keeps exactly the catalogue's services.
 */
function sliRecordings(services: readonly ServiceConfig[], slo: SloTargets): RecordingRuleSpec[] {
  const objectives: RecordingRuleSpec[] = [];
  const own: RecordingRuleSpec[] = [];
  const shapes = new Map<string, { slo: string; shared: SharedSli; services: ServiceConfig[] }>();
  for (const svc of services) {
    for (const s of serviceSlos(svc, slo)) {
      const labels = { namespace: svc.namespace, service: svc.name, slo: s.name };
      // A constant, so alerts and panels can divide by the budget of each series with one join.
      objectives.push({ record: SLO_RECORD.objective, expr: `vector(${s.objective})`, labels });
      if (!s.shared) {
        own.push({ record: SLO_RECORD.requests, expr: s.requests, labels }, { record: SLO_RECORD.errors, expr: s.errors, labels });
        continue;
      }
      const { requests, errors } = s.shared.expressions('\0');
      const key = JSON.stringify([s.name, requests, errors]);
      const shape = shapes.get(key) ?? { slo: s.name, shared: s.shared, services: [] };
      shape.services.push(svc);
      shapes.set(key, shape);
    }
  }
  // One rule per recording and SLO: the shapes of an SLO (one per vocabulary, latency target and route) joined with `or`.
  const bySlo = new Map<string, Array<{ requests: string; errors: string }>>();
  for (const { slo: sloName, shared: sli, services: owners } of shapes.values()) {
    bySlo.set(sloName, [...(bySlo.get(sloName) ?? []), sli.expressions(servicesMatchers(owners))]);
  }
  const perService = (exprs: string[], sloName: string) =>
    `sum by (namespace, service) (label_replace(\n  ${exprs.join('\n  or\n  ')},\n  "service", "$1", "app", "(.*)"\n))\nand on (namespace, service) ${SLO_RECORD.objective}{slo="${sloName}"}`;
  const shared = [...bySlo].flatMap(([sloName, shapesOfSlo]): RecordingRuleSpec[] => [
    { record: SLO_RECORD.requests, expr: perService(shapesOfSlo.map((e) => e.requests), sloName), labels: { slo: sloName } },
    { record: SLO_RECORD.errors, expr: perService(shapesOfSlo.map((e) => e.errors), sloName), labels: { slo: sloName } },
  ]);
  return [...objectives, ...shared, ...own];
}

export function sloRules(services: readonly ServiceConfig[], slo: SloTargets): RuleGroupSpec[] {
  if (services.length === 0) return [];
  const perService = sliRecordings(services, slo);
  const fastRatios: RecordingRuleSpec[] = FAST_WINDOWS.map((w) => ({
    record: SLO_RECORD.errorRatio(w),
    expr: w === '5m' ? `${SLO_RECORD.errors} / ${SLO_RECORD.requests}` : windowRatio(w),
  }));
  const page: AlertRuleSpec = {
    alert: 'SloErrorBudgetBurnFast',
    expr: burnAlert(BURN_PAIRS.page),
    // No `for`: the short window already waits for the burn to be real, and a page must not wait longer.
    severity: 'critical',
    summary: 'A service is burning its error budget fast enough to exhaust it within days.',
    description:
      'The {{ $labels.slo }} SLO of {{ $labels.service }} ({{ $labels.namespace }}) is burning its 30-day error budget {{ $value | humanize }} times faster than allowed (page at 14.4x over 1h and 5m, or 6x over 6h and 30m).',
  };
  const ticket: AlertRuleSpec = {
    alert: 'SloErrorBudgetBurnSlow',
    expr: burnAlert(BURN_PAIRS.ticket),
    severity: 'warning',
    summary: 'A service is burning its error budget faster than it can afford over the month.',
    description:
      'The {{ $labels.slo }} SLO of {{ $labels.service }} ({{ $labels.namespace }}) is burning its 30-day error budget {{ $value | humanize }} times faster than allowed (ticket at 3x over 1d and 2h, or 1x over 3d and 6h).',
  };
  const hourlyMeans: RecordingRuleSpec[] = [
    { record: SLO_RECORD.requests1h, expr: `avg_over_time(${SLO_RECORD.requests}[1h])` },
    { record: SLO_RECORD.errors1h, expr: `avg_over_time(${SLO_RECORD.errors}[1h])` },
  ];
  const slowRatios: RecordingRuleSpec[] = [
    ...SLOW_WINDOWS.map(([w, of]) => ({
      record: SLO_RECORD.errorRatio(w),
      expr: of === 'rate5m' ? windowRatio(w) : windowRatio(w, SLO_RECORD.errors1h, SLO_RECORD.requests1h),
    })),
    // 1 = the whole budget left, 0 = spent, below 0 = the SLO is missed for the period.
    { record: SLO_RECORD.budgetRemaining, expr: `1 - ${SLO_RECORD.errorRatio(SLO_PERIOD)} / ${on} ${budget}` },
  ];
  return [
    { name: 'slo', rules: [...perService, ...fastRatios, page] },
    { name: 'slo-6h', interval: '2m', rules: [{ record: SLO_RECORD.errorRatio(SIX_HOURS), expr: windowRatio(SIX_HOURS) }] },
    { name: 'slo-hourly', interval: '1h', rules: hourlyMeans },
    { name: 'slo-long', interval: '5m', rules: [...slowRatios, ticket] },
  ];
}
