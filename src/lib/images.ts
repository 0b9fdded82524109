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
  kubeStateMetrics: { repository: 'registry.k8s.io/kube-state-metrics/kube-state-metrics', tag: 'v2.19.0' },
  nodeExporter: { repository: 'quay.io/prometheus/node-exporter', tag: 'v1.12.0' },
  grafana: { repository: 'docker.io/grafana/grafana', tag: '13.0.1' },
  // The seeds' shared database is PostgreSQL 17; pin the minor so a restart never upgrades it.
  postgres: { repository: 'docker.io/library/postgres', tag: '17.6' },
  postgresExporter: { repository: 'quay.io/prometheuscommunity/postgres-exporter', tag: 'v0.20.1' },
} as const satisfies Record<string, ImageRef>;

export function imageName(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

/** The version label value: the tag without a leading `v`. */
export function imageVersion(image: ImageRef): string {
  return image.tag.replace(/^v/, '');
}
