import { z } from 'zod';
import { duration, replicaCount, resources, storage } from '../../config/fields';
import { PROMETHEUS_DEFAULTS } from '../prometheus/prometheus';

export const metricsConfig = z
  .strictObject({
    backend: z
      .enum(['prometheus', 'victoriametrics', 'victoriametrics-cluster'])
      .default('prometheus')
      .describe(
        'The metrics store: "prometheus" (one Prometheus on a volume, the single-node default); "victoriametrics" (one ' +
          'VictoriaMetrics node) or "victoriametrics-cluster" (vminsert, vmselect, vmstorage). With VictoriaMetrics, vmagent ' +
          'scrapes the same jobs (metrics.scrapeInterval) and vmalert evaluates the same rules (metrics.evaluationInterval), ' +
          'sending alerts to the Alertmanager of alerting.engine "prometheus". ' +
          'Default: prometheus.',
      ),
    scrapeInterval: duration('15s')
      .default(PROMETHEUS_DEFAULTS.scrapeInterval)
      .describe(
        "How often every target is scraped, by Prometheus or vmagent; also Grafana's minimum query step. " +
          `Default: ${PROMETHEUS_DEFAULTS.scrapeInterval}.`,
      ),
    evaluationInterval: duration('30s')
      .default(PROMETHEUS_DEFAULTS.evaluationInterval)
      .describe(
        'How often rule groups are evaluated, by Prometheus, vmalert or Grafana (alerting.engine "grafana"). ' +
          `Default: ${PROMETHEUS_DEFAULTS.evaluationInterval}.`,
      ),
    victoriaMetrics: z
      .strictObject({
        retention: duration('30d')
          .default('30d')
          .describe('How long samples are kept (-retentionPeriod). Default: 30d.'),
        storage: storage('50Gi').describe('Volume of the single node, or of each vmstorage replica. Default: 50Gi.'),
        replicationFactor: z
          .number()
          .int()
          .min(1, { error: 'expected a replication factor of 1 to 5' })
          .max(5, { error: 'expected a replication factor of 1 to 5' })
          .default(2)
          .describe(
            'Copies of every sample across vmstorage nodes (-replicationFactor on vminsert and vmselect); the cluster ' +
              'survives replicationFactor-1 lost nodes. Cluster only. Default: 2.',
          ),
        vmstorage: replicaCount('vmstorage', 1, 100, 3).describe('vmstorage replicas (cluster only). Default: 3.'),
        vminsert: replicaCount('vminsert', 1, 50, 2).describe('vminsert replicas (cluster only). Default: 2.'),
        vmselect: replicaCount('vmselect', 1, 50, 2).describe('vmselect replicas (cluster only). Default: 2.'),
        resources: resources.optional().describe('Single node, or each vmstorage. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('VictoriaMetrics settings, used with backend victoriametrics or victoriametrics-cluster.'),
  })
  .prefault({})
  .describe('The metrics backend: Prometheus, or VictoriaMetrics single-node or cluster.');

export type MetricsConfig = z.output<typeof metricsConfig>;
