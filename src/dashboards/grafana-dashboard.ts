import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RenderedDashboard, renderDashboard } from './dashboard';

export interface GrafanaDashboardProps {
  readonly namespace: string;
  readonly builder: DashboardBuilder;
  readonly labels?: Record<string, string>;
}

/**
 * One dashboard provisioned into Grafana through its own ConfigMap
 * (`grafana-dashboard-<uid>`). A ConfigMap per dashboard keeps each far under
 * the 1 MiB object limit. The rendered JSON is also exposed, so the Stack can
 * write it to `dist/<env>/dashboards/<uid>.json` for import elsewhere.
 */
export class GrafanaDashboard extends Construct {
  public readonly dashboard: RenderedDashboard;
  public readonly configMapName: string;

  constructor(scope: Construct, id: string, props: GrafanaDashboardProps) {
    super(scope, id);
    this.dashboard = renderDashboard(props.builder);
    this.configMapName = `grafana-dashboard-${this.dashboard.uid}`;
    new k8s.KubeConfigMap(this, 'config-map', {
      metadata: { name: this.configMapName, namespace: props.namespace, labels: props.labels },
      data: { [`${this.dashboard.uid}.json`]: dashboardJson(this.dashboard) },
    });
  }
}

/** The JSON text written to files and ConfigMaps alike. */
export function dashboardJson(d: RenderedDashboard): string {
  return `${JSON.stringify(d.json, null, 2)}\n`;
}
