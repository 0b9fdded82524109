import { z } from 'zod';
import { resources, withDefault } from '../../config/fields';
import { EVENT_EXPORTER_DEFAULTS } from './event-exporter';

export const eventExporterConfig = z
  .strictObject({
    enabled: withDefault(z.boolean(), true, 'Ship Kubernetes Warning events to Loki.'),
    replicas: withDefault(
      z
        .number()
        .int({ error: 'expected 1 or 2 replicas' })
        .min(1, { error: 'expected 1 or 2 replicas' })
        .max(2, { error: 'expected 1 or 2 replicas' }),
      EVENT_EXPORTER_DEFAULTS.replicas,
      'Replicas; with 2 a standby takes over through leader election.',
    ),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('kubernetes-event-exporter (resmoio): Warning events into Loki under {job="kube-event-exporter"}.');

export type EventExporterConfig = z.output<typeof eventExporterConfig>;
