import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, queryVariable, logsPanel, newDashboard, statPanel, timeseriesPanel } from '../../kit/presets';
import { CLIENT_CONNECTIONS, MEAN_10M, SLOW_CALLS_RATE, STATEMENT_CALLS, STATEMENT_SECONDS, USABLE_CONNECTIONS, withStatementText } from './rules';

export interface QueryPerformanceOptions {
  /** Namespace and `app` label of the PostgreSQL pods, for the plan viewer. */
  readonly namespace: string;
  readonly app: string;
}

const Q = '{queryid=~"$queryid"}';
/** A per-statement rate, per pod (the exporter's series of one pod), without the statement's text. */
const perQuery = (metric: string) => `sum by (namespace, pod, queryid, datname) (rate(${metric}${Q}[$__rate_interval]))`;

/**
 * PostgreSQL Query Performance: which statements are slow, drifting
 * or eating the database, their plans, and who holds the connections.
 *
 * pg_stat_statements keeps sums and a lifetime mean per statement, no
 * histogram: where one would want "p95 per queryid" this dashboard shows the
 * mean per queryid over each interval, and says so in the panel.
 */
export function queryPerformanceDashboard(opts: QueryPerformanceOptions): DashboardBuilder {
  const grid = new GridLayout();
  return newDashboard({
    uid: 'postgres-query-performance',
    title: 'PostgreSQL Query Performance',
    tags: ['postgres', 'database'],
    description: 'pg_stat_statements per statement (top 50 by total time), auto_explain plans from Loki, connections by service.',
  })
    .withVariable(queryVariable({ name: 'queryid', label: 'Query id', query: `label_values(${STATEMENT_CALLS}, queryid)` }))
    .withPanel(
      statPanel({
        title: 'Statements tracked',
        description: 'Statements the exporter publishes (the top N by total execution time).',
        targets: [{ expr: `count(${STATEMENT_CALLS}) or vector(0)`, instant: true }],
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Slow calls per second',
        description: 'Calls of statements whose mean over the last 10 minutes is above the auto_explain threshold.',
        unit: 'ops',
        targets: [{ expr: `sum(${SLOW_CALLS_RATE}) or vector(0)`, instant: true }],
        redFrom: 0.1,
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Cache hit ratio',
        description: 'Share of block reads served from shared buffers, all databases.',
        unit: 'percentunit',
        targets: [
          {
            expr: 'sum(rate(pg_stat_database_blks_hit[$__rate_interval])) / (sum(rate(pg_stat_database_blks_hit[$__rate_interval])) + sum(rate(pg_stat_database_blks_read[$__rate_interval])))',
            instant: true,
          },
        ],
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Connections used',
        unit: 'percentunit',
        targets: [
          { expr: `max(sum by (namespace, pod) (${CLIENT_CONNECTIONS}) / on (namespace, pod) ${USABLE_CONNECTIONS})`, instant: true },
        ],
        redFrom: 0.8,
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Top 10 statements by mean execution time',
        description: 'Mean per call over the last 10 minutes (rate of total time / rate of calls), not a percentile.',
        unit: 's',
        targets: [{ expr: withStatementText(`topk(10, ${MEAN_10M}${Q})`), legend: '{{queryid}} {{query}}' }],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Top 10 statements by total execution time',
        description: 'Seconds of execution per second: the statements that occupy the server most.',
        unit: 's',
        targets: [{ expr: withStatementText(`topk(10, ${perQuery(STATEMENT_SECONDS)})`), legend: '{{queryid}} {{query}}' }],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Mean latency per queryid (not p95: pg_stat_statements has no percentiles)',
        description:
          'Mean execution time per call in each interval. pg_stat_statements keeps sums, not distributions, so no percentile can be computed; ' +
          'a rising mean with a steady call rate is the regression signal. Client-side percentiles come from db_query_duration_ms, for services instrumented with OpenTelemetry in milliseconds.',
        unit: 's',
        targets: [
          {
            expr: withStatementText(`${perQuery(STATEMENT_SECONDS)} / (${perQuery(STATEMENT_CALLS)} > 0)`),
            legend: '{{queryid}} {{query}}',
          },
        ],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Slow-query call rate',
        description: 'Calls per second of statements averaging above the auto_explain threshold; each of them should have a plan below.',
        unit: 'ops',
        targets: [
          { expr: `sum by (namespace, pod) (${SLOW_CALLS_RATE})`, legend: '{{namespace}}/{{pod}}' },
          { expr: perQuery(STATEMENT_CALLS), legend: 'all calls {{queryid}}' },
        ],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Block read time per statement',
        description:
          'Seconds per second each statement spends reading blocks that were not in shared buffers (from disk or the OS cache; ' +
          'track_io_timing). A statement that starts reading is one whose data left the cache. postgres_exporter publishes no ' +
          'per-statement buffer hits, so the hit ratio is shown for the whole server (Cache hit ratio).',
        unit: 's',
        targets: [{ expr: withStatementText(`topk(10, ${perQuery('pg_stat_statements_block_read_seconds_total')})`), legend: '{{queryid}} {{query}}' }],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Connections by Service',
        description: 'Open connections by application_name, which every service sets in its DATABASE_URL; "unknown" has none.',
        targets: [
          {
            // A connection without application_name has an empty label, which Prometheus drops: name it "unknown".
            expr: `label_replace(sum by (application_name) (${CLIENT_CONNECTIONS}), "application_name", "unknown", "application_name", "")`,
            legend: '{{application_name}}',
          },
          { expr: 'max(pg_settings_max_connections)', legend: 'max_connections' },
        ],
        gridPos: grid.place(12, 9),
      }),
    )
    .withPanel(
      logsPanel({
        title: 'Plan viewer (auto_explain)',
        description:
          'JSON plans of statements slower than the auto_explain threshold, filtered by the queryid variable. Plans carry the query id ' +
          'from PostgreSQL 16 on (auto_explain.log_verbose with compute_query_id).',
        targets: [{ expr: `{namespace="${opts.namespace}", app="${opts.app}"} |= "auto_explain" | json | query_id=~"$queryid"` }],
        prettify: true,
        gridPos: grid.place(24, 12),
      }),
    );
}
