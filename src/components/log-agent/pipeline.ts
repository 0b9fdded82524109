import { APP_LABEL_RELABEL, RelabelConfig } from '../../lib/scrape';

/**
 * The log pipeline, described once as data and rendered for both agents
 * (Promtail's `pipeline_stages` and Alloy's `loki.process` stages), so
 * switching `logs.agent` never changes what reaches Loki. The same data drives
 * the TypeScript simulation in `simulate.ts` that the tests run sample lines through.
 *
 * Label discipline (Loki indexes only labels, so they stay few: namespace, pod, level and the like):
 * every stream label comes from STREAM_LABELS, and the last stage keeps only
 * those, whatever an earlier stage or the agent itself (`filename`, `stream`)
 * added. A trace id is per request, so it goes to structured metadata, never
 * to a label: a label per trace would create a stream per request.
 */

/** The only stream labels that reach Loki: all bounded by the number of workloads, never by traffic. */
export const STREAM_LABELS = ['namespace', 'pod', 'container', 'app', 'level', 'job'] as const;
export type StreamLabel = (typeof STREAM_LABELS)[number];

/** Per-line values kept beside the line (Loki structured metadata), queryable without a parser. */
export const STRUCTURED_METADATA = ['trace_id'] as const;

/** The `job` label of container logs; Kubernetes events use `kube-event-exporter`. */
export const POD_LOGS_JOB = 'kubernetes-pods';

/** Where the kubelet writes container logs (CRI format), one directory per pod. */
export const POD_LOG_DIR = '/var/log/pods';

export type Stage =
  | { readonly kind: 'cri' }
  | { readonly kind: 'multiline'; readonly firstline: string; readonly maxWaitTime: string; readonly maxLines: number }
  | { readonly kind: 'match'; readonly selector: string; readonly stages: readonly Stage[] }
  /** Go RE2 syntax with `(?P<name>...)` groups, as both agents take it. */
  | { readonly kind: 'regex'; readonly expression: string; readonly source?: string }
  /** Extracted name -> JMESPath expression. */
  | { readonly kind: 'json'; readonly expressions: Readonly<Record<string, string>>; readonly source?: string }
  /**
   * A Go template writing to `source`. The agents run `template`; the simulation
   * runs `simulate`, generated from the same table (see levelTemplate), because
   * there is no Go template engine in TypeScript.
   */
  | {
      readonly kind: 'template';
      readonly source: string;
      readonly template: string;
      readonly simulate: (extracted: Readonly<Record<string, string>>) => string;
    }
  | { readonly kind: 'output'; readonly source: string }
  /** Label name -> extracted name. */
  | { readonly kind: 'labels'; readonly values: Readonly<Record<string, string>> }
  | { readonly kind: 'structuredMetadata'; readonly values: Readonly<Record<string, string>> }
  | { readonly kind: 'labelKeep'; readonly values: readonly string[] };

/** Canonical level -> the spellings of Go slog, logstash-logback-encoder, PostgreSQL and friends (lower case). */
export const LEVEL_ALIASES: Readonly<Record<string, readonly string[]>> = {
  error: ['error', 'err', 'fatal', 'panic', 'critical', 'crit', 'severe', 'alert', 'emerg', 'emergency'],
  warn: ['warn', 'warning'],
  info: ['info', 'information', 'notice', 'log', 'statement', 'detail', 'hint'],
  debug: ['debug', 'trace', 'fine', 'finer', 'finest'],
};
/** What any other level, or none, becomes: the label's values stay a fixed set of five. */
export const UNKNOWN_LEVEL = 'unknown';
/** The `level` label's only values. */
export const LEVEL_VALUES = [...Object.keys(LEVEL_ALIASES), UNKNOWN_LEVEL];

/**
 * slog writes custom levels as `INFO+2`/`DEBUG-4` and PostgreSQL `DEBUG1`..`DEBUG5`:
 * everything from the first character that is not a letter is cut before mapping.
 */
const LEVEL_SUFFIX = '[^a-z].*$';

function normalizeLevel(raw: string | undefined): string {
  const l = (raw ?? '').toLowerCase().replace(new RegExp(LEVEL_SUFFIX), '');
  for (const [level, aliases] of Object.entries(LEVEL_ALIASES)) if (aliases.includes(l)) return level;
  return UNKNOWN_LEVEL;
}

/** The level mapping as a Go template for the agents' `template` stage. */
function levelTemplate(): string {
  const branches = Object.entries(LEVEL_ALIASES).map(([level, aliases], i) => {
    const test = `or ${aliases.map((a) => `(eq $l "${a}")`).join(' ')}`;
    return `{{- ${i === 0 ? 'if' : 'else if'} ${test} -}}${level}`;
  });
  return (
    '{{- $l := "" -}}' +
    `{{- if .level -}}{{- $l = regexReplaceAll "${LEVEL_SUFFIX}" (ToLower .level) "" -}}{{- end -}}` +
    branches.join('') +
    `{{- else -}}${UNKNOWN_LEVEL}{{- end -}}`
  );
}

/** PostgreSQL's auto_explain message: `duration: 612.345 ms  plan:` then the JSON plan on the following lines. */
const PLAN_MARKER = ' ms  plan:';

/**
 * The line an auto_explain plan becomes: one JSON document, so the plan viewer's
 * `|= "auto_explain" | json | query_id=~"$queryid"` works on it as written.
 * query_id stays a string: it is a signed 64-bit integer that a JSON number
 * (a double) would round.
 */
function planLine(e: Readonly<Record<string, string>>): string {
  return `{"source":"auto_explain","duration_ms":${e.duration_ms},"query_id":"${e.query_id ?? ''}","plan":${e.plan}}`;
}
const PLAN_TEMPLATE =
  '{"source":"auto_explain","duration_ms":{{ .duration_ms }},"query_id":"{{ if .query_id }}{{ .query_id }}{{ end }}","plan":{{ .plan }}}';

export interface PipelineOptions {
  /** Values of the `app` label whose logs are PostgreSQL stderr logs. */
  readonly postgresApps: readonly string[];
}

/** The pipeline every container log line goes through, in order. */
export function logPipeline(opts: PipelineOptions): Stage[] {
  const postgres = `{app=~"${opts.postgresApps.join('|')}"}`;
  return [
    { kind: 'cri' },
    {
      kind: 'match',
      selector: postgres,
      stages: [
        // PostgreSQL starts every continuation line of a multi-line message with a tab,
        // so a line that does not start with one begins a new entry. A JSON plan thus
        // becomes one entry instead of one per line.
        // Inside this match only: JSON apps never need it, and it holds back a stream's last line.
        { kind: 'multiline', firstline: '^[^\\t]', maxWaitTime: '3s', maxLines: 2000 },
        // The severity, written by PostgreSQL followed by a colon and two spaces.
        { kind: 'regex', expression: '\\b(?P<level>DEBUG[1-5]|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC):  ' },
        {
          kind: 'match',
          selector: `${postgres} |= "${PLAN_MARKER}"`,
          stages: [
            {
              kind: 'regex',
              expression: '(?s)duration: (?P<duration_ms>[0-9]+(?:\\.[0-9]+)?) ms  plan:\\s*(?P<plan>\\{.*\\})\\s*$',
            },
            // Present with compute_query_id and auto_explain.log_verbose, on PostgreSQL 16 and later.
            { kind: 'regex', source: 'plan', expression: '"Query Identifier": (?P<query_id>-?[0-9]+)' },
            { kind: 'template', source: 'auto_explain', template: PLAN_TEMPLATE, simulate: planLine },
            { kind: 'output', source: 'auto_explain' },
          ],
        },
      ],
    },
    // Go slog writes level/msg/trace_id; logstash-logback-encoder writes level/message and the MDC's traceId.
    // The line itself stays whole, so `| json` at query time still sees every field.
    {
      kind: 'json',
      expressions: { level: 'level', msg: 'msg || message', trace_id: 'traceID || trace_id || traceId' },
    },
    { kind: 'template', source: 'level', template: levelTemplate(), simulate: (e) => normalizeLevel(e.level) },
    { kind: 'labels', values: { level: 'level' } },
    { kind: 'structuredMetadata', values: { trace_id: 'trace_id' } },
    // Last: whatever an earlier stage or the agent added (filename, stream), only the allow-list reaches Loki.
    { kind: 'labelKeep', values: [...STREAM_LABELS] },
  ];
}

/**
 * Target labels from Kubernetes pod discovery. Prometheus' relabel_configs
 * vocabulary, which Promtail takes as is and Alloy's discovery.relabel as rules.
 */
export function podRelabelConfigs(): RelabelConfig[] {
  return [
    // Containers that will never write again have nothing to tail.
    { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Pending|Succeeded|Failed|Completed', action: 'drop' },
    { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
    { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    { source_labels: ['__meta_kubernetes_pod_container_name'], target_label: 'container' },
    ...APP_LABEL_RELABEL,
    { target_label: 'job', replacement: POD_LOGS_JOB },
    // Promtail only tails targets whose __host__ is its own node (HOSTNAME).
    { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: '__host__' },
    // The kubelet's layout: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log
    {
      source_labels: ['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name'],
      separator: '/',
      target_label: '__path__',
      replacement: `${POD_LOG_DIR}/*$1/*.log`,
    },
  ];
}

/** Every label name a stage list can set, with the stage that sets it (for the label-discipline check). */
export function labelsSetBy(stages: readonly Stage[], where = 'pipeline'): Array<{ label: string; by: string }> {
  const out: Array<{ label: string; by: string }> = [];
  stages.forEach((stage, i) => {
    const at = `${where}[${i}] ${stage.kind}`;
    if (stage.kind === 'labels') for (const label of Object.keys(stage.values)) out.push({ label, by: at });
    if (stage.kind === 'match') out.push(...labelsSetBy(stage.stages, at));
    // The CRI stage sets `stream` (stdout/stderr); label_keep must remove it.
    if (stage.kind === 'cri') out.push({ label: 'stream', by: at });
  });
  return out;
}

/**
 * What breaks the label discipline in a pipeline and its discovery rules: a
 * label outside STREAM_LABELS that could reach Loki. Empty when the pipeline
 * is sound. The last stage must be a label_keep within the allow-list, since
 * the agents add labels of their own (filename, stream) before any stage runs.
 */
export function labelDisciplineProblems(stages: readonly Stage[], relabels: readonly RelabelConfig[]): string[] {
  const allowed = new Set<string>(STREAM_LABELS);
  const problems: string[] = [];
  const last = stages[stages.length - 1];
  if (!last || last.kind !== 'labelKeep') {
    problems.push(`the last stage is ${last ? last.kind : 'missing'}, not labelKeep: labels the agent adds itself (filename, stream) would reach Loki`);
  } else {
    for (const label of last.values) if (!allowed.has(label)) problems.push(`labelKeep keeps "${label}", which is not in the allow-list (${STREAM_LABELS.join(', ')})`);
  }
  // Anything a stage sets after the final label_keep would escape it; nothing before it can, but a label
  // outside the allow-list set by a stage is still a design error worth naming.
  for (const { label, by } of labelsSetBy(stages)) {
    if (!allowed.has(label) && label !== 'stream') problems.push(`${by} sets label "${label}", which is not in the allow-list (${STREAM_LABELS.join(', ')})`);
  }
  for (const rule of relabels) {
    const target = rule.target_label;
    if (target && !target.startsWith('__') && !allowed.has(target)) problems.push(`relabel rule sets target label "${target}", which is not in the allow-list`);
  }
  for (const s of stages) {
    if (s.kind === 'structuredMetadata') {
      for (const name of Object.keys(s.values)) if (allowed.has(name)) problems.push(`structured metadata "${name}" duplicates a stream label`);
    }
  }
  return problems;
}
