import { RelabelConfig } from '../../lib/scrape';
import { toYaml } from '../../lib/yaml';
import { podRelabelConfigs, Stage } from './pipeline';

/**
 * Renders the one pipeline (pipeline.ts) for each agent: Promtail's YAML and
 * Alloy's configuration language. Field names are the agents' own.
 */

export interface AgentConfigOptions {
  readonly stages: readonly Stage[];
  /** Loki's push endpoint, e.g. http://loki.monitoring.svc:3100/loki/api/v1/push */
  readonly pushUrl: string;
  /** Loki tenant (X-Scope-OrgID) for a multi-tenant Loki. @default none */
  readonly tenantId?: string;
  readonly httpPort: number;
  /** Promtail's positions file / Alloy's data directory; both on a hostPath. */
  readonly stateDir: string;
  /**
   * Alloy only: Promtail's positions file, imported at Alloy's first start on a node (when Alloy has no positions
   * of its own yet), so switching the agent resumes where Promtail stopped. @default none
   */
  readonly legacyPositionsFile?: string;
}

// ---- Promtail ----------------------------------------------------------------

function promtailStage(stage: Stage): Record<string, unknown> {
  switch (stage.kind) {
    case 'cri':
      return { cri: {} };
    case 'multiline':
      return { multiline: { firstline: stage.firstline, max_wait_time: stage.maxWaitTime, max_lines: stage.maxLines } };
    case 'match':
      return { match: { selector: stage.selector, stages: stage.stages.map(promtailStage) } };
    case 'regex':
      return { regex: { expression: stage.expression, ...(stage.source ? { source: stage.source } : {}) } };
    case 'json':
      return { json: { expressions: { ...stage.expressions }, ...(stage.source ? { source: stage.source } : {}) } };
    case 'template':
      return { template: { source: stage.source, template: stage.template } };
    case 'output':
      return { output: { source: stage.source } };
    case 'labels':
      return { labels: { ...stage.values } };
    case 'structuredMetadata':
      return { structured_metadata: { ...stage.values } };
    case 'labelKeep':
      return { labelallow: [...stage.values] };
  }
}

export const PROMTAIL_POSITIONS_FILE = 'positions.yaml';

export function promtailConfig(opts: AgentConfigOptions): Record<string, unknown> {
  return {
    server: { http_listen_port: opts.httpPort, grpc_listen_port: 0, log_level: 'info' },
    positions: { filename: `${opts.stateDir}/${PROMTAIL_POSITIONS_FILE}` },
    clients: [
      {
        url: opts.pushUrl,
        ...(opts.tenantId ? { tenant_id: opts.tenantId } : {}),
        // Retry for about 10 minutes (Loki restart, rollout) before dropping a batch, which
        // promtail_dropped_entries_total counts and LogAgentDroppingLines reports.
        backoff_config: { min_period: '500ms', max_period: '1m', max_retries: 15 },
      },
    ],
    scrape_configs: [
      {
        job_name: 'kubernetes-pods',
        kubernetes_sd_configs: [{ role: 'pod' }],
        relabel_configs: podRelabelConfigs(),
        pipeline_stages: opts.stages.map(promtailStage),
      },
    ],
  };
}

export function promtailConfigYaml(opts: AgentConfigOptions): string {
  return toYaml(promtailConfig(opts));
}

// ---- Alloy -------------------------------------------------------------------

/** An Alloy string literal: the same escapes as Go's, which JSON's are a subset of. */
const str = (s: string) => JSON.stringify(s);
const list = (xs: readonly string[]) => `[${xs.map(str).join(', ')}]`;
const map = (m: Readonly<Record<string, string>>) =>
  `{ ${Object.entries(m)
    .map(([k, v]) => `${k} = ${str(v)}`)
    .join(', ')} }`;

function block(name: string, body: string[], indent: string): string {
  if (body.length === 0) return `${indent}${name} { }`;
  return [`${indent}${name} {`, ...body, `${indent}}`].join('\n');
}

function alloyStage(stage: Stage, indent: string): string {
  const attr = (k: string, v: string) => `${indent}  ${k} = ${v}`;
  switch (stage.kind) {
    case 'cri':
      return block('stage.cri', [], indent);
    case 'multiline':
      return block(
        'stage.multiline',
        [attr('firstline', str(stage.firstline)), attr('max_wait_time', str(stage.maxWaitTime)), attr('max_lines', String(stage.maxLines))],
        indent,
      );
    case 'match':
      return block('stage.match', [attr('selector', str(stage.selector)), ...stage.stages.map((s) => alloyStage(s, `${indent}  `))], indent);
    case 'regex':
      return block('stage.regex', [attr('expression', str(stage.expression)), ...(stage.source ? [attr('source', str(stage.source))] : [])], indent);
    case 'json':
      return block('stage.json', [attr('expressions', map(stage.expressions)), ...(stage.source ? [attr('source', str(stage.source))] : [])], indent);
    case 'template':
      return block('stage.template', [attr('source', str(stage.source)), attr('template', str(stage.template))], indent);
    case 'output':
      return block('stage.output', [attr('source', str(stage.source))], indent);
    case 'labels':
      return block('stage.labels', [attr('values', map(stage.values))], indent);
    case 'structuredMetadata':
      return block('stage.structured_metadata', [attr('values', map(stage.values))], indent);
    case 'labelKeep':
      return block('stage.label_keep', [attr('values', list(stage.values))], indent);
  }
}

function alloyRule(rule: RelabelConfig): string {
  const lines: string[] = [];
  if (rule.source_labels) lines.push(`    source_labels = ${list(rule.source_labels)}`);
  if (rule.separator !== undefined) lines.push(`    separator     = ${str(rule.separator)}`);
  if (rule.regex !== undefined) lines.push(`    regex         = ${str(rule.regex)}`);
  if (rule.target_label !== undefined) lines.push(`    target_label  = ${str(rule.target_label)}`);
  if (rule.replacement !== undefined) lines.push(`    replacement   = ${str(rule.replacement)}`);
  lines.push(`    action        = ${str(rule.action ?? 'replace')}`);
  return ['  rule {', ...lines, '  }'].join('\n');
}

/**
 * The same pipeline in Alloy's configuration language. Alloy keeps the read
 * positions of loki.source.file in its data directory (--storage.path), which
 * is the hostPath, so a restart neither loses nor re-sends lines.
 */
export function alloyConfig(opts: AgentConfigOptions): string {
  const rules = podRelabelConfigs()
    // Alloy discovers only this node's pods (field selector below); __host__ is Promtail's filter.
    .filter((r) => r.target_label !== '__host__')
    .map(alloyRule);
  return [
    '// Generated by the observability-platform stack from the same pipeline as the Promtail config.',
    'discovery.kubernetes "pods" {',
    '  role = "pod"',
    '  // Only the pods of this node: their log files are the only ones this agent can read.',
    '  selectors {',
    '    role  = "pod"',
    '    field = "spec.nodeName=" + sys.env("HOSTNAME")',
    '  }',
    '}',
    '',
    'discovery.relabel "pods" {',
    '  targets = discovery.kubernetes.pods.targets',
    ...rules,
    '}',
    '',
    'local.file_match "pods" {',
    '  path_targets = discovery.relabel.pods.output',
    '}',
    '',
    'loki.source.file "pods" {',
    '  targets    = local.file_match.pods.targets',
    '  forward_to = [loki.process.pods.receiver]',
    ...(opts.legacyPositionsFile
      ? [
          "  // Promtail's positions, imported once when this node has none of Alloy's: after a switch from Promtail,",
          '  // reading resumes where Promtail stopped instead of re-sending every log file still on the node.',
          `  legacy_positions_file = ${str(opts.legacyPositionsFile)}`,
        ]
      : []),
    '}',
    '',
    'loki.process "pods" {',
    '  forward_to = [loki.write.loki.receiver]',
    '',
    opts.stages.map((s) => alloyStage(s, '  ')).join('\n'),
    '}',
    '',
    'loki.write "loki" {',
    '  endpoint {',
    `    url = ${str(opts.pushUrl)}`,
    ...(opts.tenantId ? [`    tenant_id = ${str(opts.tenantId)}`] : []),
    '    max_backoff_period  = "1m"',
    '    max_backoff_retries = 15',
    '  }',
    '}',
    '',
  ].join('\n');
}
