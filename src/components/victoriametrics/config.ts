import { z } from 'zod';
import { duration, replicaCount, resources, storage, withDefault } from '../../config/fields';
import { PROMETHEUS_DEFAULTS } from '../prometheus/prometheus';
import { prometheusOperatorConfig } from '../prometheus-operator/config';
import { VICTORIA_METRICS_DEFAULTS } from './victoriametrics';

export const metricsConfig = z
  .strictObject({
    backend: withDefault(
      z.enum(['prometheus', 'victoriametrics', 'victoriametrics-cluster', 'prometheus-operator']),
      'prometheus',
      'The metrics store: "prometheus" (one Prometheus on a volume, the single-node default); "victoriametrics" (one ' +
        'VictoriaMetrics node) or "victoriametrics-cluster" (vminsert, vmselect, vmstorage). With VictoriaMetrics, vmagent ' +
        'scrapes the same jobs (metrics.scrapeInterval) and vmalert evaluates the same rules (metrics.evaluationInterval), ' +
        'sending alerts to the Alertmanager of alerting.engine "prometheus"; "prometheus-operator" (add to a Prometheus ' +
        'Operator stack the cluster already runs, such as kube-prometheus-stack: PrometheusRules, PodMonitors and ' +
        "dashboard ConfigMaps for its Prometheus and Grafana's sidecar, and no Prometheus, Alertmanager or Grafana of this stack).",
    ),
    scrapeInterval: withDefault(
      duration(PROMETHEUS_DEFAULTS.scrapeInterval),
      PROMETHEUS_DEFAULTS.scrapeInterval,
      "How often every target is scraped, by Prometheus or vmagent; also Grafana's minimum query step.",
    ),
    evaluationInterval: withDefault(
      duration(PROMETHEUS_DEFAULTS.evaluationInterval),
      PROMETHEUS_DEFAULTS.evaluationInterval,
      'How often rule groups are evaluated, by Prometheus, vmalert or Grafana (alerting.engine "grafana").',
    ),
    victoriaMetrics: z
      .strictObject({
        retention: withDefault(
          duration(VICTORIA_METRICS_DEFAULTS.retention),
          VICTORIA_METRICS_DEFAULTS.retention,
          'How long samples are kept (-retentionPeriod).',
        ),
        storage: storage(VICTORIA_METRICS_DEFAULTS.storageSize, 'Volume of the single node, or of each vmstorage replica.'),
        replicationFactor: withDefault(
          z
            .number()
            .int()
            .min(1, { error: 'expected a replication factor of 1 to 5' })
            .max(5, { error: 'expected a replication factor of 1 to 5' }),
          VICTORIA_METRICS_DEFAULTS.replicationFactor,
          'Copies of every sample across vmstorage nodes (-replicationFactor on vminsert and vmselect); the cluster ' +
            'survives replicationFactor-1 lost nodes. Cluster only.',
        ),
        vmstorage: withDefault(
          replicaCount('vmstorage', 1, 100),
          VICTORIA_METRICS_DEFAULTS.vmstorageReplicas,
          'vmstorage replicas (cluster only).',
        ),
        vminsert: withDefault(replicaCount('vminsert', 1, 50), VICTORIA_METRICS_DEFAULTS.vminsertReplicas, 'vminsert replicas (cluster only).'),
        vmselect: withDefault(replicaCount('vmselect', 1, 50), VICTORIA_METRICS_DEFAULTS.vmselectReplicas, 'vmselect replicas (cluster only).'),
        resources: resources.optional().describe('Single node, or each vmstorage. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('VictoriaMetrics settings, used with backend victoriametrics or victoriametrics-cluster.'),
    prometheusOperator: prometheusOperatorConfig,
  })
  .prefault({})
  .describe('The metrics backend: Prometheus, VictoriaMetrics single-node or cluster, or a Prometheus Operator stack already running.');

export type MetricsConfig = z.output<typeof metricsConfig>;
