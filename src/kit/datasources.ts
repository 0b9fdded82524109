/**
 * Stable datasource uids. Grafana's provisioning and every dashboard query
 * refer to these, so a dashboard always points at a datasource that exists.
 */
export const DATASOURCE = {
  prometheus: { type: 'prometheus', uid: 'prometheus' },
  loki: { type: 'loki', uid: 'loki' },
  jaeger: { type: 'jaeger', uid: 'jaeger' },
  /** Grafana's own annotation store, where CI posts deploy markers. */
  grafana: { type: 'grafana', uid: '-- Grafana --' },
} as const;

export type DatasourceRef = { readonly type: string; readonly uid: string };

/** The uid of the PostgreSQL datasource of one database: `postgres-<database>`. */
export function postgresDatasource(database: string): DatasourceRef {
  return { type: 'grafana-postgresql-datasource', uid: `postgres-${database}` };
}
