/**
 * How Grafana turns a synthesized dashboard's Prometheus targets into queries: the default time range, the
 * template variables set to the first value Prometheus has (as Grafana picks them), `$__interval` and
 * `$__rate_interval` from the range, the panel's data points and the data source's scrape interval. Shared by
 * the every-panel-has-data test and the panel timings of `npm run bench`, so both read the panels alike.
 */

/** Grafana's interval rounding (rangeutil.roundInterval), for the ranges a dashboard defaults to. */
export function roundInterval(ms: number): number {
  const steps: Array<[number, number]> = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1_500, 1_000], [3_500, 2_000], [7_500, 5_000],
    [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
    [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
    [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000],
    [86_400_000, 43_200_000], [604_800_000, 86_400_000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 604_800_000;
}

/** `now-6h` → seconds. */
export function relativeSeconds(from: string): number {
  const m = /^now-(\d+)([smhdw])$/.exec(from);
  if (!m) throw new Error(`dashboard time range from "${from}" is not now-<n><unit>`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's']!;
}

export function durationSeconds(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's']!;
}

export async function api(base: string, pathAndQuery: string, form?: Record<string, string>): Promise<any> {
  const res = await fetch(`${base}${pathAndQuery}`, form ? { method: 'POST', body: new URLSearchParams(form) } : {});
  const body = (await res.json()) as any;
  if (body.status !== 'success') throw new Error(`${pathAndQuery} ${JSON.stringify(form ?? {})}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/** Every panel, rows' nested panels included. */
export function panelsOf(dashboard: any): any[] {
  const out: any[] = [];
  const walk = (panels: any[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

export const typeOf = (panel: any, target: any): string => target.datasource?.type ?? panel.datasource?.type ?? 'unknown';

/** Replaces `$var`, `${var}`, `${var:opt}` and `[[var]]` as Grafana does for one selected value. */
export function interpolate(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a, b, c) => {
    const name = a ?? b ?? c;
    return name in values ? values[name] : whole;
  });
}

/** Escapes a value for a `=~` matcher, as Grafana's Prometheus data source does for a single value. */
export const regexEscape = (v: string): string => v.replace(/[\\^$*+?.()|{}[\]]/g, '\\$&');

/** The dashboard's template variables set to the first value their query finds, in order. */
export async function variableValues(base: string, dashboard: any, start: number, end: number): Promise<{ values: Record<string, string>; empty: string[] }> {
  const values: Record<string, string> = {};
  const empty: string[] = [];
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type === 'custom') {
      values[v.name] = String(v.options?.[0]?.value ?? String(v.query).split(',')[0]);
      continue;
    }
    if (v.type !== 'query' || v.datasource?.type !== 'prometheus') throw new Error(`${dashboard.uid}: variable ${v.name} is a ${v.type} on ${v.datasource?.type}: not handled here`);
    const query = interpolate(typeof v.query === 'string' ? v.query : v.query.query, values);
    const m = /^label_values\((?:(.*),\s*)?(\w+)\)$/.exec(query.trim());
    if (!m) throw new Error(`${dashboard.uid}: variable ${v.name} query "${query}" is not label_values(...)`);
    const params = new URLSearchParams({ start: String(start), end: String(end) });
    if (m[1]) params.append('match[]', m[1]);
    const found: string[] = await api(base, `/api/v1/label/${m[2]}/values?${params}`);
    if (found.length === 0) {
      empty.push(`${v.name} (${query})`);
      values[v.name] = '__no_value__';
    } else values[v.name] = regexEscape(found[0]);
  }
  return { values, empty };
}

/** The values of the variables that offer "All" when set to it, as Grafana opens a dashboard (the first option). */
export function allValues(dashboard: any): Record<string, string> {
  return Object.fromEntries((dashboard.templating?.list ?? []).filter((v: any) => v.includeAll).map((v: any) => [v.name, v.allValue ?? '.*']));
}

/** The query Grafana sends for one Prometheus target over `rangeSeconds`: the expression with every variable set, and its step. */
export function targetQuery(opts: {
  panel: any;
  target: any;
  rangeSeconds: number;
  /** The data source's scrape interval (`timeInterval`): the floor of $__interval. */
  scrapeSeconds: number;
  values: Record<string, string>;
}): { expr: string; step: number } {
  const { panel, target, rangeSeconds, scrapeSeconds } = opts;
  // Grafana's interval: the range over the panel's data points (its width in pixels at most), never
  // below the data source's scrape interval nor the panel's own minimum.
  const minInterval = Math.max(scrapeSeconds, durationSeconds(panel.interval ?? target.interval ?? '1s'));
  const interval = Math.max(minInterval, roundInterval((rangeSeconds * 1000) / (panel.maxDataPoints ?? 1000)) / 1000);
  const rateInterval = Math.max(interval + scrapeSeconds, 4 * scrapeSeconds);
  const expr = interpolate(target.expr, {
    ...opts.values,
    __rate_interval: `${rateInterval}s`,
    __interval: `${interval}s`,
    __interval_ms: String(interval * 1000),
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
  });
  return { expr, step: interval };
}

/** The scrape interval Grafana's Prometheus data source is told, from the synthesized Grafana manifest. */
export function grafanaScrapeSeconds(grafanaManifest: string): number {
  return durationSeconds(/timeInterval: (\w+)/.exec(grafanaManifest)?.[1] ?? '15s');
}
