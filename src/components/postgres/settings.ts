/**
 * The PostgreSQL server settings that make queries observable: which
 * statements are slow (pg_stat_statements) and why (auto_explain plans).
 * They are passed as `-c name=value` arguments, so they win over any
 * postgresql.conf in the data directory and survive a re-initialised volume.
 */

export interface ServerSettingsOptions {
  /**
   * Statements at least this slow get their plan logged by auto_explain.
   * @default 500
   */
  readonly slowStatementThresholdMs?: number;
  /**
   * Log actual row counts and timings in plans (EXPLAIN ANALYZE).
   * @default false: with analyze on, auto_explain instruments EVERY statement
   * (not only the slow ones) because it cannot know in advance which will be slow,
   * which costs measurable CPU on short OLTP queries. Estimated plans are enough to
   * spot a seq scan or a bad join order; turn it on while hunting a specific problem.
   */
  readonly logAnalyze?: boolean;
  /**
   * Distinct statements pg_stat_statements keeps; the least-used are evicted beyond it.
   * @default 5000 (the extension's own default)
   */
  readonly pgStatStatementsMax?: number;
  /**
   * `wal_level = logical`, for change data capture (Debezium's PostgreSQL connector reads the WAL through a
   * logical replication slot, which PostgreSQL refuses to create at the default `replica`).
   * @default false: logical WAL records carry more (the old key of updated rows, the transactions' ids), so the
   * server writes somewhat more WAL; only a server with a CDC consumer pays for it.
   */
  readonly logicalDecoding?: boolean;
}

export const DEFAULT_SLOW_STATEMENT_THRESHOLD_MS = 500;

/** The settings in the order they are passed; names are PostgreSQL's own. */
export function serverSettings(opts: ServerSettingsOptions = {}): Record<string, string> {
  const threshold = opts.slowStatementThresholdMs ?? DEFAULT_SLOW_STATEMENT_THRESHOLD_MS;
  const max = opts.pgStatStatementsMax ?? 5000;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new Error(`slowStatementThresholdMs must be a whole number of milliseconds >= 1, got ${threshold}`);
  }
  if (!Number.isInteger(max) || max < 100) {
    throw new Error(`pgStatStatementsMax must be a whole number >= 100 (pg_stat_statements' minimum), got ${max}`);
  }
  const analyze = opts.logAnalyze ?? false;
  return {
    shared_preload_libraries: 'pg_stat_statements,auto_explain',
    // The query id ties a pg_stat_statements row to its auto_explain plan (logged on PostgreSQL 16+).
    compute_query_id: 'on',
    'pg_stat_statements.max': String(max),
    // Top-level statements only: their time includes what the functions they call run. With `all`, a statement
    // run both at top level and inside a function has two rows of one queryid (toplevel true and false), which
    // postgres_exporter's stat_statements collector cannot tell apart: it keeps one, drops the other and warns
    // "Duplicate found" at every scrape.
    'pg_stat_statements.track': 'top',
    // DDL and other utility commands (CREATE EXTENSION, GRANT, VACUUM) are not what anyone tunes, and
    // on a young or many-database server they would take top-50 slots from the application's queries.
    'pg_stat_statements.track_utility': 'off',
    // Time spent reading and writing blocks, per statement (pg_stat_statements' shared_blk_read_time, which the
    // exporter publishes as pg_stat_statements_block_read_seconds_total) and per database. It reads the clock
    // around each block I/O: cheap where the clock source is the TSC (`pg_test_timing` measures it).
    track_io_timing: 'on',
    'auto_explain.log_min_duration': `${threshold}ms`,
    'auto_explain.log_format': 'json',
    // Verbose plans carry the "Query Identifier" (PostgreSQL 16 and later), the queryid the plan viewer filters on.
    'auto_explain.log_verbose': 'on',
    'auto_explain.log_analyze': analyze ? 'on' : 'off',
    // Timing only matters with analyze; without it, it is ignored anyway.
    'auto_explain.log_timing': analyze ? 'on' : 'off',
    'auto_explain.log_buffers': analyze ? 'on' : 'off',
    'auto_explain.log_nested_statements': 'on',
    // Lines carry their time, pid and application, so a plan can be tied to the service that ran it.
    log_line_prefix: '%m [%p] %q%a@%d ',
    ...(opts.logicalDecoding ? { wal_level: 'logical' } : {}),
  };
}

/** `-c name=value` arguments for the `postgres` command line. */
export function serverArgs(settings: Record<string, string>): string[] {
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

/** The inverse of `serverArgs`, for reading settings back from a synthesized container. */
export function parseServerArgs(args: readonly string[]): Record<string, string> {
  const settings: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '-c') continue;
    const pair = args[++i] ?? '';
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`"-c ${pair}" is not name=value`);
    settings[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return settings;
}
