/**
 * The initialisation SQL: the pg_stat_statements extension, a read-only
 * `grafana_reader` role and the exporter's role. It is a psql script,
 * idempotent, so it can run at first start and again by hand at any time.
 *
 * Passwords never appear in it: psql reads them from environment variables
 * (`\getenv`, psql 15+), which the pod fills from Secrets.
 */

export interface InitSqlOptions {
  /** Databases to create (if missing) and equip with pg_stat_statements; `postgres` is always equipped. */
  readonly databases: readonly string[];
  readonly grafanaReaderRole: string;
  readonly exporterRole: string;
  /** Environment variable holding the grafana_reader password. */
  readonly grafanaReaderPasswordEnv: string;
  /** Environment variable holding the exporter password. */
  readonly exporterPasswordEnv: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

function checkIdentifier(what: string, value: string) {
  if (!IDENTIFIER.test(value)) {
    throw new Error(`${what} must be a lower-case SQL identifier (letters, digits, "_", at most 63, not starting with a digit), got "${value}"`);
  }
}

export function initSql(opts: InitSqlOptions): string {
  for (const db of opts.databases) checkIdentifier('database name', db);
  checkIdentifier('grafanaReaderRole', opts.grafanaReaderRole);
  checkIdentifier('exporterRole', opts.exporterRole);
  for (const env of [opts.grafanaReaderPasswordEnv, opts.exporterPasswordEnv]) {
    if (!ENV_NAME.test(env)) throw new Error(`password variable must be an upper-case environment variable name, got "${env}"`);
  }
  const databases = [...new Set(['postgres', ...opts.databases])];
  const role = (name: string, passwordVar: string, extra: string) => [
    `SELECT 'CREATE ROLE ${name} LOGIN' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '${name}') \\gexec`,
    `ALTER ROLE ${name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION${extra} PASSWORD :'${passwordVar}';`,
    // pg_monitor reads every statistics view (pg_stat_statements of all users, pg_stat_activity) and nothing else.
    `GRANT pg_monitor TO ${name};`,
    `ALTER ROLE ${name} SET default_transaction_read_only = on;`,
  ];
  const requireEnv = (psqlVar: string, env: string) => [
    `\\getenv ${psqlVar} ${env}`,
    `\\if :{?${psqlVar}}`,
    `\\else`,
    `DO $$ BEGIN RAISE EXCEPTION 'environment variable ${env} is not set; it must come from a Secret'; END $$;`,
    `\\endif`,
  ];
  return [
    '-- Observability roles and extensions. Idempotent: every statement may run again.',
    '\\set ON_ERROR_STOP on',
    // The ALTER ROLE ... PASSWORD statements below must reach neither the server log nor
    // pg_stat_statements, whose query texts the exporter publishes.
    'SET pg_stat_statements.track_utility = off;',
    "SET log_statement = 'none';",
    'SET log_min_duration_statement = -1;',
    ...requireEnv('grafana_reader_password', opts.grafanaReaderPasswordEnv),
    ...requireEnv('exporter_password', opts.exporterPasswordEnv),
    ...role(opts.grafanaReaderRole, 'grafana_reader_password', ''),
    // Dashboards must never be what exhausts the server.
    `ALTER ROLE ${opts.grafanaReaderRole} SET statement_timeout = '30s';`,
    // A small cap: the exporter holds one connection; more means it is leaking.
    ...role(opts.exporterRole, 'exporter_password', ' CONNECTION LIMIT 3'),
    ...databases.flatMap((db) => [
      `SELECT 'CREATE DATABASE ${db}' WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '${db}') \\gexec`,
      `GRANT CONNECT ON DATABASE ${db} TO ${opts.grafanaReaderRole}, ${opts.exporterRole};`,
    ]),
    // The view exists only in databases where the extension is created; the
    // counters themselves are server-wide.
    ...databases.flatMap((db) => [`\\connect ${db}`, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;']),
    '',
  ].join('\n');
}
