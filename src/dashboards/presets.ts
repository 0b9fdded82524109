import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE } from './datasources';

/**
 * House presets for dashboards: datasource references, queries over
 * `$__rate_interval`, units, thresholds and a grid that wraps. Panel factories
 * are plain functions, so a dashboard module reads as a list of panels.
 */

/** Grafana's grid is 24 columns wide. */
const GRID_WIDTH = 24;

/**
 * Places panels left to right and wraps to a new row when a panel does not fit,
 * which the SDK's automatic layout does not do.
 */
export class GridLayout {
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  place(w: number, h: number): dashboard.GridPos {
    if (w > GRID_WIDTH) throw new Error(`panel width ${w} is wider than the grid (${GRID_WIDTH})`);
    if (this.x + w > GRID_WIDTH) this.newRow();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  newRow(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

export interface PromTarget {
  readonly expr: string;
  readonly legend?: string;
  /** Instant queries for stat panels that show the latest value only. */
  readonly instant?: boolean;
}

function promTargets(targets: readonly PromTarget[]): prometheus.DataqueryBuilder[] {
  return targets.map((t, i) => {
    const q = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE.prometheus)
      .expr(t.expr)
      .refId(String.fromCharCode(65 + i))
      .legendFormat(t.legend ?? '__auto');
    return t.instant ? q.instant() : q.range();
  });
}

export interface PanelOptions {
  readonly title: string;
  readonly description?: string;
  readonly unit?: string;
  readonly targets: readonly PromTarget[];
  readonly gridPos: dashboard.GridPos;
}

export function timeseriesPanel(opts: PanelOptions): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.prometheus)
    .unit(opts.unit ?? 'short')
    .gridPos(opts.gridPos)
    .lineWidth(1)
    .fillOpacity(10);
  if (opts.description) panel.description(opts.description);
  for (const target of promTargets(opts.targets)) panel.withTarget(target);
  return panel;
}

export interface StatOptions extends PanelOptions {
  /** Value at and above which the stat turns red. */
  readonly redFrom?: number;
}

export function statPanel(opts: StatOptions): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.prometheus)
    .unit(opts.unit ?? 'short')
    .gridPos(opts.gridPos)
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null as unknown as number, color: 'green' },
        ...(opts.redFrom !== undefined ? [{ value: opts.redFrom, color: 'red' }] : []),
      ]),
    );
  if (opts.description) panel.description(opts.description);
  for (const target of promTargets(opts.targets)) panel.withTarget(target);
  return panel;
}

export interface LogsOptions {
  readonly title: string;
  readonly description?: string;
  /** A LogQL log query (not a metric query). */
  readonly expr: string;
  readonly gridPos: dashboard.GridPos;
}

/** Log lines from Loki, newest first, JSON bodies pretty-printed (plans, structured logs). */
export function logsPanel(opts: LogsOptions): logs.PanelBuilder {
  const panel = new logs.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.loki)
    .gridPos(opts.gridPos)
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(true)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .dedupStrategy(common.LogsDedupStrategy.None)
    .withTarget(new loki.DataqueryBuilder().datasource(DATASOURCE.loki).expr(opts.expr).refId('A').maxLines(200));
  if (opts.description) panel.description(opts.description);
  return panel;
}

/** A template variable filled from a Prometheus label's values, with "All" meaning any value. */
export function labelValuesVariable(opts: { name: string; label: string; metric: string; title?: string }): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(opts.name)
    .label(opts.title ?? opts.name)
    .datasource(DATASOURCE.prometheus)
    .query({ qryType: 1, query: `label_values(${opts.metric}, ${opts.label})`, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(`label_values(${opts.metric}, ${opts.label})`)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

/** A dashboard with the house defaults: UTC-free browser time, 30 s refresh, last 6 hours, not editable. */
export function newDashboard(opts: { uid: string; title: string; tags: string[]; description?: string }): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder(opts.title)
    .uid(opts.uid)
    .tags(['observability-platform', ...opts.tags])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .editable();
  if (opts.description) builder.description(opts.description);
  return builder;
}
