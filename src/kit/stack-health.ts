import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type { DashboardBuilder, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, statPanel, timeseriesPanel } from './presets';

/** What the metrics backend draws of itself on the stack-health dashboard. */
export interface BackendHealthPanels {
  /** The dashboard's tag naming the backend. */
  readonly tag: string;
  readonly description: string;
  /** Stat panels beside "Targets down", each 6 wide. */
  stats(grid: GridLayout): cog.Builder<Panel>[];
  /** Time series below "Targets up by job" and "Scrape duration", each 12 wide. */
  series(grid: GridLayout): cog.Builder<Panel>[];
}

/**
 * Stack health: is every target up and how long scrapes take (`up` and
 * `scrape_duration_seconds`, written by Prometheus and vmagent alike), then
 * the backend's own storage and rule evaluation.
 */
export function stackHealthDashboard(backend: BackendHealthPanels): DashboardBuilder {
  const grid = new GridLayout();
  const builder = newDashboard({ uid: 'stack-health', title: 'Stack health', tags: [backend.tag, 'self-monitoring'], description: backend.description });
  const panels = [
    statPanel({ title: 'Targets down', targets: [{ expr: 'count(up == 0) or vector(0)', instant: true }], redFrom: 1, gridPos: grid.place(6, 4) }),
    ...backend.stats(grid),
    timeseriesPanel({
      title: 'Targets up by job',
      targets: [
        { expr: 'sum by (job) (up)', legend: '{{job}} up' },
        { expr: 'count by (job) (up == 0)', legend: '{{job}} down' },
      ],
      gridPos: grid.place(12, 8),
    }),
    timeseriesPanel({
      title: 'Scrape duration by job (max)',
      unit: 's',
      targets: [{ expr: 'max by (job) (scrape_duration_seconds)', legend: '{{job}}' }],
      gridPos: grid.place(12, 8),
    }),
    ...backend.series(grid),
  ];
  for (const panel of panels) builder.withPanel(panel);
  return builder;
}
