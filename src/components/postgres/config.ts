import { z } from 'zod';
import { dnsLabel, resources, secretKeyRef, sqlIdentifier, storage, withDefault } from '../../config/fields';
import { TOP_STATEMENTS } from './exporter';
import { DEFAULT_SLOW_STATEMENT_THRESHOLD_MS } from './settings';
import { SHARED_POSTGRES_DEFAULTS } from './shared-postgres';

export const postgresConfig = z
  .strictObject({
    namespace: withDefault(
      dnsLabel('a namespace name'),
      'java-tasks',
      "Namespace of the shared PostgreSQL (the applications' namespace, not the stack's).",
    ),
    name: withDefault(dnsLabel('a StatefulSet name'), SHARED_POSTGRES_DEFAULTS.name, 'Name of its StatefulSet, Service and `app` label.'),
    superuserCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret in `namespace` with the postgres superuser password.'),
        passwordKey: withDefault(secretKeyRef, 'postgres-password', 'Key of the password.'),
      })
      .describe('The superuser password. Required: there is no default password.'),
    observabilityCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe(
          'Existing Secret with the grafana_reader and exporter passwords. It must exist in `namespace` (for the server and ' +
            'the exporter) and in namespaces.monitoring (for Grafana), under the same name.',
        ),
        grafanaReaderPasswordKey: withDefault(secretKeyRef, 'grafana-reader-password', 'Key of the grafana_reader password.'),
        exporterPasswordKey: withDefault(secretKeyRef, 'exporter-password', 'Key of the postgres_exporter role password.'),
      })
      .describe('Passwords of the observability roles. Required: never generated, never in dist/.'),
    databases: z
      .array(sqlIdentifier)
      .default([])
      .describe(
        "Databases on this server beyond the catalogue's: every services[].database on the shared server (databaseServer: " +
          'shared, its default) is here already. Each is created if missing, equipped with pg_stat_statements and ' +
          'gets one Grafana datasource. Default: none.',
      ),
    slowStatementThresholdMs: withDefault(
      z.number().int().min(1, { error: 'expected a whole number of milliseconds >= 1' }),
      DEFAULT_SLOW_STATEMENT_THRESHOLD_MS,
      'auto_explain logs the plan of every statement at least this slow; alerts call the same statements slow.',
    ),
    logAnalyze: withDefault(
      z.boolean(),
      false,
      'Log actual rows and timings (EXPLAIN ANALYZE) in plans. Costs timing overhead on every statement.',
    ),
    topStatements: withDefault(
      z.number().int().min(1, { error: 'expected 1 to 500' }).max(500, { error: 'expected 1 to 500' }),
      TOP_STATEMENTS,
      'Statements the exporter publishes per scrape, the top ones by total execution time.',
    ),
    storage: storage(SHARED_POSTGRES_DEFAULTS.storageSize, 'The data volume.', 'on the default StorageClass'),
    resources: resources.optional(),
    exporterResources: resources.optional(),
  })
  .optional()
  .describe('A PostgreSQL 17 that your services share, deployed by the stack and made observable (pg_stat_statements, auto_explain, ' +
      'postgres_exporter). Default: none.');

export type PostgresConfig = NonNullable<z.output<typeof postgresConfig>>;
