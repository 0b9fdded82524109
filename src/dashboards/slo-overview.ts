import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { effectiveSlo, HTTP_VOCABULARY, quantileName, serviceMatchers, sloLatencyQuery } from '../catalog/services';
import type { ServiceConfig, SloTargets } from '../config/schema';
import { GridLayout, newDashboard, statPanel } from './presets';

/**
 * Every catalogue service against its targets: latency at its SLO quantile
 * (p95 or p99), 5xx ratio, error
 * budget burn rate (1 = spending the budget exactly as fast as the SLO allows)
 * and the budget left over 30 days. Generated from the catalogue, so a new
 * service is one config entry.
 */
export function sloOverviewDashboard(opts: { services: readonly ServiceConfig[]; slo: SloTargets }): DashboardBuilder {
  const grid = new GridLayout();
  const board = newDashboard({
    uid: 'slo-overview',
    title: 'SLO overview',
    tags: ['services', 'slo'],
    description: 'Every catalogue service against its SLO targets, with error-budget burn; plus the CDC and Kafka lag targets.',
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
    const v = HTTP_VOCABULARY[svc.httpVocabulary];
    const target = effectiveSlo(svc, opts.slo);
    const sel = serviceMatchers(svc);
    const ratio = (range: string) =>
      `sum(rate(${v.requests}{${sel}, ${v.statusLabel}=~"5.."}[${range}])) / sum(rate(${v.requests}{${sel}}[${range}]))`;
    const where = target.latencyRoute ? ` ${target.latencyRoute}` : '';
    grid.newRow();
    board
      .withPanel(
        statPanel({
          title: `${svc.name}${where}: ${quantileName(target.latency.quantile)} (target < ${target.latency.thresholdMs} ms)`,
          unit: 'ms',
          targets: [{ expr: sloLatencyQuery(svc, target), instant: true }],
          redFrom: target.latency.thresholdMs,
          gridPos: grid.place(6, 4),
        }),
      )
      .withPanel(
        statPanel({
          title: `${svc.name}: 5xx ratio (target < ${target.errorRatio * 100}%)`,
          unit: 'percentunit',
          targets: [{ expr: ratio('5m'), instant: true }],
          redFrom: target.errorRatio,
          gridPos: grid.place(6, 4),
        }),
      )
      .withPanel(
        statPanel({
          title: `${svc.name}: error budget burn (1h)`,
          description: 'How many times faster than allowed the error budget is being spent; above 1 the SLO will be missed.',
          targets: [{ expr: `(${ratio('1h')}) / ${target.errorRatio}`, instant: true }],
          redFrom: 1,
          gridPos: grid.place(6, 4),
        }),
      )
      .withPanel(
        statPanel({
          title: `${svc.name}: error budget left (30d)`,
          unit: 'percentunit',
          targets: [{ expr: `1 - (${ratio('30d')}) / ${target.errorRatio}`, instant: true }],
          gridPos: grid.place(6, 4),
        }),
      );
  }
  return board;
}
