import * as common from '@grafana/grafana-foundation-sdk/common';
import * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as logs from '@grafana/grafana-foundation-sdk/logs';
import * as loki from '@grafana/grafana-foundation-sdk/loki';
import * as table from '@grafana/grafana-foundation-sdk/table';
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

export function timeseriesPanel(opts: PanelOptions & { readonly redFrom?: number }): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.prometheus)
    .unit(opts.unit ?? 'short')
    .gridPos(opts.gridPos)
    .lineWidth(1)
    .fillOpacity(10);
  if (opts.redFrom !== undefined) {
    // The target drawn as a red dashed line, so the panel reads against its SLO.
    panel
      .thresholds(thresholdSteps(opts.redFrom))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  if (opts.description) panel.description(opts.description);
  for (const target of promTargets(opts.targets)) panel.withTarget(target);
  return panel;
}

function thresholdSteps(redFrom?: number): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
    { value: null as unknown as number, color: 'green' },
    ...(redFrom !== undefined ? [{ value: redFrom, color: 'red' }] : []),
  ]);
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
    .thresholds(thresholdSteps(opts.redFrom));
  if (opts.description) panel.description(opts.description);
  for (const target of promTargets(opts.targets)) panel.withTarget(target);
  return panel;
}

/** A dashboard with the house defaults: browser time, 30 s refresh, last 6 hours, and the deploy markers. */
export function newDashboard(opts: { uid: string; title: string; tags: string[]; description?: string }): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder(opts.title)
    .uid(opts.uid)
    .tags(['observability-platform', ...opts.tags])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .editable()
    .annotation(deployAnnotations());
  if (opts.description) builder.description(opts.description);
  return builder;
}

// ---- variables, annotations, logs and traces ------------------------------------

/**
 * The tag every CI rollout puts on its Grafana annotation (beside the namespace
 * and the short SHA), so every dashboard marks the deploy that preceded
 * a change.
 */
export const DEPLOY_ANNOTATION_TAG = 'deploy';

/** Deploy markers from Grafana's annotation store, by tag. */
export function deployAnnotations(): dashboard.AnnotationQueryBuilder {
  const tagsTarget = { build: () => ({ type: 'tags', tags: [DEPLOY_ANNOTATION_TAG], matchAny: true, limit: 100 }) };
  return new dashboard.AnnotationQueryBuilder()
    .name('Deploys')
    .datasource(DATASOURCE.grafana)
    .enable(true)
    .iconColor('#8ab8ff')
    .target(tagsTarget as unknown as cog.Builder<cog.Dataquery>);
}

/** A Prometheus template variable; `query` is `label_values(<selector>, <label>)`. */
export function queryVariable(opts: { name: string; label: string; query: string; includeAll?: boolean }): dashboard.QueryVariableBuilder {
  const v = new dashboard.QueryVariableBuilder(opts.name)
    .label(opts.label)
    .datasource(DATASOURCE.prometheus)
    .query({ query: opts.query, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(opts.query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true);
  if (opts.includeAll ?? true) v.includeAll(true).allValue('.+');
  return v;
}

// ---- Loki ---------------------------------------------------------------------

export interface LokiTarget {
  readonly expr: string;
  readonly legend?: string;
}

function lokiTargets(targets: readonly LokiTarget[]): loki.DataqueryBuilder[] {
  return targets.map((t, i) => {
    const q = new loki.DataqueryBuilder().datasource(DATASOURCE.loki).expr(t.expr).refId(String.fromCharCode(65 + i));
    return t.legend ? q.legendFormat(t.legend) : q;
  });
}

export interface LokiPanelOptions {
  readonly title: string;
  readonly description?: string;
  readonly unit?: string;
  readonly targets: readonly LokiTarget[];
  readonly gridPos: dashboard.GridPos;
}

/** A time series of a LogQL metric query (rate, count_over_time, bytes_rate...). */
export function lokiTimeseriesPanel(opts: LokiPanelOptions): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.loki)
    .unit(opts.unit ?? 'short')
    .gridPos(opts.gridPos)
    .lineWidth(1)
    .fillOpacity(10);
  if (opts.description) panel.description(opts.description);
  for (const target of lokiTargets(opts.targets)) panel.withTarget(target.range(true));
  return panel;
}

/** Log lines, newest first, with their labels and details. */
export function logsPanel(
  opts: Omit<LokiPanelOptions, 'unit'> & { readonly maxLines?: number; /** Pretty-print JSON bodies (plans). */ readonly prettify?: boolean },
): logs.PanelBuilder {
  const panel = new logs.PanelBuilder()
    .title(opts.title)
    .datasource(DATASOURCE.loki)
    .gridPos(opts.gridPos)
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(opts.prettify ?? false)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending);
  if (opts.description) panel.description(opts.description);
  for (const target of lokiTargets(opts.targets)) panel.withTarget(target.maxLines(opts.maxLines ?? 500));
  return panel;
}

/**
 * Traces found by Jaeger's search, as a table. The SDK has no Jaeger query
 * type, so the query is written in the Jaeger datasource's own shape.
 */
export function jaegerSearchPanel(opts: {
  title: string;
  description?: string;
  service: string;
  operation: string;
  gridPos: dashboard.GridPos;
}): table.PanelBuilder {
  const query = {
    build: () => ({
      refId: 'A',
      datasource: DATASOURCE.jaeger,
      queryType: 'search',
      service: opts.service,
      operation: opts.operation,
      limit: 20,
    }),
  };
  const panel = new table.PanelBuilder().title(opts.title).datasource(DATASOURCE.jaeger).gridPos(opts.gridPos);
  if (opts.description) panel.description(opts.description);
  panel.withTarget(query as unknown as cog.Builder<cog.Dataquery>);
  return panel;
}
