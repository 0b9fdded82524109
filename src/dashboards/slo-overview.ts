import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { serviceSlos, SLO_PERIOD_SECONDS, SLO_RECORD } from '../catalog/slo';
import type { ServiceConfig, SloTargets } from '../catalog/config';
import { GridLayout, newDashboard, statPanel } from '../kit/presets';

/**
 * Every catalogue service's two SLOs (availability, latency) as error
 * budgets: the budget left over 30 days, how fast it burns now, and when it
 * runs out at that pace. Every panel reads the SLO recordings
 * (src/alerting/slo-rules.ts), a handful of series per service, never the
 * raw request series over 30 days. Generated from the catalogue, so a new
 * service is one config entry.
 */
export function sloOverviewDashboard(opts: { services: readonly ServiceConfig[]; slo: SloTargets }): DashboardBuilder {
  const grid = new GridLayout();
  const board = newDashboard({
    uid: 'slo-overview',
    title: 'SLO overview',
    tags: ['services', 'slo'],
    description:
      'Every catalogue service against its SLOs as 30-day error budgets: budget left, burn rate and time until the budget is spent; plus the CDC and Kafka lag targets.',
  })
    .withPanel(
      statPanel({
        title: `CDC lag (target < ${opts.slo.cdcLagSeconds} s)`,
        unit: 's',
        targets: [{ expr: 'max(debezium_source_connector_lag_seconds)', instant: true }],
        redFrom: opts.slo.cdcLagSeconds,
        gridPos: grid.place(12, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: `Kafka consumer lag (target < ${opts.slo.kafkaLagMessages})`,
        targets: [{ expr: 'max(kafka_consumer_lag)', instant: true }],
        redFrom: opts.slo.kafkaLagMessages,
        gridPos: grid.place(12, 4),
      }),
    );

  for (const svc of opts.services) {
    const slos = serviceSlos(svc, opts.slo);
    if (slos.length === 0) continue; // a service that declares no SLOs (`objectives: []`)
    grid.newRow();
    for (const { name: kind, promise } of slos) {
      const sel = `{namespace="${svc.namespace}", service="${svc.name}", slo="${kind}"}`;
      // The 30-day figures are recorded every 5 minutes: last_over_time bridges the gap between two evaluations.
      const remaining = `last_over_time(${SLO_RECORD.budgetRemaining}${sel}[10m])`;
      const burn = `${SLO_RECORD.errorRatio('1h')}${sel} / (1 - ${SLO_RECORD.objective}${sel})`;
      board
        .withPanel(
          statPanel({
            title: `${svc.name}: ${kind} budget left (${promise}, 30d)`,
            description: 'Share of the 30-day error budget not yet spent: 100% = no bad requests, 0 = the SLO is met exactly, below 0 = missed.',
            unit: 'percentunit',
            targets: [{ expr: remaining, instant: true }],
            gridPos: grid.place(4, 4),
          }),
        )
        .withPanel(
          statPanel({
            title: `${svc.name}: ${kind} burn rate (1h)`,
            description: 'How many times faster than the SLO allows the budget was spent over the last hour; above 1 the budget runs out before the 30 days do.',
            targets: [{ expr: burn, instant: true }],
            redFrom: 1,
            gridPos: grid.place(4, 4),
          }),
        )
        .withPanel(
          statPanel({
            title: `${svc.name}: ${kind} budget spent in`,
            description: 'Time until the budget left is spent if the last hour\'s burn rate continues; empty while nothing burns.',
            unit: 's',
            targets: [{ expr: `clamp_min(${remaining}, 0) * ${SLO_PERIOD_SECONDS} / (${burn} > 0)`, instant: true }],
            gridPos: grid.place(4, 4),
          }),
        );
    }
  }
  return board;
}
