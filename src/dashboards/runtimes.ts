import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, queryVariable, timeseriesPanel } from '../kit/presets';

const SEL = 'namespace=~"$namespace", app=~"$service"';

/** Go runtime (client_golang) and JVM (Micrometer) health of every instrumented service. */
export function runtimesDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  return newDashboard({
    uid: 'runtimes',
    title: 'Go runtime and JVM',
    tags: ['services', 'runtime'],
    description: 'Goroutines, heap and GC of the Go services; heap, threads and GC pauses of the Java services.',
  })
    .withVariable(queryVariable({ name: 'namespace', label: 'Namespace', query: 'label_values(up{job="kubernetes-pods"}, namespace)' }))
    .withVariable(
      queryVariable({ name: 'service', label: 'Service', query: 'label_values(up{job="kubernetes-pods", namespace=~"$namespace"}, app)' }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Goroutines',
        targets: [{ expr: `sum by (app, pod) (go_goroutines{${SEL}})`, legend: '{{pod}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Go heap in use',
        unit: 'bytes',
        targets: [{ expr: `sum by (app, pod) (go_memstats_heap_alloc_bytes{${SEL}})`, legend: '{{pod}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Go GC pause (max quantile)',
        unit: 's',
        targets: [{ expr: `max by (app, pod) (go_gc_duration_seconds{${SEL}, quantile="1"})`, legend: '{{pod}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'JVM heap used / max',
        unit: 'percentunit',
        targets: [
          {
            expr: `sum by (app, pod) (jvm_memory_used_bytes{${SEL}, area="heap"}) / sum by (app, pod) (jvm_memory_max_bytes{${SEL}, area="heap"})`,
            legend: '{{pod}}',
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'JVM live threads',
        targets: [{ expr: `sum by (app, pod) (jvm_threads_live_threads{${SEL}})`, legend: '{{pod}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'JVM GC pause time per second',
        unit: 's',
        targets: [{ expr: `sum by (app, pod) (rate(jvm_gc_pause_seconds_sum{${SEL}}[$__rate_interval]))`, legend: '{{pod}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Resident memory',
        unit: 'bytes',
        targets: [{ expr: `sum by (app, pod) (process_resident_memory_bytes{${SEL}})`, legend: '{{pod}}' }],
        gridPos: grid.place(24, 8),
      }),
    );
}
