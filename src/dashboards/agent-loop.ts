import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { GEN_AI, LLM_METRICS, promLabel, STATUS_ERROR, STATUS_LABEL } from '../components/otel-collector/llm-metrics';
import { GridLayout, jaegerSearchPanel, logsPanel, lokiTimeseriesPanel, newDashboard, timeseriesPanel } from '../kit/presets';

/**
 * The fields of the AI service's JSON logs this dashboard reads. The service has
 * six layers (HTTP handler, agent loop, LLM clients, cache, guardrails,
 * tools) and the `traceID` field, but not the field names of the layer and
 * outcomes; these are the platform's convention, kept in one place so a
 * service that logs differently changes one line.
 */
export const AGENT_LOG_FIELDS = {
  layer: 'layer',
  tool: 'tool',
  cacheResult: 'cache',
  guardrailOutcome: 'outcome',
} as const;

/** The AI service's agent loop: requests and LLM round-trips, tool calls, cache and guardrails from Loki, provider spans from Jaeger. */
export function agentLoopDashboard(opts: { service: string; namespace: string }): DashboardBuilder {
  const grid = new GridLayout();
  const F = AGENT_LOG_FIELDS;
  const stream = `{app="${opts.service}"} | json`;
  const provider = promLabel(GEN_AI.provider);
  const model = promLabel(GEN_AI.model);
  // The LLM series carry the span's resource: service.name as service_name (llm-metrics.ts).
  const llm = `service_name="${opts.service}"`;
  const count = (layer: string, by?: string) =>
    `sum${by ? ` by (${by})` : ''} (count_over_time(${stream} | ${F.layer}="${layer}" [$__auto]))`;
  return newDashboard({
    uid: 'agent-loop',
    title: 'Agent loop',
    tags: ['services', 'ai', 'agent'],
    description: `${opts.service}: requests, LLM round-trips, tool calls, cache and guardrail outcomes, and openai.chat / anthropic.chat spans with latency, tokens and errors per provider.`,
  })
    .withPanel(
      timeseriesPanel({
        title: 'Agent requests per second',
        unit: 'reqps',
        targets: [
          {
            expr: `sum by (code) (rate(http_requests_total{namespace="${opts.namespace}", app="${opts.service}"}[$__rate_interval]))`,
            legend: '{{code}}',
          },
        ],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'LLM round-trips',
        description: 'One log line per LLM client call; a request typically makes 3-8 of them.',
        targets: [{ expr: count('llm'), legend: 'round-trips' }],
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Tool calls by tool',
        targets: [{ expr: count('tool', F.tool), legend: `{{${F.tool}}}` }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Cache hits and misses',
        targets: [{ expr: count('cache', F.cacheResult), legend: `{{${F.cacheResult}}}` }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      lokiTimeseriesPanel({
        title: 'Guardrail outcomes',
        targets: [{ expr: count('guardrail', F.guardrailOutcome), legend: `{{${F.guardrailOutcome}}}` }],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Latency by provider (p95)',
        description: 'From the openai.chat / anthropic.chat spans, by the collector gateway (spanmetrics), per provider and model.',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (le, ${provider}, ${model}) (rate(${LLM_METRICS.duration}_bucket{${llm}}[$__rate_interval])))`,
            legend: `{{${provider}}} {{${model}}}`,
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Tokens by provider',
        description: 'gen_ai.usage.input_tokens and output_tokens of the LLM call spans, per second.',
        unit: 'short',
        targets: [
          { expr: `sum by (${provider}, ${model}) (rate(${LLM_METRICS.inputTokens}{${llm}}[$__rate_interval]))`, legend: `{{${provider}}} {{${model}}} input` },
          { expr: `sum by (${provider}, ${model}) (rate(${LLM_METRICS.outputTokens}{${llm}}[$__rate_interval]))`, legend: `{{${provider}}} {{${model}}} output` },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      timeseriesPanel({
        title: 'Errors by provider',
        description: 'Share of LLM calls whose span ended with an error status, per provider and model.',
        unit: 'percentunit',
        targets: [
          {
            expr:
              `sum by (${provider}, ${model}) (rate(${LLM_METRICS.calls}{${llm}, ${STATUS_LABEL}="${STATUS_ERROR}"}[$__rate_interval]))` +
              ` / sum by (${provider}, ${model}) (rate(${LLM_METRICS.calls}{${llm}}[$__rate_interval]))`,
            legend: `{{${provider}}} {{${model}}}`,
          },
        ],
        gridPos: grid.place(8, 8),
      }),
    )
    .withPanel(
      jaegerSearchPanel({
        title: 'OpenAI calls (openai.chat spans)',
        service: opts.service,
        operation: 'openai.chat',
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      jaegerSearchPanel({
        title: 'Anthropic calls (anthropic.chat spans)',
        service: opts.service,
        operation: 'anthropic.chat',
        gridPos: grid.place(12, 8),
      }),
    )
    .withPanel(
      logsPanel({
        title: 'Agent errors',
        description: 'Every line carries the OTel traceID; `| traceID="..."` on this stream shows one request end to end.',
        targets: [{ expr: `${stream} | level=~"(?i)error"` }],
        gridPos: grid.place(24, 10),
      }),
    );
}
