import { z } from 'zod';
import { duration, resources, size, storage, withDefault } from '../../config/fields';
import { PROMETHEUS_DEFAULTS } from './prometheus';

export const prometheusConfig = z
  .strictObject({
    scrapeInterval: duration('15s')
      .optional()
      .describe('Deprecated: the same as metrics.scrapeInterval, which every backend shares; synth warns and reads it that way.'),
    evaluationInterval: duration('30s')
      .optional()
      .describe('Deprecated: the same as metrics.evaluationInterval, which every backend shares; synth warns and reads it that way.'),
    retention: withDefault(
      duration(PROMETHEUS_DEFAULTS.retention),
      PROMETHEUS_DEFAULTS.retention,
      'How long samples are kept (storage.tsdb.retention.time in prometheus.yml).',
    ),
    retentionSize: withDefault(
      size(PROMETHEUS_DEFAULTS.retentionSize),
      PROMETHEUS_DEFAULTS.retentionSize,
      'Upper bound on the TSDB size (storage.tsdb.retention.size in prometheus.yml), so a full disk can never happen. ' +
        'Must leave at least 20% of storage.size free for compaction.',
    ),
    storage: storage(PROMETHEUS_DEFAULTS.storageSize, 'The TSDB volume.', 'on the default StorageClass'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Prometheus, the metrics backend.');

export type PrometheusConfig = z.output<typeof prometheusConfig>;

/**
 * The settings that only a Prometheus of this stack reads, as paths under `prometheus`: with another metrics
 * store, or on an agent cluster, synth refuses them instead of ignoring them. (`storage.storageClassName` is not
 * one: vmagent's buffer volume uses it too.)
 */
export const PROMETHEUS_ONLY_SETTINGS: readonly (readonly string[])[] = [['retention'], ['retentionSize'], ['resources'], ['storage', 'size']];
