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
  /**
   * Named thresholds with their defaults. `expr` and `description` write
   * `%{name}` where the value goes; the config overrides a value per alert
   * (`alerting.rules.<Alert>.thresholds.<name>`). `%{for}` in the description
   * is the alert's `for`, so an overridden `for` keeps the text true.
   */
  readonly thresholds?: Readonly<Record<string, ThresholdSpec>>;
}

export interface ThresholdSpec {
  readonly value: number;
  /** What the number means, with its unit: shown in config errors and docs. */
  readonly description: string;
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
            expr: fillThresholds(rule, rule.expr).trim(),
            ...(rule.for ? { for: rule.for } : {}),
            labels: { ...rule.labels, severity: rule.severity },
            annotations: {
              summary: rule.summary,
              description: fillThresholds(rule, rule.description),
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
      problems.push(...thresholdProblems(rule).map(where));
    } else if (!/^[a-zA-Z_]\w*:[a-zA-Z_]\w*(:\w+)?$/.test(rule.record)) {
      problems.push(where(`recording rule "${rule.record}" must be named level:metric:operation`));
    }
  }
  return problems;
}

/** Rule files of single groups already written: each group's file is both a ConfigMap key and a dist/ file. */
const singleGroupFiles = new WeakMap<RenderedRuleGroup, string>();

/** A Prometheus rule file holding the given groups. */
export function ruleFileYaml(groups: readonly RenderedRuleGroup[]): string {
  if (groups.length !== 1) return toYaml({ groups });
  let text = singleGroupFiles.get(groups[0]);
  if (text === undefined) {
    text = toYaml({ groups });
    singleGroupFiles.set(groups[0], text);
  }
  return text;
}

const PLACEHOLDER = /%\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** `expr` or `description` with every `%{name}` replaced by its threshold value (and `%{for}` by the alert's `for`). */
export function fillThresholds(rule: AlertRuleSpec, text: string): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'for') return rule.for ?? '0s';
    const t = rule.thresholds?.[name];
    return t === undefined ? whole : formatNumber(t.value);
  });
}

/** Numbers as PromQL reads them: no exponent for the sizes and ratios alerts use. */
function formatNumber(n: number): string {
  return Number.isInteger(n) ? n.toFixed(0) : String(n);
}

function thresholdProblems(rule: AlertRuleSpec): string[] {
  const problems: string[] = [];
  const declared = Object.keys(rule.thresholds ?? {});
  const used = new Set([...rule.expr.matchAll(PLACEHOLDER)].map((m) => m[1]));
  for (const name of [...used, ...[...rule.description.matchAll(PLACEHOLDER)].map((m) => m[1])]) {
    if (name !== 'for' && !declared.includes(name)) {
      problems.push(`alert "${rule.alert}" uses %{${name}} but declares no threshold "${name}" (declared: ${declared.join(', ') || 'none'})`);
    }
  }
  for (const name of declared) {
    if (name === 'for') problems.push(`alert "${rule.alert}": "for" is reserved, name the threshold otherwise`);
    // A threshold the expression ignores would make an override silently do nothing.
    if (!used.has(name)) problems.push(`alert "${rule.alert}" declares threshold "${name}" but its expr does not use %{${name}}`);
    if (!Number.isFinite(rule.thresholds![name].value)) problems.push(`alert "${rule.alert}": threshold "${name}" is not a finite number`);
  }
  return problems;
}

/** Per-alert settings from the config (`alerting.rules.<Alert>`). */
export interface AlertOverride {
  readonly enabled?: boolean;
  readonly for?: string;
  readonly severity?: Severity;
  readonly thresholds?: Readonly<Record<string, number>>;
}

/** Every alert of the groups, with its declared thresholds: what an override may name. */
export function alertCatalogue(groups: readonly RuleGroupSpec[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const rule of groups.flatMap((g) => g.rules)) {
    if (!isAlert(rule)) continue;
    const names = out.get(rule.alert) ?? new Set<string>();
    for (const t of Object.keys(rule.thresholds ?? {})) names.add(t);
    out.set(rule.alert, names);
  }
  return out;
}

/** What is wrong with the overrides against these groups, as `[path, message]` pairs under `alerting.rules`. */
export function overrideProblems(
  groups: readonly RuleGroupSpec[],
  overrides: Readonly<Record<string, AlertOverride>>,
): Array<{ path: string[]; message: string }> {
  const catalogue = alertCatalogue(groups);
  const valid = [...catalogue.keys()].sort();
  const problems: Array<{ path: string[]; message: string }> = [];
  for (const [name, o] of Object.entries(overrides)) {
    const thresholds = catalogue.get(name);
    if (!thresholds) {
      problems.push({ path: [name], message: `no alert "${name}" exists; valid alerts: ${valid.join(', ')}` });
      continue;
    }
    for (const t of Object.keys(o.thresholds ?? {})) {
      if (!thresholds.has(t)) {
        const allowed = [...thresholds].sort();
        problems.push({
          path: [name, 'thresholds', t],
          message: `alert "${name}" has no threshold "${t}"; ${allowed.length ? `its thresholds: ${allowed.join(', ')}` : 'it has no thresholds'}`,
        });
      }
    }
  }
  return problems;
}

/**
 * Applies the config's per-alert settings: drops disabled alerts (and groups
 * left without rules), replaces `for`, severity and threshold values. Names are
 * validated by the config check (`overrideProblems` against every group the
 * stack can render), so an override of a component that is switched off in
 * this environment is simply unused here.
 */
export function applyOverrides(groups: readonly RuleGroupSpec[], overrides: Readonly<Record<string, AlertOverride>>): RuleGroupSpec[] {
  return groups
    .map((g) => ({
      ...g,
      rules: g.rules.flatMap((rule): RuleSpec[] => {
        if (!isAlert(rule)) return [rule];
        const o = overrides[rule.alert];
        if (!o) return [rule];
        if (o.enabled === false) return [];
        const thresholds = rule.thresholds
          ? Object.fromEntries(
              Object.entries(rule.thresholds).map(([k, t]) => [k, { ...t, value: o.thresholds?.[k] ?? t.value }]),
            )
          : undefined;
        return [{ ...rule, ...(o.for ? { for: o.for } : {}), ...(o.severity ? { severity: o.severity } : {}), ...(thresholds ? { thresholds } : {}) }];
      }),
    }))
    .filter((g) => g.rules.length > 0);
}
