/**
 * Every container image the stack runs, in one table, so an upgrade is one diff.
 *
 * Tags are pinned (never `latest`); the version also feeds the
 * `app.kubernetes.io/version` label.
 */
export interface ImageRef {
  /** Repository without tag, e.g. `quay.io/prometheus/prometheus`. */
  readonly repository: string;
  /** The pinned tag, e.g. `v3.13.0`. */
  readonly tag: string;
}

export const IMAGES = {
  prometheus: { repository: 'quay.io/prometheus/prometheus', tag: 'v3.13.0' },
  // 0.33 reads every receiver credential from a file (routing_key_file, api_url_file, bot_token_file).
  alertmanager: { repository: 'quay.io/prometheus/alertmanager', tag: 'v0.33.0' },
  kubeStateMetrics: { repository: 'registry.k8s.io/kube-state-metrics/kube-state-metrics', tag: 'v2.18.0' },
  // v1.11.1 is the newest release the Go module proxy serves, so the tested binary equals the image.
  nodeExporter: { repository: 'quay.io/prometheus/node-exporter', tag: 'v1.11.1' },
  grafana: { repository: 'docker.io/grafana/grafana', tag: '13.0.1' },
  // Small (about 10 MB), non-root (uid 100), for the PostSync deploy-annotation hook.
  curl: { repository: 'docker.io/curlimages/curl', tag: '8.17.0' },
  nvidiaDevicePlugin: { repository: 'nvcr.io/nvidia/k8s-device-plugin', tag: 'v0.20.0' },
  nvidiaGpuExporter: { repository: 'docker.io/utkuozdemir/nvidia_gpu_exporter', tag: '1.14.0' },
  dcgmExporter: { repository: 'nvcr.io/nvidia/k8s/dcgm-exporter', tag: '4.5.3-4.8.2-distroless' },
  // Jaeger v2 (v1 reached end of life on 2025-12-31). 2.13.0 is the newest release whose Go module (v1.76.0)
  // the tests can build, so the image and the tested binary stay the same version.
  jaeger: { repository: 'docker.io/jaegertracing/jaeger', tag: '2.13.0' },
  // The contrib distribution: the core one lacks k8s_attributes, file_storage and prometheus_remote_write.
  otelCollector: { repository: 'docker.io/otel/opentelemetry-collector-contrib', tag: '0.158.0' },
  // The OpenTelemetry Java agent as the OpenTelemetry Operator packages it (the jar at /javaagent.jar), copied into
  // a Java service by `instrument()` for its JMX metrics. The tag is the agent's release.
  otelJavaAgent: { repository: 'ghcr.io/open-telemetry/opentelemetry-operator/autoinstrumentation-java', tag: '2.33.1' },
  loki: { repository: 'docker.io/grafana/loki', tag: '3.7.0' },
  // The last Promtail line: Promtail is end-of-life since 2026-03-02 and its code left the Loki repository in 3.7.
  promtail: { repository: 'docker.io/grafana/promtail', tag: '3.6.0' },
  alloy: { repository: 'docker.io/grafana/alloy', tag: 'v1.11.0' },
  // Unmaintained since 2024; the OpenTelemetry Collector's k8sobjects receiver is the maintained alternative.
  // v1.6.1 is the newest release published as a Go module, so the tested binary equals the image.
  kubeEventExporter: { repository: 'ghcr.io/resmoio/kubernetes-event-exporter', tag: 'v1.6.1' },
  // The applications' shared database is PostgreSQL 17; pin the minor so a restart never upgrades it.
  postgres: { repository: 'docker.io/library/postgres', tag: '17.6' },
  // v0.19.1 is the newest release the Go module proxy serves, so the tested binary equals the image.
  postgresExporter: { repository: 'quay.io/prometheuscommunity/postgres-exporter', tag: 'v0.19.1' },
  // VictoriaMetrics: one release for every binary, so they upgrade together.
  victoriaMetrics: { repository: 'docker.io/victoriametrics/victoria-metrics', tag: 'v1.151.0' },
  vmagent: { repository: 'docker.io/victoriametrics/vmagent', tag: 'v1.151.0' },
  vmalert: { repository: 'docker.io/victoriametrics/vmalert', tag: 'v1.151.0' },
  // The cluster binaries are published under -cluster tags of their own repositories.
  vminsert: { repository: 'docker.io/victoriametrics/vminsert', tag: 'v1.151.0-cluster' },
  vmselect: { repository: 'docker.io/victoriametrics/vmselect', tag: 'v1.151.0-cluster' },
  vmstorage: { repository: 'docker.io/victoriametrics/vmstorage', tag: 'v1.151.0-cluster' },
} as const satisfies Record<string, ImageRef>;

export function imageName(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

/** The version label value: the tag without a leading `v`. */
export function imageVersion(image: ImageRef): string {
  return image.tag.replace(/^v/, '');
}
