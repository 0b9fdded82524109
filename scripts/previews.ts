/**
 * The dashboard previews in docs/dashboards: every dashboard of the production config drawn with data.
 * The data is the shared data step (scripts/workload/replay.ts: the seeded workload, backfilled with its
 * recording rules, served by a real Prometheus), and every Prometheus target is read as Grafana would send
 * it (scripts/dashboards/panel-queries.ts). Loki and Jaeger are not run here: their panels show sample
 * text that says so.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Resvg } from '@resvg/resvg-js';
import { App } from 'cdk8s';
import { loadConfigFile } from '../src/config/loader';
import { Stack } from '../src/stack';
import { dashboardSvg, PanelData, PreviewData } from '../src/kit/preview';
import { replayWorkload } from './workload/replay';
import { allValues, api, grafanaScrapeSeconds, interpolate, panelsOf, relativeSeconds, targetQuery, typeOf, variableValues } from './dashboards/panel-queries';

const ROOT = path.join(__dirname, '..');
export const PREVIEW_DIR = path.join(ROOT, 'docs', 'dashboards');
/** Previews show production's dashboards: the catalogue with every kind of service. */
const PREVIEW_CONFIG = path.join(ROOT, 'config', 'prod.yaml');

/**
 * The workload's last sample, fixed so that the data, and so the pictures, are the same on every run:
 * 2026-01-15 15:00 UTC, an afternoon, where the workload's daily load curve is near its peak.
 */
export const WORKLOAD_END = Date.UTC(2026, 0, 15, 15, 0, 0) / 1000;
/**
 * Hours of workload: 15 minutes, the generator's default window and the shortest tried (of 15 min, 30 min
 * and 1 h) with which every panel shows data, apart from the ones empty on a healthy system (a rule or
 * panel over a longer window reads what there is). It keeps the data step short: the workload is about
 * 1.5 GB of OpenMetrics per hour for prod's catalogue. The previews draw this window (or a dashboard's
 * default range, when shorter), not the 6 hours the dashboards open on.
 */
export const WORKLOAD_HOURS = 0.25;
const STEP_SECONDS = 30;
/** The dashboards the README shows, also written as PNG. */
export const PNG_DASHBOARDS = ['service-overview', 'postgres-query-performance'];
/** The one font the PNGs are drawn in, from the repository, so they are the same on every machine. */
const FONT = path.join(ROOT, 'scripts', 'fonts', 'DejaVuSans.ttf');

export interface PreviewSource {
  /** The synthesized dashboards, by file name (`dashboards/<uid>.json`), sorted. */
  readonly dashboards: Array<{ name: string; json: any }>;
  /** The synthesized rule files, by file name (`rules/<group>.yaml`). */
  readonly rules: Map<string, string>;
  /** The scrape interval Grafana's Prometheus data source is told: the floor of $__interval. */
  readonly scrapeSeconds: number;
}

/** The production config synthesized in memory: its dashboards, rule files and Grafana's scrape interval. */
export function previewSource(): PreviewSource {
  const app = new App();
  // Previews show only dashboards, so the Argo CD app and source identity are placeholders.
  const stack = new Stack(app, 'stack', loadConfigFile(PREVIEW_CONFIG), { sourceIdentity: '0000000', argocd: new App() });
  const files = [...stack.files].sort(([a], [b]) => (a < b ? -1 : 1));
  return {
    dashboards: files.filter(([n]) => n.startsWith('dashboards/')).map(([name, content]) => ({ name, json: JSON.parse(content) })),
    rules: new Map(files.filter(([n]) => n.startsWith('rules/'))),
    scrapeSeconds: grafanaScrapeSeconds(app.synthYaml()),
  };
}

/** A Prometheus serving the workload, and what reads and draws the dashboards against it. */
export interface Previews {
  /** How long the data step took, for the log. */
  readonly timings: string;
  /** The SVG of one dashboard drawn from the data. */
  svg(dashboard: any): Promise<string>;
  /** Every preview file as it should be: `<uid>.svg` per dashboard, `<uid>.png` for PNG_DASHBOARDS, and a README index. */
  files(): Promise<Map<string, string | Buffer>>;
  stop(): Promise<void>;
}

/**
 * Runs the data step in `work` (a scratch directory owned by the caller) for `source`'s rules and the
 * production catalogue. The tools must be built (`npm run tools prometheus promtool`).
 */
export async function startPreviews(source: PreviewSource, work: string): Promise<Previews> {
  const envDir = path.join(work, 'env');
  fs.mkdirSync(path.join(envDir, 'rules'), { recursive: true });
  for (const [name, text] of source.rules) fs.writeFileSync(path.join(envDir, name), text);
  const replay = await replayWorkload({
    envDir,
    configFile: PREVIEW_CONFIG,
    work,
    hours: WORKLOAD_HOURS,
    stepSeconds: STEP_SECONDS,
    end: WORKLOAD_END,
    name: 'previews workload',
  });
  const svg = async (dashboard: any) => dashboardSvg(dashboard, await dashboardData(replay.base, dashboard, source.scrapeSeconds));
  return {
    timings: replay.timings,
    svg,
    files: async () => {
      const files = new Map<string, string | Buffer>();
      const index = [
        '# Dashboard previews',
        '',
        'Generated by `npm run previews` from config/prod.yaml; a test fails when they are stale.',
        '',
        `Data: the seeded workload (scripts/workload/) for prod's catalogue, ${span(WORKLOAD_HOURS * 3600)} ending ${new Date(WORKLOAD_END * 1000).toISOString()}, ` +
          'with the recording rules backfilled, served by Prometheus and read as Grafana queries it (variables at "All" where they offer it). ' +
          `Each dashboard is drawn over those ${span(WORKLOAD_HOURS * 3600)}, not over the range it opens on. ` +
          'Loki and Jaeger are not run: their panels show sample text, marked as such.',
        '',
      ];
      for (const { name, json } of source.dashboards) {
        const drawn = await svg(json);
        files.set(`${json.uid}.svg`, drawn);
        if (PNG_DASHBOARDS.includes(json.uid)) files.set(`${json.uid}.png`, png(drawn));
        index.push(`- [${json.title}](${json.uid}.svg) (\`${name}\`, ${json.panels.length} panels)`);
      }
      files.set('README.md', `${index.join('\n')}\n`);
      return files;
    },
    stop: () => replay.stop(),
  };
}

/** An SVG preview as PNG, drawn with the repository's font only; drawn twice to prove it is deterministic. */
export function png(svg: string): Buffer {
  const draw = () =>
    new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: [FONT], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans', monospaceFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
  const first = draw();
  if (!first.equals(draw())) throw new Error('the PNG of a preview differs between two renderings of the same SVG: it would never be fresh');
  return first;
}

/** `1800` → `30 min`, `7200` → `2 h`. */
const span = (seconds: number) => (seconds < 3600 ? `${seconds / 60} min` : `${seconds / 3600} h`);

/** The range a dashboard is drawn over: its default range, within the workload's window. */
function drawnRange(dashboard: any): { start: number; end: number } {
  const seconds = Math.min(relativeSeconds(dashboard.time?.from ?? 'now-6h'), WORKLOAD_HOURS * 3600);
  return { start: WORKLOAD_END - seconds, end: WORKLOAD_END };
}

/** Every panel's data, by panel id: Prometheus targets queried, Loki and Jaeger ones as sample text. */
export async function dashboardData(base: string, dashboard: any, scrapeSeconds: number): Promise<PreviewData> {
  const { start, end } = drawnRange(dashboard);
  const rangeSeconds = end - start;
  const panels = panelsOf(dashboard);
  const readsPrometheus = panels.some((p) => (p.targets ?? []).some((t: any) => typeOf(p, t) === 'prometheus'));
  // Grafana opens a dashboard with each variable that offers "All" at "All", the others at their first value.
  const values = { ...(readsPrometheus ? (await variableValues(base, dashboard, start, end)).values : {}), ...allValues(dashboard) };
  const data = new Map<number, PanelData>();
  for (const panel of panels) {
    if (typeof panel.id !== 'number' || data.has(panel.id)) throw new Error(`${dashboard.uid} / ${panel.title}: panel id ${panel.id} is missing or not unique`);
    const targets: any[] = panel.targets ?? [];
    if (targets.length === 0) continue;
    const kinds = new Set(targets.map((t) => typeOf(panel, t)));
    if (kinds.size === 1 && kinds.has('loki')) {
      data.set(panel.id, panel.type === 'logs' ? { kind: 'sample-lines', lines: sampleLogLines(targets[0].expr, values, end) } : { kind: 'not-run', reason: 'Loki query: not run for previews' });
      continue;
    }
    if (kinds.size === 1 && kinds.has('jaeger')) {
      data.set(panel.id, { kind: 'sample-rows', ...sampleTraceRows(targets[0], end) });
      continue;
    }
    const series: Array<{ name: string; points: Array<[number, number]> }> = [];
    for (const target of targets.filter((t) => typeOf(panel, t) === 'prometheus')) {
      const { expr, step } = targetQuery({ panel, target, rangeSeconds, scrapeSeconds, values });
      if (target.instant) {
        const result = (await api(base, '/api/v1/query', { query: expr, time: String(end) })).result as Array<{ metric: Record<string, string>; value: [number, string] }>;
        for (const r of result) series.push({ name: seriesName(target, r.metric, expr), points: [[r.value[0], Number(r.value[1])]] });
      } else {
        const result = (await api(base, '/api/v1/query_range', { query: expr, start: String(start), end: String(end), step: String(step) })).result as Array<{
          metric: Record<string, string>;
          values: Array<[number, string]>;
        }>;
        for (const r of result) series.push({ name: seriesName(target, r.metric, expr), points: r.values.map(([t, v]) => [t, Number(v)]) });
      }
    }
    data.set(panel.id, panel.type === 'table' ? tableRows(series) : { kind: 'series', series });
  }
  return { start, end, note: `seeded workload, last ${span(rangeSeconds)} to ${new Date(end * 1000).toISOString().slice(0, 16)}Z`, panels: data };
}

/** A table of series as Grafana's table shows an instant query: a row per series, its name and its last value. */
function tableRows(series: Array<{ name: string; points: Array<[number, number]> }>): PanelData {
  return { kind: 'rows', columns: ['Series', 'Value'], rows: series.map((s) => [s.name, String(s.points[s.points.length - 1]?.[1] ?? '')]) };
}

/** A series' name as Grafana's legend shows it: the legend format with its labels, or the labels. */
function seriesName(target: any, labels: Record<string, string>, expr: string): string {
  const format: string | undefined = target.legendFormat;
  if (format && format !== '__auto') return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l) => labels[l] ?? '');
  const pairs = Object.entries(labels).filter(([k]) => k !== '__name__');
  if (pairs.length === 0) return labels.__name__ ?? expr;
  return `${labels.__name__ ?? ''}{${pairs.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

/** The fixed messages of the sample log lines, as the JSON most services log. */
const SAMPLE_MESSAGES = [
  '{"level":"info","msg":"sample line: request served","duration_ms":12}',
  '{"level":"warn","msg":"sample line: retrying upstream","attempt":2}',
  '{"level":"error","msg":"sample line: upstream unavailable","status":503}',
];

/**
 * Sample lines for a log panel, each naming the labels its query's stream selector selects, with the
 * value the selector or a variable gives them (`<label>` where that is a pattern).
 */
export function sampleLogLines(expr: string, values: Record<string, string>, end: number): string[] {
  const selector = /^\s*\{([^}]*)\}/.exec(expr)?.[1] ?? '';
  const labels = [...selector.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)]
    .filter(([, , op]) => op === '=' || op === '=~')
    .map(([, name, , value]) => {
      const v = interpolate(value, values);
      return `${name}="${/^[\w.-]+$/.test(v) ? v : `<${name}>`}"`;
    });
  return SAMPLE_MESSAGES.map((m, i) => `${new Date((end - 17 * (i + 1)) * 1000).toISOString().slice(11, 19)} {${labels.join(', ')}} ${m}`);
}

/** Sample rows for a Jaeger search table: the columns Grafana shows, naming the service and operation searched. */
function sampleTraceRows(target: any, end: number): { columns: string[]; rows: string[][] } {
  const name = `${target.service ?? '<service>'}: ${target.operation ?? '<operation>'}`;
  return {
    columns: ['Trace ID', 'Trace name', 'Start time', 'Duration'],
    rows: [
      ['sample0000000001', name, new Date((end - 42) * 1000).toISOString().slice(11, 19), '1.84 s'],
      ['sample0000000002', name, new Date((end - 97) * 1000).toISOString().slice(11, 19), '912 ms'],
      ['sample0000000003', name, new Date((end - 160) * 1000).toISOString().slice(11, 19), '2.31 s'],
    ],
  };
}
