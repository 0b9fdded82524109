/**
 * LLM provider comparison from spans. The AI service's `openai.chat` and
 * `anthropic.chat` spans carry the OpenTelemetry GenAI attributes
 * (`gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`,
 * `gen_ai.usage.output_tokens`); the gateway turns them into metrics, so
 * providers and models can be compared on latency, errors and tokens without
 * opening traces. The gateway sees every span before tail sampling, so the
 * figures are not thinned by it.
 *
 * - `span_metrics` (the spanmetrics connector) gives calls (with the span's
 *   status, so errors) and a latency histogram per provider and model.
 * - `signal_to_metrics` sums the token attributes, which spanmetrics cannot
 *   (it counts spans and measures durations, it never reads a numeric
 *   attribute). It emits delta sums, which remote write refuses, so
 *   `deltatocumulative` turns them into the cumulative counters Prometheus expects.
 * - A filter keeps only spans with `gen_ai.provider.name`: every other span
 *   would otherwise become series too, one set per span name of every service.
 *
 * Names and labels are declared here once; the gateway config, the metric
 * catalogue and the agent-loop dashboard read them.
 */

/** The GenAI semantic-convention attributes (semconv 1.37+: `gen_ai.provider.name` replaced `gen_ai.system`). */
export const GEN_AI = {
  provider: 'gen_ai.provider.name',
  model: 'gen_ai.request.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** An attribute's name as a Prometheus label: remote write replaces the dots. */
export const promLabel = (attribute: string) => attribute.replace(/\./g, '_');

/** spanmetrics' metric prefix: `llm.calls`, `llm.duration`. */
const NAMESPACE = 'llm';

/**
 * The series as Prometheus stores them (remote write adds the unit and `_total`):
 * `llm_calls_total`, `llm_duration_seconds_{bucket,sum,count}`, `llm_input_tokens_total`, `llm_output_tokens_total`.
 */
export const LLM_METRICS = {
  calls: 'llm_calls_total',
  /** Histogram base name. */
  duration: 'llm_duration_seconds',
  inputTokens: 'llm_input_tokens_total',
  outputTokens: 'llm_output_tokens_total',
} as const;

/** The span's status as spanmetrics labels it; an error is `STATUS_CODE_ERROR`. */
export const STATUS_LABEL = 'status_code';
export const STATUS_ERROR = 'STATUS_CODE_ERROR';

/** Labels every LLM series carries from its span: provider and model. */
export const LLM_SPAN_LABELS = [promLabel(GEN_AI.provider), promLabel(GEN_AI.model)] as const;
/** spanmetrics' own dimensions besides the configured ones. */
export const SPANMETRICS_LABELS = ['service_name', 'span_name', 'span_kind', STATUS_LABEL] as const;

/**
 * The resource attributes kept on the token sums (and present on the spanmetrics
 * series): the service and the environment the gateway stamps. Remote write maps
 * `service.name` to `job`, and `service.instance.id` to `instance`, as well.
 */
export const LLM_RESOURCE_ATTRIBUTES = ['service.name', 'service.instance.id', 'deployment.environment'] as const;

/**
 * The label each connector adds naming the collector that computed the series, so several gateway replicas
 * write distinct series instead of clashing on one (seen on the real collector).
 */
export const SPANMETRICS_COLLECTOR_LABEL = 'collector_instance_id';
export const TOKENS_COLLECTOR_LABEL = 'signal_to_metrics_service_instance_id';

export const FILTER_ID = 'filter/llm-spans';
export const SPANMETRICS_ID = 'span_metrics/llm';
export const TOKENS_ID = 'signal_to_metrics/llm-tokens';
export const DELTA_TO_CUMULATIVE_ID = 'delta_to_cumulative';

/** Drops every span that is not an LLM call; the pipeline it sits in feeds only the LLM metrics. */
export function llmSpanFilter() {
  return { error_mode: 'ignore', trace_conditions: [`span.attributes["${GEN_AI.provider}"] == nil`] };
}

/**
 * Calls and latency per provider and model. Latency buckets fit LLM calls (a
 * fraction of a second to a minute), not spanmetrics' default, which stops at 15 s.
 */
export function llmSpanMetrics() {
  return {
    namespace: NAMESPACE,
    dimensions: [{ name: GEN_AI.provider }, { name: GEN_AI.model }],
    histogram: { unit: 's', explicit: { buckets: ['250ms', '500ms', '1s', '2s', '4s', '8s', '15s', '30s', '60s', '120s'] } },
    // Cumulative, as remote write needs; a model that stops being called is forgotten after 10 minutes.
    aggregation_temporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
    // The default (60 s) would leave a rate over a short dashboard range with a single sample.
    metrics_flush_interval: '15s',
    metrics_expiration: '10m',
    // A bound on the series a misbehaving client can create (one per provider x model x status per service).
    aggregation_cardinality_limit: 2000,
  };
}

/** Input and output tokens summed per provider and model, from the span's usage attributes. */
export function llmTokenMetrics() {
  const attributes = [{ key: GEN_AI.provider }, { key: GEN_AI.model }];
  const include_resource_attributes = LLM_RESOURCE_ATTRIBUTES.map((key) => ({ key }));
  const tokens = (name: string, attribute: string) => ({
    name,
    description: `Tokens counted in ${attribute} of LLM call spans`,
    unit: '{token}',
    include_resource_attributes,
    attributes,
    conditions: [`span.attributes["${attribute}"] != nil`],
    sum: { value: `Int(span.attributes["${attribute}"])`, monotonic: true },
  });
  return {
    // A span whose token attribute is not a number is skipped and logged, not the whole batch.
    error_mode: 'ignore',
    spans: [tokens(`${NAMESPACE}.input_tokens`, GEN_AI.inputTokens), tokens(`${NAMESPACE}.output_tokens`, GEN_AI.outputTokens)],
  };
}

/** The token sums arrive as deltas; the streams idle for 10 minutes are dropped, like spanmetrics' expiry. */
export function deltaToCumulative() {
  return { max_stale: '10m' };
}
