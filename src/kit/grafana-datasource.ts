/** A datasource in Grafana's provisioning format (`apiVersion: 1`). */
export interface GrafanaDatasource {
  readonly name: string;
  readonly type: string;
  readonly uid: string;
  readonly url: string;
  readonly access?: 'proxy';
  /** Login user, for SQL datasources. */
  readonly user?: string;
  readonly isDefault?: boolean;
  readonly editable?: boolean;
  readonly jsonData?: Record<string, unknown>;
  readonly secureJsonData?: Record<string, string>;
}
