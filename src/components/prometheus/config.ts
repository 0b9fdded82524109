import { z } from 'zod';
import { duration, resources, size, storage } from '../../config/fields';

export const prometheusConfig = z
  .strictObject({
    scrapeInterval: duration('15s')
      .optional()
      .describe('Deprecated: the same as metrics.scrapeInterval, which every backend shares; synth warns and reads it that way.'),
    evaluationInterval: duration('30s')
      .optional()
      .describe('Deprecated: the same as metrics.evaluationInterval, which every backend shares; synth warns and reads it that way.'),
    retention: duration('15d').default('15d').describe('How long samples are kept (storage.tsdb.retention.time in prometheus.yml). Default: 15d.'),
    retentionSize: size('16Gi')
      .default('16Gi')
      .describe(
        'Upper bound on the TSDB size (storage.tsdb.retention.size in prometheus.yml), so a full disk can never happen. ' +
          'Must leave at least 20% of storage.size free for compaction. Default: 16Gi.',
      ),
    storage: storage('20Gi').describe('The TSDB volume. Default: 20Gi on the default StorageClass.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Prometheus, the metrics backend.');

export type PrometheusConfig = z.output<typeof prometheusConfig>;
