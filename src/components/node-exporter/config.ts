import { z } from 'zod';
import { resources, withDefault } from '../../config/fields';
import { NODE_EXPORTER_DEFAULTS } from './node-exporter';

export const nodeExporterConfig = z
  .strictObject({
    port: withDefault(
      z
        .number()
        .int()
        .min(1024, { error: 'expected a port from 1024 to 65535' })
        .max(65535, { error: 'expected a port from 1024 to 65535' }),
      NODE_EXPORTER_DEFAULTS.port,
      'Host port node-exporter listens on (it uses the host network).',
    ),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('node-exporter: CPU, memory, disk and network of every node.');

export type NodeExporterConfig = z.output<typeof nodeExporterConfig>;
