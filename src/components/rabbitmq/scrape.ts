import { APP_LABEL_RELABEL, POD_TARGET_LABELS, ScrapeJob } from '../../lib/scrape';

/**
 * RabbitMQ's built-in Prometheus endpoint (the rabbitmq_prometheus plugin,
 * port 15692). `/metrics` aggregates over all queues; `/metrics/detailed`
 * returns the chosen metric families per object, with `vhost` and `queue`
 * labels, without switching the whole endpoint to per-object metrics (which
 * RabbitMQ's docs warn is expensive on large brokers).
 */
export const RABBITMQ_PROMETHEUS_PORT = 15692;
export const RABBITMQ_JOB = 'rabbitmq';

/** The families the dashboard and the saga alerts read, and nothing more. */
export const RABBITMQ_FAMILIES = [
  'queue_coarse_metrics', // ready, unacked, depth
  'queue_consumer_count', // consumers
  'queue_metrics', // consumer utilisation
  'channel_queue_metrics', // delivered and acked, per channel and queue
  'channel_queue_exchange_metrics', // published, per channel, queue and exchange
] as const;

/** Series kept from those families: the rest of queue_metrics (bytes, RAM, paging) is not read anywhere. */
export const RABBITMQ_METRICS = {
  ready: 'rabbitmq_detailed_queue_messages_ready',
  unacked: 'rabbitmq_detailed_queue_messages_unacked',
  depth: 'rabbitmq_detailed_queue_messages',
  consumers: 'rabbitmq_detailed_queue_consumers',
  utilisation: 'rabbitmq_detailed_queue_consumer_utilisation',
  delivered: 'rabbitmq_detailed_channel_messages_delivered_ack_total',
  deliveredNoAck: 'rabbitmq_detailed_channel_messages_delivered_total',
  acked: 'rabbitmq_detailed_channel_messages_acked_total',
  // This family names the queue's vhost `queue_vhost`, not `vhost`.
  published: 'rabbitmq_detailed_queue_messages_published_total',
} as const;

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface RabbitmqScrapeOptions {
  readonly brokers: ReadonlyArray<{ readonly name: string; readonly namespace: string }>;
  /** The environment's vhost: only its queues are kept (like QA's own `/qa`). */
  readonly vhost: string;
}

/**
 * One job for every broker the config declares, found by namespace and `app`
 * label. The `vhost` parameter filters the queue families on the broker, but
 * RabbitMQ 3.10 still returns the channel families of every vhost, so the
 * vhost is enforced again on the labels: an environment never stores another
 * environment's queues, whatever the broker sends.
 */
export function rabbitmqScrapeJob(opts: RabbitmqScrapeOptions): ScrapeJob {
  const vhost = regexEscape(opts.vhost);
  return {
    job_name: RABBITMQ_JOB,
    metrics_path: '/metrics/detailed',
    params: { family: [...RABBITMQ_FAMILIES], vhost: [opts.vhost] },
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [...new Set(opts.brokers.map((b) => b.namespace))].sort() } }],
    relabel_configs: [
      ...APP_LABEL_RELABEL,
      {
        source_labels: ['__meta_kubernetes_namespace', 'app'],
        separator: '/',
        regex: opts.brokers.map((b) => `${b.namespace}/${regexEscape(b.name)}`).join('|'),
        action: 'keep',
      },
      { source_labels: ['__meta_kubernetes_pod_container_port_number'], regex: String(RABBITMQ_PROMETHEUS_PORT), action: 'keep' },
      ...POD_TARGET_LABELS,
    ],
    metric_relabel_configs: [
      { source_labels: ['__name__'], regex: Object.values(RABBITMQ_METRICS).join('|'), action: 'keep' },
      // Each kept series has exactly one of the two labels; the other is empty.
      { source_labels: ['vhost', 'queue_vhost'], separator: ';', regex: `${vhost};|;${vhost}`, action: 'keep' },
    ],
  };
}
