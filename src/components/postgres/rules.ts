import { RuleGroupSpec } from '../../kit/rule-model';
import { DEFAULT_SLOW_STATEMENT_THRESHOLD_MS } from './settings';

/**
 * Query-level and system-level PostgreSQL alerts, over the series of
 * postgres_exporter's built-in collectors (see `exporter.ts`).
 *
 * pg_stat_statements counters are cumulative, so a lifetime mean hardly moves
 * when a statement regresses. The rules use a windowed mean instead:
 * rate(total time) / rate(calls).
 */

/** Total execution time per statement, in seconds (pg_stat_statements' total_exec_time). */
export const STATEMENT_SECONDS = 'pg_stat_statements_seconds_total';
export const STATEMENT_CALLS = 'pg_stat_statements_calls_total';
/** One series per statement, always 1, whose `query` label is the statement's text (first 120 characters). */
export const STATEMENT_TEXT = 'pg_stat_statements_query_id';
/** Client connections by database, state and application_name: the exporter's default pg_stat_activity metric. */
export const CLIENT_CONNECTIONS = 'pg_stat_activity_count{backend_type="client backend"}';
/** Connections applications may open: max_connections less those reserved for superusers. */
export const USABLE_CONNECTIONS = '(pg_settings_max_connections - pg_settings_superuser_reserved_connections)';

/**
 * postgres_exporter's replication_slot collector (on by default): per slot (slot_name, slot_type), the server's
 * current WAL position and, while the slot is active, the position its consumer confirmed, both as bytes since 0/0.
 */
export const WAL_SLOT = {
  current: 'pg_replication_slot_slot_current_wal_lsn',
  confirmed: 'pg_replication_slot_slot_confirmed_flush_lsn',
} as const;

/**
 * Adds the statement's text as the `query` label, from the exporter's text series of the same pod and queryid.
 * The value is unchanged (the text series is 1); a statement without a text series drops out.
 */
export function withStatementText(expr: string): string {
  return `(${expr}) * on (namespace, pod, queryid) group_left (query) ${STATEMENT_TEXT}`;
}

/** Windowed mean execution time per statement, in seconds. */
export const MEAN_10M = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean10m';
/** Hourly mean, recorded once an hour, so a week of it is 168 samples per statement. */
export const MEAN_1H = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean1h';
/** The 7-day baseline of the hourly mean. */
export const BASELINE_7D = 'instance_queryid:pg_stat_statements_exec_time_seconds:mean1h_avg7d';
/** Calls per second of statements whose windowed mean is above the auto_explain threshold. */
export const SLOW_CALLS_RATE = 'namespace_pod:pg_stat_statements_slow_calls:rate5m';
/**
 * Plans that reached Loki in 5 minutes, per namespace: recorded by Loki's ruler
 * (see `autoExplainLokiRules`) and remote-written to Prometheus.
 */
export const PLANS_COUNT = 'namespace:postgres_auto_explain_plans:count5m';

export interface PostgresRulesOptions {
  /** The auto_explain threshold; "slow" means the same to alerts as to the server. @default 500 */
  readonly slowStatementThresholdMs?: number;
}

export function postgresRules(opts: PostgresRulesOptions = {}): RuleGroupSpec[] {
  const slowSeconds = (opts.slowStatementThresholdMs ?? DEFAULT_SLOW_STATEMENT_THRESHOLD_MS) / 1000;
  return [
    {
      // Once an hour is enough for a 7-day baseline and keeps it cheap: 168 samples per statement.
      name: 'postgres-query-baselines',
      interval: '1h',
      rules: [
        {
          record: MEAN_1H,
          expr: `rate(${STATEMENT_SECONDS}[1h]) / (rate(${STATEMENT_CALLS}[1h]) > 0)`,
        },
        { record: BASELINE_7D, expr: `avg_over_time(${MEAN_1H}[7d])` },
      ],
    },
    {
      name: 'postgres',
      rules: [
        {
          record: MEAN_10M,
          expr: `rate(${STATEMENT_SECONDS}[10m]) / (rate(${STATEMENT_CALLS}[10m]) > 0)`,
        },
        {
          record: SLOW_CALLS_RATE,
          // A windowed mean above the threshold means at least one call in the window was slower
          // than it, so auto_explain must have logged at least one plan.
          expr: `sum by (namespace, pod) (rate(${STATEMENT_CALLS}[5m]) and ${MEAN_10M} > ${slowSeconds})`,
        },
        {
          alert: 'PostgresQueryTooSlow',
          expr: withStatementText(`${MEAN_10M} > %{seconds}`),
          thresholds: { seconds: { value: 1, description: 'mean execution time per call over 10 minutes, in seconds' } },
          // A hard ceiling: a statement averaging over 1 s for 10 minutes is not a blip.
          for: '10m',
          severity: 'warning',
          summary: 'A PostgreSQL statement averages more than 1 second.',
          description:
            'Statement {{ $labels.queryid }} on database {{ $labels.datname }} ({{ $labels.namespace }}/{{ $labels.pod }}) averaged {{ $value | humanizeDuration }} per call over the last 10 minutes: {{ $labels.query }}',
        },
        {
          alert: 'PostgresQueryRegression',
          // last_over_time: the baseline is recorded hourly, beyond the 5-minute lookback of a plain selector.
          // The 100 ms floor keeps 2 ms -> 4 ms jitter of fast statements quiet.
          expr: withStatementText(`${MEAN_10M} > 2 * last_over_time(${BASELINE_7D}[2h]) and ${MEAN_10M} > 0.1`),
          // Half an hour of doubled latency is a regression, not a cache warming up after a restart.
          for: '30m',
          severity: 'warning',
          summary: 'A PostgreSQL statement is more than twice as slow as its 7-day baseline.',
          description:
            'Statement {{ $labels.queryid }} on database {{ $labels.datname }} ({{ $labels.namespace }}/{{ $labels.pod }}) now averages {{ $value | humanizeDuration }} per call, over twice its 7-day baseline: {{ $labels.query }}',
        },
        {
          alert: 'PostgresSlowQueryRateSpike',
          // Fires when the slow-call rate is above 0.1/s and more than three times its 6-hour average
          // of half an hour ago, or when there was no slow call at all before.
          expr: `${SLOW_CALLS_RATE} > 0.1 unless on (namespace, pod) (3 * avg_over_time(${SLOW_CALLS_RATE}[6h] offset 30m) >= on (namespace, pod) ${SLOW_CALLS_RATE})`,
          // A deploy or a batch job can cause a few minutes of slow calls; 10 minutes is a trend.
          for: '10m',
          severity: 'warning',
          summary: 'Slow PostgreSQL statements spike.',
          description:
            '{{ $labels.namespace }}/{{ $labels.pod }} runs {{ $value | humanize }} slow calls per second (statements averaging over the auto_explain threshold), more than three times its recent average.',
        },
        {
          alert: 'PostgresAutoExplainStalled',
          expr: `sum by (namespace) (${SLOW_CALLS_RATE}) > 0 unless on (namespace) (sum by (namespace) (sum_over_time(${PLANS_COUNT}[30m])) > 0)`,
          // Plans go through the log agent and Loki's ruler, each with its own delay; 30 minutes without
          // any plan while slow calls happen is a broken pipeline, not a delay.
          for: '30m',
          severity: 'warning',
          summary: 'Slow PostgreSQL statements run but no auto_explain plan reaches Loki.',
          description:
            'Namespace {{ $labels.namespace }} has run slow statements for 30 minutes, yet no auto_explain plan arrived in Loki: check shared_preload_libraries, auto_explain.log_min_duration, the log agent and the Loki ruler.',
        },
        {
          alert: 'PostgresConnectionSaturation',
          expr: `sum by (namespace, pod) (${CLIENT_CONNECTIONS}) / on (namespace, pod) ${USABLE_CONNECTIONS} > %{ratio}`,
          thresholds: { ratio: { value: 0.8, description: 'connections used as a share of those available to applications, 0-1' } },
          // Above 80% a burst or a leaking pool exhausts the rest within minutes; 10 minutes rules out a deploy overlap.
          for: '10m',
          severity: 'warning',
          summary: 'PostgreSQL connections are close to max_connections.',
          description:
            '{{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its available connections; see "Connections by Service" for the owner.',
        },
        {
          alert: 'PostgresReplicationLag',
          // Measured on the standby by its own exporter: the age of the last replayed transaction while received
          // WAL waits to be replayed; 0 on a primary and on a standby that has replayed everything it received.
          expr: 'pg_replication_lag_seconds > %{seconds}',
          thresholds: { seconds: { value: 30, description: 'standby replay lag in seconds' } },
          // A standby 30 s behind for 5 minutes serves stale reads and would lose data on failover.
          for: '5m',
          severity: 'warning',
          summary: 'A PostgreSQL standby lags behind the primary.',
          description: 'Standby {{ $labels.namespace }}/{{ $labels.pod }} is {{ $value | humanizeDuration }} behind its primary.',
        },
        {
          alert: 'PostgresDeadlocks',
          expr: 'increase(pg_stat_database_deadlocks[15m]) > 0',
          // No `for`: a deadlock is an event, not a state; the 15-minute window keeps it visible long enough to route.
          severity: 'warning',
          summary: 'PostgreSQL detected deadlocks.',
          description:
            'Database {{ $labels.datname }} on {{ $labels.namespace }}/{{ $labels.pod }} had {{ $value | humanize }} deadlocks in 15 minutes; PostgreSQL aborted one transaction of each.',
        },
        {
          alert: 'PostgresBackupStale',
          // The age is empty (NaN) until a first WAL file is archived, so a server that never archived is silent
          // here; one whose archiving fails from the start is caught by PostgresWalArchiveFailing.
          expr: 'pg_stat_archiver_last_archive_age > %{seconds}',
          thresholds: { seconds: { value: 86400, description: 'seconds since the last archived WAL file' } },
          // A day without an archived WAL file means point-in-time recovery stops a day ago. `for` rides out
          // a restart of the exporter, when the age is briefly unknown.
          for: '15m',
          severity: 'critical',
          summary: 'No PostgreSQL WAL archived for over a day.',
          description:
            '{{ $labels.namespace }}/{{ $labels.pod }} last archived a WAL file {{ $value | humanizeDuration }} ago; recovery would lose everything since.',
        },
        {
          alert: 'PostgresWalArchiveFailing',
          // PostgreSQL retries a failing archive_command for the same WAL file every minute or so, so failures
          // keep counting for as long as it fails.
          expr: 'increase(pg_stat_archiver_failed_count[10m]) > 0',
          // Fifteen minutes of failures is not a blip of the object store; meanwhile pg_wal grows on the data volume.
          for: '15m',
          severity: 'warning',
          summary: 'PostgreSQL fails to archive WAL files.',
          description:
            '{{ $labels.namespace }}/{{ $labels.pod }} failed to archive WAL {{ $value | humanize }} times in 10 minutes: backups fall behind and pg_wal grows until archiving works again.',
        },
        {
          alert: 'PostgresExporterDown',
          expr: 'pg_up == 0 or up{container="postgres-exporter"} == 0',
          // Tolerates a pod restart; 5 minutes blind means every query alert above is blind too.
          for: '5m',
          severity: 'critical',
          summary: 'postgres_exporter cannot read PostgreSQL.',
          description:
            'The exporter in {{ $labels.namespace }}/{{ $labels.pod }} is down or cannot connect to PostgreSQL; query and system alerts for this database cannot fire.',
        },
      ],
    },
  ];
}

/**
 * The Loki ruler's recording rule that counts plans, for PostgresAutoExplainStalled.
 * It uses the dashboard's plan-viewer selector, so "a plan the dashboard can show"
 * and "a plan counted" are the same thing. Loki's ruler remote-writes the result
 * to Prometheus.
 */
export function autoExplainLokiRules(opts: { readonly namespace: string; readonly app: string }): RuleGroupSpec {
  return {
    name: 'postgres-auto-explain',
    rules: [
      {
        record: PLANS_COUNT,
        expr: `sum by (namespace) (count_over_time(${planSelector(opts)} [5m]))`,
      },
    ],
  };
}

/** The plan viewer's selector, like `{namespace="java-tasks", app="postgres"} |= "auto_explain"`. */
export function planSelector(opts: { readonly namespace: string; readonly app: string }): string {
  return `{namespace="${opts.namespace}", app="${opts.app}"} |= "auto_explain"`;
}
