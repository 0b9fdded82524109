import { z } from 'zod';
import { dnsLabel, resources, secretKeyRef, sqlIdentifier, storage } from '../../config/fields';

export const postgresConfig = z
  .strictObject({
    namespace: dnsLabel('a namespace name')
      .default('java-tasks')
      .describe("Namespace of the shared PostgreSQL (the applications' namespace, not the stack's). Default: java-tasks."),
    name: dnsLabel('a StatefulSet name').default('postgres').describe('Name of its StatefulSet, Service and `app` label. Default: postgres.'),
    superuserCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret in `namespace` with the postgres superuser password.'),
        passwordKey: secretKeyRef.default('postgres-password').describe('Key of the password. Default: postgres-password.'),
      })
      .describe('The superuser password. Required: there is no default password.'),
    observabilityCredentials: z
      .strictObject({
        secretName: dnsLabel('the name of an existing Secret').describe(
          'Existing Secret with the grafana_reader and exporter passwords. It must exist in `namespace` (for the server and ' +
            'the exporter) and in namespaces.monitoring (for Grafana), under the same name.',
        ),
        grafanaReaderPasswordKey: secretKeyRef
          .default('grafana-reader-password')
          .describe('Key of the grafana_reader password. Default: grafana-reader-password.'),
        exporterPasswordKey: secretKeyRef
          .default('exporter-password')
          .describe('Key of the postgres_exporter role password. Default: exporter-password.'),
      })
      .describe('Passwords of the observability roles. Required: never generated, never in dist/.'),
    databases: z
      .array(sqlIdentifier)
      .default([])
      .describe('Databases of the services: created if missing, equipped with pg_stat_statements, one Grafana datasource each. Default: none.'),
    slowStatementThresholdMs: z
      .number()
      .int()
      .min(1, { error: 'expected a whole number of milliseconds >= 1' })
      .default(500)
      .describe('auto_explain logs the plan of every statement at least this slow; alerts call the same statements slow. Default: 500.'),
    logAnalyze: z
      .boolean()
      .default(false)
      .describe('Log actual rows and timings (EXPLAIN ANALYZE) in plans. Costs timing overhead on every statement. Default: false.'),
    topStatements: z
      .number()
      .int()
      .min(1, { error: 'expected 1 to 500' })
      .max(500, { error: 'expected 1 to 500' })
      .default(50)
      .describe('Statements the exporter publishes per scrape, the top ones by total execution time. Default: 50.'),
    storage: storage('20Gi').describe('The data volume. Default: 20Gi on the default StorageClass.'),
    resources: resources.optional(),
    exporterResources: resources.optional(),
  })
  .optional()
  .describe('A PostgreSQL 17 that your services share, deployed by the stack and made observable (pg_stat_statements, auto_explain, ' +
      'postgres_exporter). Default: none.');

export type PostgresConfig = NonNullable<z.output<typeof postgresConfig>>;
