/**
 * A panel's time unit against its data's: the metric catalogue names every duration with its unit
 * (`_seconds`, `_ms`, as Prometheus and OpenTelemetry name them), so the unit a target's values are in
 * follows from the series it reads and whether it multiplies or divides them by 1 000. A panel that
 * says seconds over milliseconds shows a 120 ms p99 as "2 minutes"; this says so, with the values seen.
 */

export type TimeUnit = 's' | 'ms';

/** Grafana's time units this check knows, by the unit of the number they expect. */
const PANEL_TIME_UNITS: Readonly<Record<string, TimeUnit>> = { s: 's', dtdurations: 's', ms: 'ms', dtdurationms: 'ms' };

/** The unit of a series name: `_seconds` or `_ms` in it, except a histogram's `_count` (a number of observations). */
export function seriesTimeUnit(name: string): TimeUnit | undefined {
  if (/_count$/.test(name)) return undefined;
  if (/_seconds(?:_|:|$)/.test(name)) return 's';
  if (/_ms(?:_|:|$)/.test(name)) return 'ms';
  return undefined;
}

/** The unit a target's values are in: the duration series it reads, converted by a `* 1000` or `/ 1000`. */
export function valuesTimeUnit(expr: string): TimeUnit | undefined {
  // Names only: not label values, not function names before "(".
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = [...withoutStrings.matchAll(/[a-zA-Z_:][\w:]*(?![\w:]*\s*\()/g)].map((m) => m[0]);
  const units = new Set(names.map(seriesTimeUnit).filter((u): u is TimeUnit => u !== undefined));
  if (units.size !== 1) return undefined;
  const [unit] = units;
  if (unit === 's' && /\*\s*1000\b/.test(withoutStrings)) return 'ms';
  if (unit === 'ms' && /\/\s*1000\b/.test(withoutStrings)) return 's';
  return unit;
}

/**
 * Why a panel's unit does not fit a target's values, or undefined when it does (or the panel has no
 * time unit, or the target reads no duration). `median`: the values the target returned, for the report.
 */
export function unitMismatch(panelUnit: string | undefined, expr: string, median: number): string | undefined {
  const shown = panelUnit === undefined ? undefined : PANEL_TIME_UNITS[panelUnit];
  const actual = valuesTimeUnit(expr);
  if (!shown || !actual || shown === actual) return undefined;
  const name = { s: 'seconds', ms: 'milliseconds' };
  return `unit "${panelUnit}" (${name[shown]}) over values in ${name[actual]} (median ${median.toPrecision(3)}, shown as ${median.toPrecision(3)} ${shown} but ${median.toPrecision(3)} ${actual})`;
}
