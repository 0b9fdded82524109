import { relabel } from '../../lib/relabel';
import { annotatedPodsJob, kubeletVolumesJob } from './scrape-config';

/** A pod as Prometheus' pod discovery reports it: one target per container port, one per container without ports. */
function discovered(container: string, port: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    __address__: port ? `10.1.2.3:${port}` : '10.1.2.3',
    __meta_kubernetes_namespace: 'java-tasks',
    __meta_kubernetes_pod_name: 'postgres-0',
    __meta_kubernetes_pod_node_name: 'node-1',
    __meta_kubernetes_pod_phase: 'Running',
    __meta_kubernetes_pod_container_name: container,
    __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
    __meta_kubernetes_pod_annotation_prometheus_io_port: '9187',
    __meta_kubernetes_pod_label_app: 'postgres',
    ...extra,
  };
}

const rules = annotatedPodsJob().relabel_configs!;

test('GIVEN a pod with two containers, one without ports WHEN relabelled THEN both targets are identical, so Prometheus scrapes the pod once', () => {
  const withPort = relabel(rules, discovered('postgres-exporter', '9187'));
  const withoutPort = relabel(rules, discovered('postgres', undefined));
  expect(withPort).toEqual({ instance: '10.1.2.3:9187', namespace: 'java-tasks', pod: 'postgres-0', node: 'node-1', app: 'postgres' });
  expect(withoutPort).toEqual(withPort);
});

test('GIVEN the annotations WHEN relabelled THEN path and scheme follow them, and unannotated or finished pods are not scraped', () => {
  const out = relabel(
    [...rules, { source_labels: ['__metrics_path__'], target_label: 'path' }, { source_labels: ['__scheme__'], target_label: 'scheme' }],
    discovered('app', '8080', {
      __meta_kubernetes_pod_annotation_prometheus_io_path: '/internal/metrics',
      __meta_kubernetes_pod_annotation_prometheus_io_scheme: 'https',
    }),
  );
  expect(out).toEqual(expect.objectContaining({ instance: '10.1.2.3:9187', path: '/internal/metrics', scheme: 'https' }));
  expect(relabel(rules, discovered('app', '8080', { __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'false' }))).toBeNull();
  expect(relabel(rules, discovered('app', '8080', { __meta_kubernetes_pod_phase: 'Succeeded' }))).toBeNull();
});

test('GIVEN both app labels WHEN relabelled THEN the plain `app` label wins, as in the log agent', () => {
  const out = relabel(rules, discovered('app', '8080', { __meta_kubernetes_pod_label_app_kubernetes_io_name: 'other' }));
  expect(out!.app).toBe('postgres');
  const onlyRecommended = discovered('app', '8080', { __meta_kubernetes_pod_label_app_kubernetes_io_name: 'other' });
  delete onlyRecommended.__meta_kubernetes_pod_label_app;
  expect(relabel(rules, onlyRecommended)!.app).toBe('other');
});

test('the kubelet job keeps only the volume statistics, so the kubelet\'s other metrics cost no series', () => {
  const keep = kubeletVolumesJob().metric_relabel_configs!;
  const kept = (name: string) => relabel(keep, { __name__: name, namespace: 'monitoring' }) !== null;
  expect(['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes', 'kubelet_volume_stats_used_bytes'].map(kept)).toEqual([
    true,
    true,
    true,
  ]);
  expect(['kubelet_volume_stats_inodes', 'kubelet_running_pods', 'rest_client_requests_total'].map(kept)).toEqual([false, false, false]);
});
