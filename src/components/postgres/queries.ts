import { toYaml } from '../../lib/yaml';

/**
 * postgres_exporter custom queries (`--extend.query-path`).
 *
 * Why custom queries, although upstream marks them deprecated: the seed's
 * dashboards and alerts use `pg_stat_statements_mean_exec_time`,
 * `pg_stat_statements_calls_total` and `pg_stat_statements_shared_blks_read`
 * with a `queryid` label. The built-in `--collector.stat_statements` (v0.20)
 * emits different names and units, only for a fixed top list, and Debian's
 * 0.11 (used by the integration test) does not have it at all. Custom queries
 * keep the seed's names on both versions, and the names stay ours if the
 * collector changes. Revisit when custom queries are removed upstream.
 *
 * A metric is named `<key>_<column>`; a COUNTER column gets no `_total`
 * suffix from the exporter, so counters are named `..._total` here.
 *
 * Every query runs on PostgreSQL 13 to 17: only columns present in all of
 * them are read (PG17 renamed `blk_read_time` to `shared_blk_read_time`, so
 * IO time is left out; `toplevel` appeared in 14, so rows are summed over it).
 */

type Usage = 'LABEL' | 'COUNTER' | 'GAUGE';
interface Column {
  readonly usage: Usage;
  readonly description: string;
}
export interface CustomQuery {
  readonly query: string;
  /** Run only on the database of the DSN, not on every auto-discovered one. */
  readonly master: true;
  readonly metrics: ReadonlyArray<Record<string, Column>>;
}

const label = (description: string): Column => ({ usage: 'LABEL', description });
const counter = (description: string): Column => ({ usage: 'COUNTER', description });
const gauge = (description: string): Column => ({ usage: 'GAUGE', description });

/** Statements exported per scrape (seed 1: the top 50), by total execution time. */
export const TOP_STATEMENTS = 50;

export function exporterQueries(topStatements = TOP_STATEMENTS): Record<string, CustomQuery> {
  if (!Number.isInteger(topStatements) || topStatements < 1 || topStatements > 500) {
    throw new Error(`topStatements must be a whole number from 1 to 500 (each is ~7 series), got ${topStatements}`);
  }
  return {
    pg_stat_statements: {
      // Summed per (queryid, database, user): PG14+ keeps separate rows for top-level and nested
      // calls of one queryid, which would otherwise collide as identical label sets.
      query: [
        'WITH s AS (',
        '  SELECT queryid, dbid, userid, min(query) AS query, sum(calls) AS calls, sum(total_exec_time) AS total_exec_time,',
        '         sum(rows) AS rows, sum(shared_blks_hit) AS shared_blks_hit, sum(shared_blks_read) AS shared_blks_read',
        '  FROM pg_stat_statements WHERE queryid IS NOT NULL GROUP BY queryid, dbid, userid',
        ')',
        "SELECT s.queryid::text AS queryid, d.datname, r.rolname AS \"user\", left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120) AS query,",
        '       s.calls AS calls_total, s.total_exec_time / 1000 AS total_exec_time_seconds_total,',
        '       s.total_exec_time / nullif(s.calls, 0) AS mean_exec_time, s.rows AS rows_total, s.shared_blks_hit, s.shared_blks_read',
        'FROM s JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid',
        `ORDER BY s.total_exec_time DESC LIMIT ${topStatements}`,
      ].join('\n'),
      master: true,
      metrics: [
        { queryid: label('pg_stat_statements query id; the same id appears in auto_explain plans (PostgreSQL 16+)') },
        { datname: label('Database') },
        { user: label('Role that ran the statement') },
        { query: label('Normalised statement text, whitespace collapsed, first 120 characters') },
        { calls_total: counter('Times the statement was executed') },
        { total_exec_time_seconds_total: counter('Total time spent executing the statement, in seconds') },
        { mean_exec_time: gauge('Mean execution time since the statistics were reset, in milliseconds (no percentiles exist)') },
        { rows_total: counter('Rows retrieved or affected by the statement') },
        { shared_blks_hit: counter('Shared buffer hits of the statement (blocks)') },
        { shared_blks_read: counter('Shared blocks read from disk or OS cache by the statement (blocks)') },
      ],
    },
    pg_connections: {
      query: [
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend') AS used,",
        "       current_setting('max_connections')::float AS max_connections,",
        "       current_setting('superuser_reserved_connections')::float AS superuser_reserved",
        'FROM pg_stat_activity',
      ].join('\n'),
      master: true,
      metrics: [
        { used: gauge('Client connections open now') },
        { max_connections: gauge('The max_connections setting') },
        { superuser_reserved: gauge('Connections reserved for superusers (superuser_reserved_connections)') },
      ],
    },
    pg_connections_by_application: {
      // application_name comes from each service's DSN (seed ADR 10), so every connection has an owner.
      query: [
        "SELECT coalesce(nullif(application_name, ''), 'unknown') AS application_name, coalesce(datname, '') AS datname,",
        "       coalesce(state, 'unknown') AS state, count(*) AS count",
        "FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2, 3",
      ].join('\n'),
      master: true,
      metrics: [
        { application_name: label('application_name of the connection; "unknown" when the client set none') },
        { datname: label('Database') },
        { state: label('active, idle, idle in transaction, ...') },
        { count: gauge('Client connections') },
      ],
    },
    pg_replication_client: {
      // Seen from the primary: one row per connected standby; none on a single server.
      query: [
        "SELECT coalesce(nullif(application_name, ''), 'unknown') AS client, coalesce(client_addr::text, 'local') AS client_addr,",
        '       coalesce(extract(epoch FROM replay_lag), 0) AS replay_lag_seconds,',
        '       CASE WHEN pg_is_in_recovery() THEN 0 ELSE coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0) END AS replay_lag_bytes',
        'FROM pg_stat_replication',
      ].join('\n'),
      master: true,
      metrics: [
        { client: label('application_name of the standby') },
        { client_addr: label('Address of the standby') },
        { replay_lag_seconds: gauge('Time until the standby has replayed what the primary wrote; 0 when caught up') },
        { replay_lag_bytes: gauge('WAL the standby has not replayed yet, in bytes') },
      ],
    },
    pg_wal_archive: {
      query: [
        "SELECT (current_setting('archive_mode') <> 'off')::int AS enabled, archived_count AS archived_total, failed_count AS failed_total,",
        '       coalesce(extract(epoch FROM last_archived_time), 0) AS last_archived_timestamp_seconds',
        'FROM pg_stat_archiver',
      ].join('\n'),
      master: true,
      metrics: [
        { enabled: gauge('1 when archive_mode is on: WAL archiving is the continuous backup') },
        { archived_total: counter('WAL files archived') },
        { failed_total: counter('Failed attempts to archive a WAL file') },
        { last_archived_timestamp_seconds: gauge('Unix time of the last successfully archived WAL file; 0 if none yet') },
      ],
    },
  };
}

export function exporterQueriesYaml(topStatements = TOP_STATEMENTS): string {
  return toYaml(exporterQueries(topStatements));
}
