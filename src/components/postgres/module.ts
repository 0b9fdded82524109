import type { PostgresConfig } from './config';
import { ComponentModule, SyncWave } from '../../kit/module';
import { queryPerformanceDashboard } from './dashboard';
import { ObservablePostgres } from './postgres';
import { postgresRules } from './rules';
import { SharedPostgres } from './shared-postgres';

/** Not GF_-prefixed: Grafana would read that as a setting of its own. */
const GRAFANA_READER_PASSWORD_ENV = 'POSTGRES_GRAFANA_READER_PASSWORD';

/**
 * The shared PostgreSQL of the applications, made observable: its own chart in
 * the applications' namespace, rules and the Query Performance dashboard for
 * the monitoring side, one Grafana datasource per database.
 */
/**
 * What the module reads of the service catalogue: the databases services keep on the shared server, and whether
 * one depends on Debezium's CDC.
 */
export interface CatalogueDatabases {
  readonly services: ReadonlyArray<{
    readonly database?: string;
    readonly databaseServer: 'shared' | 'own';
    readonly dependencies: readonly string[];
    readonly jmx?: { readonly debezium: boolean };
  }>;
}

/** The server's databases: those the config lists, then those of the catalogue's services on it, each once. */
export function sharedDatabases(pg: PostgresConfig, catalogue: CatalogueDatabases): string[] {
  const ofServices = catalogue.services.flatMap((s) => (s.database !== undefined && s.databaseServer === 'shared' ? [s.database] : []));
  return [...new Set([...pg.databases, ...ofServices])];
}

export const postgresModule: ComponentModule<{ readonly postgres?: PostgresConfig } & CatalogueDatabases> = {
  name: 'postgres',
  rules: (config) => postgresRules({ slowStatementThresholdMs: config.postgres?.slowStatementThresholdMs }),
  build(ctx, config) {
    const pg = config.postgres;
    if (!pg) return {};
    // The shared database is a backend of the applications: up before the collectors that watch it.
    const chart = ctx.chart('postgres', pg.namespace, SyncWave.BACKENDS);
    const server = new SharedPostgres(chart, 'postgres', {
      namespace: pg.namespace,
      name: pg.name,
      superuserPassword: { secretName: pg.superuserCredentials.secretName, key: pg.superuserCredentials.passwordKey },
      storageSize: pg.storage.size,
      storageClassName: pg.storage.storageClassName,
      resources: pg.resources,
    });
    const creds = pg.observabilityCredentials;
    const databases = sharedDatabases(pg, config);
    const observable = new ObservablePostgres(chart, 'observability', {
      statefulSet: server.statefulSet,
      container: server.container,
      databases,
      grafanaReaderPassword: { secretName: creds.secretName, key: creds.grafanaReaderPasswordKey },
      exporterPassword: { secretName: creds.secretName, key: creds.exporterPasswordKey },
      settings: {
        slowStatementThresholdMs: pg.slowStatementThresholdMs,
        logAnalyze: pg.logAnalyze,
        // Debezium reads the services' WAL from this server through a logical replication slot.
        logicalDecoding: config.services.some((s) => s.dependencies.includes('debezium') || s.jmx?.debezium),
      },
      topStatements: pg.topStatements,
      exporterResources: pg.exporterResources,
    });
    return {
      ruleGroups: postgresRules({ slowStatementThresholdMs: pg.slowStatementThresholdMs }),
      dashboards: [queryPerformanceDashboard({ namespace: pg.namespace, app: pg.name })],
      datasources: observable.grafanaDatasources({ passwordEnv: GRAFANA_READER_PASSWORD_ENV, postgresVersion: 17 }),
      grafanaEnv:
        databases.length === 0
          ? []
          : [
              {
                name: GRAFANA_READER_PASSWORD_ENV,
                valueFrom: { secretKeyRef: { name: creds.secretName, key: creds.grafanaReaderPasswordKey } },
              },
            ],
    };
  },
};
