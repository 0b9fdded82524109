import { toYaml } from '../lib/yaml';
import { isDuration } from '../lib/units';

/**
 * The typed alert and recording-rule model. Components and the platform
 * describe their rules with these types; `renderRuleGroup` turns them into
 * Prometheus rule-file groups. Shape rules are enforced here, once:
 * PascalCase alert names, a severity, a fixed summary, a templated
 * description, a runbook link from one pattern, and `level:metric:operation`
 * recording-rule names.
 */

export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];

export interface AlertRuleSpec {
  /** PascalCase; other tools and people refer to it, so it is part of the contract. */
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold before the alert fires. Omit only for alerts that must fire at once. */
  readonly for?: string;
  readonly severity: Severity;
  /** A fixed sentence: no templating, so notifications group well. */
  readonly summary: string;
  /** Templated with `{{ $labels.x }}` and `{{ $value }}`: says what, where and how much. */
  readonly description: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RecordingRuleSpec {
  /** `level:metric:operation`, e.g. `job:up:sum`. */
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export type RuleSpec = AlertRuleSpec | RecordingRuleSpec;

export interface RuleGroupSpec {
  /** Lower-case with dashes; also the file name `rules/<name>.yaml`. */
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly RuleSpec[];
}

/** The Prometheus rule-file shape of one group. */
export interface RenderedRuleGroup {
  name: string;
  interval?: string;
  rules: Array<
    | { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }
    | { record: string; expr: string; labels?: Record<string, string> }
  >;
}

export function isAlert(rule: RuleSpec): rule is AlertRuleSpec {
  return 'alert' in rule;
}

export interface RenderOptions {
  /** Runbooks live at `<runbookBaseUrl>/<AlertName>.md`. */
  readonly runbookBaseUrl: string;
}

export function runbookUrl(base: string, alert: string): string {
  return `${base.replace(/\/+$/, '')}/${alert}.md`;
}

/** Validates a group's shape and renders it; throws naming the group, the rule and what is wrong. */
export function renderRuleGroup(group: RuleGroupSpec, opts: RenderOptions): RenderedRuleGroup {
  const problems = checkRuleGroup(group);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    name: group.name,
    ...(group.interval ? { interval: group.interval } : {}),
    rules: group.rules.map((rule) =>
      isAlert(rule)
        ? {
            alert: rule.alert,
            expr: rule.expr.trim(),
            ...(rule.for ? { for: rule.for } : {}),
            labels: { ...rule.labels, severity: rule.severity },
            annotations: {
              summary: rule.summary,
              description: rule.description,
              runbook_url: runbookUrl(opts.runbookBaseUrl, rule.alert),
            },
          }
        : { record: rule.record, expr: rule.expr.trim(), ...(rule.labels ? { labels: { ...rule.labels } } : {}) },
    ),
  };
}

export function checkRuleGroup(group: RuleGroupSpec): string[] {
  const problems: string[] = [];
  const where = (what: string) => `rule group "${group.name}": ${what}`;
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(group.name)) problems.push(where('name must be lower-case words joined by "-"'));
  if (group.interval !== undefined && !isDuration(group.interval)) {
    problems.push(where(`interval "${group.interval}" is not a duration like "30s"`));
  }
  if (group.rules.length === 0) problems.push(where('has no rules'));
  const seen = new Set<string>();
  for (const rule of group.rules) {
    const name = isAlert(rule) ? rule.alert : rule.record;
    const key = `${name}${JSON.stringify(rule.labels ?? {})}`;
    if (seen.has(key)) problems.push(where(`"${name}" is defined twice with the same labels`));
    seen.add(key);
    if (rule.expr.trim() === '') problems.push(where(`"${name}" has an empty expr`));
    if (isAlert(rule)) {
      if (!/^[A-Z][a-zA-Z0-9]*$/.test(rule.alert)) problems.push(where(`alert "${rule.alert}" must be PascalCase`));
      if (!SEVERITIES.includes(rule.severity)) {
        problems.push(where(`alert "${rule.alert}" has severity "${rule.severity}"; allowed: ${SEVERITIES.join(', ')}`));
      }
      if (rule.for !== undefined && !isDuration(rule.for)) problems.push(where(`alert "${rule.alert}" has for "${rule.for}", not a duration`));
      if (rule.summary.includes('{{')) problems.push(where(`alert "${rule.alert}": summary must be a fixed sentence, put templates in description`));
      if (rule.description.trim() === '') problems.push(where(`alert "${rule.alert}" has no description`));
      if (rule.labels && 'severity' in rule.labels) problems.push(where(`alert "${rule.alert}": set severity through the severity field`));
    } else if (!/^[a-zA-Z_]\w*:[a-zA-Z_]\w*(:\w+)?$/.test(rule.record)) {
      problems.push(where(`recording rule "${rule.record}" must be named level:metric:operation`));
    }
  }
  return problems;
}

/** A Prometheus rule file holding the given groups. */
export function ruleFileYaml(groups: readonly RenderedRuleGroup[]): string {
  return toYaml({ groups });
}
