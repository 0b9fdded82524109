import { z } from 'zod';
import { duration, resources, storage } from '../../config/fields';

export const otelCollectorConfig = z
  .strictObject({
    agent: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Also run a collector on every node (a DaemonSet with host ports 4317/4318 in namespaces.nodeAgents) that forwards ' +
              'to the gateway, so services can send to their node. Default: false (services send to the gateway Service).',
          ),
        resources: resources.optional(),
      })
      .prefault({})
      .describe('The optional per-node agent collector.'),
    queueStorage: storage('2Gi').describe(
      "The gateway's persistent sending queue (file_storage), so a backend outage delays data instead of losing it. Default: 2Gi.",
    ),
    replicas: z
      .number()
      .int()
      .min(1, { error: 'expected 1 to 20 replicas' })
      .max(20, { error: 'expected 1 to 20 replicas' })
      .default(1)
      .describe(
        'Gateway replicas. Above 1 the gateway becomes a StatefulSet (one queue volume per replica) and traces are load-balanced ' +
          'by trace ID to the tail-sampling tier (otelCollector.tailSampling, then required). Default: 1.',
      ),
    tailSampling: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(1, { error: 'expected 1 to 20 replicas' })
          .max(20, { error: 'expected 1 to 20 replicas' })
          .default(2)
          .describe('Replicas of the tail-sampling tier; every span of a trace reaches the same one. Default: 2.'),
        decisionWait: duration('10s')
          .default('10s')
          .describe('How long a trace is held before its sampling decision (decision_wait). Default: 10s.'),
        keepPercentage: z
          .number()
          .min(0, { error: 'expected a percentage from 0 to 100' })
          .max(100, { error: 'expected a percentage from 0 to 100' })
          .default(10)
          .describe('Share of ordinary traces kept; traces with an error or slower than slo.latency.thresholdMs are always kept. Default: 10.'),
        resources: resources.optional(),
      })
      .optional()
      .describe(
        'A tail-sampling tier between the gateway and Jaeger (tail_sampling processor), fed by the load_balancing exporter ' +
          'with routing_key traceID through a headless Service. Default: none (every span is kept).',
      ),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('The OpenTelemetry Collector gateway that services send OTLP to: metrics, logs and traces.');

export type OtelCollectorConfig = z.output<typeof otelCollectorConfig>;
