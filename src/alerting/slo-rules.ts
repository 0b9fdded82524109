import { SLO_LABELS, SLO_PERIOD, SLO_RECORD, serviceSlos, SliWindow } from '../catalog/slo';
import type { ServiceConfig, SloTargets } from '../catalog/config';
import { AlertRuleSpec, RecordingRuleSpec, RuleGroupSpec } from '../kit/rule-model';

/**
 * The catalogue's SLOs as error budgets, in the shape of the SRE workbook
 * (chapter 5, "Alerting on SLOs") that Sloth and Pyrra generate:
 *
 * - `slo` (every round): per service and SLO, the rates of all and of bad
 *   requests over 5 minutes, read once from the raw series; then, for all
 *   services at once, the error ratio over 5m, 30m, 1h and 6h from those
 *   recordings; and the page alert (1h and 5m at 14.4x, or 6h and 30m at 6x).
 * - `slo-long` (every 5 minutes): the 2h, 1d and 3d ratios, the 30-day ratio
 *   and the budget left, and the ticket alert (1d and 2h at 3x, or 3d and 6h
 *   at 1x). Windows of a day and more move slowly, so reading them every 5
 *   minutes loses nothing and costs a tenth.
 *
 * A window's ratio is the sum of the 5-minute bad rates over the window
 * divided by the sum of the 5-minute total rates: weighted by traffic, like a
 * rate over the window, and reading one recorded series per service and SLO
 * instead of every pod's, route's and status code's raw series.
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

/** Windows recorded by the every-round group; the others by `slo-long`. */
const FAST_WINDOWS: readonly SliWindow[] = ['5m', '30m', '1h', '6h'];
const SLOW_WINDOWS: readonly SliWindow[] = ['2h', '1d', '3d'];

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

export function sloRules(services: readonly ServiceConfig[], slo: SloTargets): RuleGroupSpec[] {
  if (services.length === 0) return [];
  const perService: RecordingRuleSpec[] = services.flatMap((svc) =>
    serviceSlos(svc, slo).flatMap((s): RecordingRuleSpec[] => {
      const labels = { namespace: svc.namespace, service: svc.name, slo: s.name };
      return [
        { record: SLO_RECORD.requests, expr: s.requests, labels },
        { record: SLO_RECORD.errors, expr: s.errors, labels },
        // A constant, so alerts and panels can divide by the budget of each series with one join.
        { record: SLO_RECORD.objective, expr: `vector(${s.objective})`, labels },
      ];
    }),
  );
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
  const slowRatios: RecordingRuleSpec[] = [
    // Daily means of the 5-minute rates: what the 30-day budget sums, 288 samples a day instead of 2 880.
    { record: SLO_RECORD.requests1d, expr: `avg_over_time(${SLO_RECORD.requests}[1d])` },
    { record: SLO_RECORD.errors1d, expr: `avg_over_time(${SLO_RECORD.errors}[1d])` },
    ...SLOW_WINDOWS.map((w) => ({
      record: SLO_RECORD.errorRatio(w),
      expr: w === '1d' ? `${SLO_RECORD.errors1d} / ${SLO_RECORD.requests1d}` : windowRatio(w),
    })),
    { record: SLO_RECORD.errorRatio('30d'), expr: windowRatio(SLO_PERIOD, SLO_RECORD.errors1d, SLO_RECORD.requests1d) },
    // 1 = the whole budget left, 0 = spent, below 0 = the SLO is missed for the period.
    { record: SLO_RECORD.budgetRemaining, expr: `1 - ${SLO_RECORD.errorRatio('30d')} / ${on} ${budget}` },
  ];
  return [
    { name: 'slo', rules: [...perService, ...fastRatios, page] },
    { name: 'slo-long', interval: '5m', rules: [...slowRatios, ticket] },
  ];
}
