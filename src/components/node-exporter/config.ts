import { z } from 'zod';
import { resources } from '../../config/fields';

export const nodeExporterConfig = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(1024, { error: 'expected a port from 1024 to 65535' })
      .max(65535, { error: 'expected a port from 1024 to 65535' })
      .default(9100)
      .describe('Host port node-exporter listens on (it uses the host network). Default: 9100.'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('node-exporter: CPU, memory, disk and network of every node.');

export type NodeExporterConfig = z.output<typeof nodeExporterConfig>;
