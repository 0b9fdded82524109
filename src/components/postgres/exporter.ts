/**
 * The postgres_exporter sidecar's command line: built-in collectors only.
 *
 * Custom queries (`--extend.query-path`) are deprecated upstream and log a deprecation warning at every start,
 * so the stack reads what the exporter's own collectors publish:
 * - `stat_statements` (off by default): per statement `pg_stat_statements_calls_total`, `_seconds_total`,
 *   `_rows_total`, `_block_read_seconds_total` and `_block_write_seconds_total` by (queryid, datname, user),
 *   for the top N by total time; with `include_query`, one `pg_stat_statements_query_id{queryid, query}` series
 *   per statement carries its text, joined onto the others where a query's text is shown;
 * - the default metrics: `pg_stat_activity_count` (connections by application_name, state and backend_type),
 *   `pg_settings_*` (max_connections, superuser_reserved_connections), `pg_stat_archiver_*`;
 * - the default collectors: `pg_stat_database_*`, `pg_replication_*` (lag measured on a standby),
 *   `pg_replication_slot_*` (per slot: the server's WAL position, and the one its consumer confirmed while the slot
 *   is active; no `restart_lsn`, and `safe_wal_size_bytes` only with `max_slot_wal_keep_size` set).
 *
 * What has no built-in collector, and what replaces it:
 * - shared-buffer hits and reads per statement: the per-statement panel shows the time each statement spends
 *   reading blocks (`_block_read_seconds_total`, from `track_io_timing`) instead; the hit ratio is shown per
 *   database (`pg_stat_database_blks_*`);
 * - whether `archive_mode` is on (an enum, which the exporter's pg_settings metrics skip): archiving is judged
 *   by `pg_stat_archiver_last_archive_age`, empty until a first WAL file is archived, and by failures.
 */

/** Statements the exporter publishes per scrape (the top ones), by total execution time. */
export const TOP_STATEMENTS = 50;

/** The exporter's configuration file (auth modules for multi-target probes, none here). */
export const EXPORTER_CONFIG_FILE = 'postgres_exporter.yml';

/**
 * Without a readable `--config.file` (default `postgres_exporter.yml` in the working directory) the exporter
 * warns "Error loading config" at every start; an empty set of auth modules is its valid "nothing to configure".
 */
export const EXPORTER_CONFIG_YAML = 'auth_modules: {}\n';

export interface ExporterArgsOptions {
  /** Where `EXPORTER_CONFIG_YAML` is mounted. */
  readonly configPath: string;
  readonly port: number;
  /** @default TOP_STATEMENTS */
  readonly topStatements?: number;
}

export function exporterArgs(opts: ExporterArgsOptions): string[] {
  const top = opts.topStatements ?? TOP_STATEMENTS;
  if (!Number.isInteger(top) || top < 1 || top > 500) {
    throw new Error(`topStatements must be a whole number from 1 to 500 (each is 6 series), got ${top}`);
  }
  return [
    `--config.file=${opts.configPath}`,
    '--collector.stat_statements',
    // The statement text as a label of pg_stat_statements_query_id (first 120 characters, the exporter's default).
    '--collector.stat_statements.include_query',
    `--collector.stat_statements.limit=${top}`,
    `--web.listen-address=:${opts.port}`,
    '--log.format=json',
  ];
}
