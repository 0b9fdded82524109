import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RenderedDashboard, renderDashboard } from './dashboard';

export interface GrafanaDashboardProps {
  readonly namespace: string;
  /** The dashboard to provision, as a grafana-foundation-sdk builder... */
  readonly builder?: DashboardBuilder;
  /** ...or already rendered with `renderDashboard()` (its uid is known before the construct exists). Give exactly one. */
  readonly dashboard?: RenderedDashboard;
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
  /** The JSON text in the ConfigMap, also what `dist/<env>/dashboards/<uid>.json` holds. */
  public readonly jsonText: string;

  constructor(scope: Construct, id: string, props: GrafanaDashboardProps) {
    super(scope, id);
    if ((props.builder === undefined) === (props.dashboard === undefined)) {
      throw new Error(`GrafanaDashboard ${id}: give exactly one of builder or dashboard`);
    }
    this.dashboard = props.dashboard ?? renderDashboard(props.builder!);
    this.configMapName = `grafana-dashboard-${this.dashboard.uid}`;
    this.jsonText = dashboardJson(this.dashboard);
    new k8s.KubeConfigMap(this, 'config-map', {
      metadata: { name: this.configMapName, namespace: props.namespace, labels: props.labels },
      data: { [`${this.dashboard.uid}.json`]: this.jsonText },
    });
  }
}

/** The JSON text written to files and ConfigMaps alike. */
export function dashboardJson(d: RenderedDashboard): string {
  return `${JSON.stringify(d.json, null, 2)}\n`;
}
