import { AlertTests } from '../../kit/alert-tests';

const pod = 'namespace="java-tasks", pod="postgres-0"';
const slowQ = `${pod}, queryid="101", datname="tasks", user="tasks"`;
const fastQ = `${pod}, queryid="202", datname="tasks", user="tasks"`;
const SLOW_TEXT = 'SELECT * FROM tasks WHERE owner = $1';
/** The exporter's text series of each statement (always 1), which the query alerts join for the `query` label. */
const texts = (samples: number) => [
  { series: `pg_stat_statements_query_id{${pod}, queryid="101", query="${SLOW_TEXT}"}`, values: `1x${samples}` },
  { series: `pg_stat_statements_query_id{${pod}, queryid="202", query="SELECT 1"}`, values: `1x${samples}` },
];
const labelsOf = (series: string) => Object.fromEntries([...series.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));

export const postgresAlertTests: AlertTests = {
  group: 'postgres',
  cases: [
    {
      name: 'PostgresQueryTooSlow fires for the statement averaging 1.5 s after 10 minutes, never for the 0.1 s one',
      series: [
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+1.5x40' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+1x40' },
        { series: `pg_stat_statements_seconds_total{${fastQ}}`, values: '0+0.1x40' },
        { series: `pg_stat_statements_calls_total{${fastQ}}`, values: '0+1x40' },
        ...texts(40),
      ],
      checks: [
        { at: '5m', alert: 'PostgresQueryTooSlow', firing: [] },
        { at: '15m', alert: 'PostgresQueryTooSlow', firing: [{ severity: 'warning', ...labelsOf(slowQ), query: SLOW_TEXT }] },
      ],
    },
    {
      name: 'PostgresQueryRegression fires when a statement goes from 0.2 s to 0.6 s against its hourly-recorded baseline, not for a steady one',
      series: [
        // 0.2 s per call for 3 hours, then 0.6 s per call.
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+0.2x180 36.6+0.6x60' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+1x241' },
        // Steady at 0.2 s.
        { series: `pg_stat_statements_seconds_total{${fastQ}}`, values: '0+0.2x241' },
        { series: `pg_stat_statements_calls_total{${fastQ}}`, values: '0+1x241' },
        ...texts(241),
      ],
      checks: [
        { at: '170m', alert: 'PostgresQueryRegression', firing: [] },
        // Above twice the baseline from about 186m: pending, not yet firing.
        { at: '200m', alert: 'PostgresQueryRegression', firing: [] },
        { at: '230m', alert: 'PostgresQueryRegression', firing: [{ severity: 'warning', ...labelsOf(slowQ), query: SLOW_TEXT }] },
      ],
    },
    {
      name: 'PostgresSlowQueryRateSpike fires when slow calls appear where there were none, after 10 minutes',
      series: [
        // 1 call/s; 0.01 s per call for an hour, then 0.8 s per call (above the 500 ms threshold).
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+0.6x60 84+48x40' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+60x100' },
      ],
      checks: [
        { at: '60m', alert: 'PostgresSlowQueryRateSpike', firing: [] },
        { at: '70m', alert: 'PostgresSlowQueryRateSpike', firing: [] },
        { at: '85m', alert: 'PostgresSlowQueryRateSpike', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'postgres-0' }] },
      ],
    },
    {
      name: 'PostgresSlowQueryRateSpike stays silent for a steady rate of slow calls',
      series: [
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+48x240' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+60x240' },
      ],
      checks: [{ at: '200m', alert: 'PostgresSlowQueryRateSpike', firing: [] }],
    },
    {
      name: 'PostgresAutoExplainStalled fires after 30 minutes of slow calls with no plan counted in Loki',
      series: [
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+48x60' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+60x60' },
      ],
      checks: [
        { at: '20m', alert: 'PostgresAutoExplainStalled', firing: [] },
        { at: '50m', alert: 'PostgresAutoExplainStalled', firing: [{ severity: 'warning', namespace: 'java-tasks' }] },
      ],
    },
    {
      name: 'PostgresAutoExplainStalled stays silent while plans reach Loki',
      series: [
        { series: `pg_stat_statements_seconds_total{${slowQ}}`, values: '0+48x60' },
        { series: `pg_stat_statements_calls_total{${slowQ}}`, values: '0+60x60' },
        { series: 'namespace:postgres_auto_explain_plans:count5m{namespace="java-tasks"}', values: '3x60' },
      ],
      checks: [{ at: '50m', alert: 'PostgresAutoExplainStalled', firing: [] }],
    },
    {
      name: 'PostgresConnectionSaturation fires above 80% of the usable connections after 10 minutes, not at 50%; only client backends count',
      series: [
        // postgres-0: 60 + 30 client connections of two services (90 of 97 usable), and background workers that do not count.
        { series: `pg_stat_activity_count{${pod}, backend_type="client backend", application_name="task-service", state="active"}`, values: '60x30' },
        { series: `pg_stat_activity_count{${pod}, backend_type="client backend", application_name="billing-service", state="idle"}`, values: '30x30' },
        { series: `pg_stat_activity_count{${pod}, backend_type="autovacuum worker", state="active"}`, values: '3x30' },
        { series: `pg_settings_max_connections{${pod}}`, values: '100x30' },
        { series: `pg_settings_superuser_reserved_connections{${pod}}`, values: '3x30' },
        // postgres-1: 50 client connections, and 40 of the exporter's zero rows of other states (count 0, empty labels).
        { series: 'pg_stat_activity_count{namespace="java-tasks", pod="postgres-1", backend_type="client backend", state="active"}', values: '50x30' },
        { series: 'pg_stat_activity_count{namespace="java-tasks", pod="postgres-1", state="idle"}', values: '0x30' },
        { series: 'pg_settings_max_connections{namespace="java-tasks", pod="postgres-1"}', values: '100x30' },
        { series: 'pg_settings_superuser_reserved_connections{namespace="java-tasks", pod="postgres-1"}', values: '3x30' },
      ],
      checks: [
        { at: '5m', alert: 'PostgresConnectionSaturation', firing: [] },
        { at: '15m', alert: 'PostgresConnectionSaturation', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'postgres-0' }] },
      ],
    },
    {
      name: 'PostgresReplicationLag fires for the standby 60 s behind after 5 minutes, not for the one 1 s behind nor the primary',
      series: [
        { series: 'pg_replication_lag_seconds{namespace="java-tasks", pod="postgres-0"}', values: '0x25' },
        { series: 'pg_replication_lag_seconds{namespace="java-tasks", pod="postgres-1"}', values: '0x5 60x20' },
        { series: 'pg_replication_lag_seconds{namespace="java-tasks", pod="postgres-2"}', values: '1x25' },
      ],
      checks: [
        { at: '8m', alert: 'PostgresReplicationLag', firing: [] },
        { at: '15m', alert: 'PostgresReplicationLag', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'postgres-1' }] },
      ],
    },
    {
      name: 'PostgresDeadlocks fires after a deadlock in one database, and goes quiet 15 minutes later',
      series: [
        { series: `pg_stat_database_deadlocks{${pod}, datname="tasks"}`, values: '0x10 1x30' },
        { series: `pg_stat_database_deadlocks{${pod}, datname="orders"}`, values: '0x40' },
      ],
      checks: [
        { at: '5m', alert: 'PostgresDeadlocks', firing: [] },
        { at: '15m', alert: 'PostgresDeadlocks', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'postgres-0', datname: 'tasks' }] },
        { at: '35m', alert: 'PostgresDeadlocks', firing: [] },
      ],
    },
    {
      name: 'PostgresBackupStale fires when the last WAL was archived over a day ago; silent when recent or when nothing was ever archived',
      series: [
        // The age grows 60 s per minute from just over a day.
        { series: 'pg_stat_archiver_last_archive_age{namespace="java-tasks", pod="stale-0"}', values: '90000+60x40' },
        { series: 'pg_stat_archiver_last_archive_age{namespace="java-tasks", pod="fresh-0"}', values: '30+60x40' },
        // Archiving off (or never succeeded): the exporter reports NaN.
        { series: 'pg_stat_archiver_last_archive_age{namespace="java-tasks", pod="off-0"}', values: Array(41).fill('NaN').join(' ') },
      ],
      checks: [
        { at: '10m', alert: 'PostgresBackupStale', firing: [] },
        { at: '20m', alert: 'PostgresBackupStale', firing: [{ severity: 'critical', namespace: 'java-tasks', pod: 'stale-0' }] },
      ],
    },
    {
      name: 'PostgresWalArchiveFailing fires after 15 minutes of failed archiving, not for a single failure nor a working archive',
      series: [
        // One failure a minute from minute 5 on.
        { series: 'pg_stat_archiver_failed_count{namespace="java-tasks", pod="failing-0"}', values: '0x5 1+1x35' },
        // A single failed attempt at minute 5, then working.
        { series: 'pg_stat_archiver_failed_count{namespace="java-tasks", pod="blip-0"}', values: '0x5 1x35' },
        { series: 'pg_stat_archiver_failed_count{namespace="java-tasks", pod="working-0"}', values: '0x40' },
      ],
      checks: [
        { at: '15m', alert: 'PostgresWalArchiveFailing', firing: [] },
        { at: '25m', alert: 'PostgresWalArchiveFailing', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'failing-0' }] },
        { at: '35m', alert: 'PostgresWalArchiveFailing', firing: [{ severity: 'warning', namespace: 'java-tasks', pod: 'failing-0' }] },
      ],
    },
    {
      name: 'PostgresExporterDown fires after 5 minutes of pg_up 0 or a failed scrape, not for a healthy exporter',
      series: [
        { series: `pg_up{${pod}}`, values: '1x5 0x20' },
        { series: 'pg_up{namespace="java-tasks", pod="postgres-1"}', values: '1x25' },
        { series: 'up{job="kubernetes-pods", container="postgres-exporter", namespace="other", pod="db-0"}', values: '1x5 0x20' },
      ],
      checks: [
        { at: '8m', alert: 'PostgresExporterDown', firing: [] },
        {
          at: '15m',
          alert: 'PostgresExporterDown',
          firing: [
            { severity: 'critical', namespace: 'java-tasks', pod: 'postgres-0' },
            { severity: 'critical', job: 'kubernetes-pods', container: 'postgres-exporter', namespace: 'other', pod: 'db-0' },
          ],
        },
      ],
    },
  ],
};
