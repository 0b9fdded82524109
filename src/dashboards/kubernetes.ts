import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GridLayout, newDashboard, queryVariable, statPanel, timeseriesPanel } from '../kit/presets';

const NS = 'namespace=~"$namespace"';
// Pseudo-filesystems have no disk to fill.
const REAL_FS = 'fstype!~"tmpfs|overlay|squashfs"';

/** Nodes (node-exporter), workloads (kube-state-metrics) and containers (cAdvisor working set against limits). */
export function kubernetesDashboard(): DashboardBuilder {
  const grid = new GridLayout();
  return newDashboard({
    uid: 'kubernetes',
    title: 'Kubernetes',
    tags: ['kubernetes'],
    description: 'Nodes: CPU, memory, disk. Workloads: restarts, OOM kills, not-ready pods. Containers: working set against limits.',
  })
    .withVariable(queryVariable({ name: 'namespace', label: 'Namespace', query: 'label_values(kube_pod_status_ready, namespace)' }))
    .withPanel(
      timeseriesPanel({
        title: 'Node CPU busy',
        unit: 'percentunit',
        targets: [{ expr: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval]))', legend: '{{instance}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Node memory used',
        unit: 'percentunit',
        targets: [{ expr: '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes', legend: '{{instance}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Node disk used',
        unit: 'percentunit',
        // 85%: the kubelet's default eviction starts at 90% used (nodefs.available<10%).
        redFrom: 0.85,
        targets: [
          {
            expr: `max by (instance, mountpoint) (1 - node_filesystem_avail_bytes{${REAL_FS}} / node_filesystem_size_bytes{${REAL_FS}})`,
            legend: '{{instance}} {{mountpoint}}',
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Pods not ready',
        targets: [{ expr: `count(kube_pod_status_ready{${NS}, condition="true"} == 0) or vector(0)`, instant: true }],
        redFrom: 1,
        gridPos: grid.place(8, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Container restarts (1h)',
        targets: [{ expr: `sum(increase(kube_pod_container_status_restarts_total{${NS}}[1h])) or vector(0)`, instant: true }],
        redFrom: 1,
        gridPos: grid.place(8, 4),
      }),
    )
    .withPanel(
      statPanel({
        title: 'Containers last killed by OOM',
        targets: [
          { expr: `count(kube_pod_container_status_last_terminated_reason{${NS}, reason="OOMKilled"} == 1) or vector(0)`, instant: true },
        ],
        redFrom: 1,
        gridPos: grid.place(8, 4),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Restarts by pod',
        targets: [
          {
            expr: `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{${NS}}[$__rate_interval])) > 0`,
            legend: '{{namespace}}/{{pod}}',
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'OOM kills by container',
        targets: [
          {
            expr: `sum by (namespace, pod, container) (increase(container_oom_events_total{${NS}, container!=""}[$__rate_interval])) > 0`,
            legend: '{{namespace}}/{{pod}}/{{container}}',
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Not-ready pods by namespace',
        targets: [{ expr: `count by (namespace) (kube_pod_status_ready{${NS}, condition="true"} == 0)`, legend: '{{namespace}}' }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Container working set / memory limit',
        unit: 'percentunit',
        // The kernel OOM-kills at 100%; 90% leaves time to react.
        redFrom: 0.9,
        targets: [
          {
            expr:
              `sum by (namespace, pod, container) (container_memory_working_set_bytes{${NS}, container!=""}) / ` +
              `sum by (namespace, pod, container) (kube_pod_container_resource_limits{${NS}, resource="memory"})`,
            legend: '{{namespace}}/{{pod}}/{{container}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Container CPU',
        unit: 'short',
        targets: [
          {
            expr: `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${NS}, container!=""}[$__rate_interval]))`,
            legend: '{{namespace}}/{{pod}}/{{container}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    );
}
