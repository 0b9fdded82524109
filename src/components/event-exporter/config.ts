import { z } from 'zod';
import { resources } from '../../config/fields';

export const eventExporterConfig = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Ship Kubernetes Warning events to Loki. Default: true.'),
    replicas: z
      .number()
      .int({ error: 'expected 1 or 2 replicas' })
      .min(1, { error: 'expected 1 or 2 replicas' })
      .max(2, { error: 'expected 1 or 2 replicas' })
      .default(2)
      .describe('Replicas; with 2 a standby takes over through leader election. Default: 2.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('kubernetes-event-exporter (resmoio): Warning events into Loki under {job="kube-event-exporter"}.');

export type EventExporterConfig = z.output<typeof eventExporterConfig>;
