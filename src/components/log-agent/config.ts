import { z } from 'zod';
import { resources, withDefault } from '../../config/fields';
import { LOG_AGENT_DEFAULTS } from './log-agent';

/** Which node log agent runs. */
export const logAgentConfig = withDefault(
  z.enum(['promtail', 'alloy'], { error: 'expected "promtail" or "alloy"' }),
  LOG_AGENT_DEFAULTS.agent,
  'The node log agent. Both run the same pipeline. Promtail is what the design names, but it is end-of-life since ' +
    '2026-03-02 (last image line 3.6.x); Grafana Alloy is its maintained successor.',
);

/** The log agent's CPU and memory. */
export const logAgentResources = resources
  .optional()
  .describe('The log agent\'s CPU and memory. Default: 50m/128Mi requests, 500m/256Mi limits.');

export type LogAgentConfig = z.output<typeof logAgentConfig>;
