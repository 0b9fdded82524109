import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, statPanel, timeseriesPanel } from '../../kit/presets';
import { GPU_METRICS, GpuExporterKind } from './metrics';

export interface GpuDashboardOptions {
  readonly exporter: GpuExporterKind;
  /** Lines drawn as red thresholds come from the same config as the alerts. */
  readonly temperatureCelsius: number;
  readonly memoryUsedRatio: number;
}

/**
 * GPUs: utilisation, temperature, VRAM used against total and power per GPU,
 * and, with dcgm-exporter, which pod holds each GPU.
 */
export function gpuDashboard(opts: GpuDashboardOptions): DashboardBuilder {
  const m = GPU_METRICS[opts.exporter];
  const by = `node, ${m.gpuLabel}`;
  const legend = `{{node}} {{${m.gpuLabel}}}`;
  const grid = new GridLayout();
  const builder = newDashboard({
    uid: 'gpu',
    title: 'GPUs',
    tags: ['gpu', 'nvidia'],
    description: `GPU utilisation, temperature, memory and power from the ${opts.exporter} exporter.`,
  })
    .withPanel(statPanel({ title: 'GPUs reporting', targets: [{ expr: `count(${m.presence}) or vector(0)`, instant: true }], gridPos: grid.place(6, 4) }))
    .withPanel(
      statPanel({
        title: 'Average utilisation',
        unit: 'percentunit',
        targets: [{ expr: `avg(${m.utilisationRatio})`, instant: true }],
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Hottest GPU',
        unit: 'celsius',
        targets: [{ expr: `max(${m.temperatureCelsius})`, instant: true }],
        redFrom: opts.temperatureCelsius,
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Fullest GPU memory',
        unit: 'percentunit',
        targets: [{ expr: `max(max by (${by}) (${m.memoryUsedBytes}) / max by (${by}) (${m.memoryTotalBytes}))`, instant: true }],
        redFrom: opts.memoryUsedRatio,
        gridPos: grid.place(6, 4),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Utilisation per GPU',
        unit: 'percentunit',
        targets: [{ expr: `max by (${by}) (${m.utilisationRatio})`, legend }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Temperature per GPU',
        unit: 'celsius',
        description: `The GpuTemperatureHigh alert fires above ${opts.temperatureCelsius} °C held for 10 minutes.`,
        targets: [{ expr: `max by (${by}) (${m.temperatureCelsius})`, legend }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'VRAM used and total per GPU',
        unit: 'bytes',
        targets: [
          { expr: `max by (${by}) (${m.memoryUsedBytes})`, legend: `${legend} used` },
          { expr: `max by (${by}) (${m.memoryTotalBytes})`, legend: `${legend} total` },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Power draw per GPU',
        unit: 'watt',
        targets: [{ expr: `max by (${by}) (${m.powerWatts})`, legend }],
        gridPos: grid.place(12, 8),
      }),
    );
  if (m.perPod) {
    const pod = `${m.perPod.namespaceLabel}, ${m.perPod.podLabel}`;
    const podLegend = `{{${m.perPod.namespaceLabel}}}/{{${m.perPod.podLabel}}}`;
    // Series without a pod label belong to GPUs no pod holds; they are left out here.
    const held = `${m.perPod.podLabel}!=""`;
    builder
      .withPanel(
        timeseriesPanel({
          title: 'Utilisation per pod',
          unit: 'percentunit',
          description: 'The GPUs each pod holds through the device plugin, as the kubelet pod-resources API reports them.',
          targets: [{ expr: `max by (${pod}) (${withMatcher(m.utilisationRatio, held)})`, legend: podLegend }],
          gridPos: grid.place(12, 8),
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: 'VRAM used per pod',
          unit: 'bytes',
          targets: [{ expr: `sum by (${pod}) (${withMatcher(m.memoryUsedBytes, held)})`, legend: podLegend }],
          gridPos: grid.place(12, 8),
        }),
      );
  }
  return builder;
}

/** Adds a label matcher to every metric name in an expression of the metric table (names are upper-case for DCGM). */
function withMatcher(expr: string, matcher: string): string {
  return expr.replace(/\b(DCGM_FI_[A-Z0-9_]+|nvidia_smi_[a-z0-9_]+)\b/g, `$1{${matcher}}`);
}
