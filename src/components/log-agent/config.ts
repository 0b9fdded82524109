import { z } from 'zod';
import { resources } from '../../config/fields';

/** Which node log agent runs. */
export const logAgentConfig = z
  .enum(['promtail', 'alloy'], { error: 'expected "promtail" or "alloy"' })
  .default('promtail')
  .describe(
    'The node log agent. Both run the same pipeline. Promtail is what the design names, but it is end-of-life since ' +
      '2026-03-02 (last image line 3.6.x); Grafana Alloy is its maintained successor. Default: promtail.',
  );

/** The log agent's CPU and memory. */
export const logAgentResources = resources
  .optional()
  .describe('The log agent\'s CPU and memory. Default: 50m/128Mi requests, 500m/256Mi limits.');

export type LogAgentConfig = z.output<typeof logAgentConfig>;
