import { z } from 'zod';
import { duration, resources, storage, withDefault } from '../../config/fields';
import { OTEL_COLLECTOR_DEFAULTS } from './otel-collector';

export const otelCollectorConfig = z
  .strictObject({
    agent: z
      .strictObject({
        enabled: withDefault(
          z.boolean(),
          false,
          'Also run a collector on every node (a DaemonSet with host ports 4317/4318 in namespaces.nodeAgents) that forwards ' +
            'to the gateway, so services can send to their node.',
          '(services send to the gateway Service)',
        ),
        resources: resources.optional(),
      })
      .prefault({})
      .describe('The optional per-node agent collector.'),
    queueStorage: storage(
      OTEL_COLLECTOR_DEFAULTS.queueStorageSize,
      "The gateway's persistent sending queue (file_storage), so a backend outage delays data instead of losing it.",
    ),
    replicas: withDefault(
      z.number().int().min(1, { error: 'expected 1 to 20 replicas' }).max(20, { error: 'expected 1 to 20 replicas' }),
      OTEL_COLLECTOR_DEFAULTS.replicas,
      'Gateway replicas. Above 1 the gateway becomes a StatefulSet (one queue volume per replica) and traces are load-balanced ' +
        'by trace ID to the tail-sampling tier (otelCollector.tailSampling, then required).',
    ),
    tailSampling: z
      .strictObject({
        replicas: withDefault(
          z.number().int().min(1, { error: 'expected 1 to 20 replicas' }).max(20, { error: 'expected 1 to 20 replicas' }),
          2,
          'Replicas of the tail-sampling tier; every span of a trace reaches the same one.',
        ),
        decisionWait: withDefault(
          duration('10s'),
          '10s',
          'How long a trace is held before its sampling decision (decision_wait). It must cover how far apart the spans of ' +
            "one trace reach the tier: the services' SDK export delay (5 s by default), a second of batching per collector and " +
            'the trace itself; a span arriving later shares the decision made without it.',
        ),
        keepPercentage: withDefault(
          z.number().min(0, { error: 'expected a percentage from 0 to 100' }).max(100, { error: 'expected a percentage from 0 to 100' }),
          10,
          'Share of ordinary traces kept; traces with an error or slower than slo.latency.thresholdMs are always kept.',
        ),
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
