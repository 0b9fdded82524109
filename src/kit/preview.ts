/**
 * A dashboard as an SVG, so a reviewer sees it in a pull request without running Grafana: every panel as a
 * box in place, with its title and type, drawn from query results when they are given (time series as
 * lines, stats as values in their threshold colour, tables as their first rows, logs as lines). Grafana's
 * grid is 24 columns wide and a grid row is 30 px high. Coordinates are rounded to one decimal and series
 * downsampled, so a preview stays small enough to read in a diff.
 */
const COLUMN_PX = 40;
const ROW_PX = 30;
const GAP = 4;
const HEADER_PX = 40;
/** Roughly the width of one character at the title font size. */
const CHAR_PX = 7;
/** The same at the 10 px font of axes, legends and rows. */
const SMALL_CHAR_PX = 6;
/** Points per drawn series: enough for a curve's shape, few enough for a diff. */
const POINTS = 60;
/** Series drawn per panel; the legend counts the rest. */
const MAX_SERIES = 5;

const TYPE_COLOUR: Record<string, string> = {
  timeseries: '#3274d9',
  stat: '#37872d',
  gauge: '#37872d',
  bargauge: '#37872d',
  logs: '#8f3bb8',
  table: '#e0752d',
};
/** Grafana's classic palette, in its order. */
const SERIES_COLOURS = ['#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9'];
/** Grafana's named colours as thresholds use them. */
const NAMED_COLOURS: Record<string, string> = {
  green: '#73bf69',
  red: '#f2495c',
  yellow: '#fade2a',
  orange: '#ff9830',
  blue: '#5794f2',
  purple: '#b877d9',
  text: '#d8d9da',
};
const MUTED = '#8e8e8e';
const SAMPLE_COLOUR = '#ff9830';

export interface Series {
  readonly name: string;
  /** [unix seconds, value]; NaN where the query returned NaN. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** What a panel's queries returned, or why it shows none. */
export type PanelData =
  | { readonly kind: 'series'; readonly series: readonly Series[] }
  | { readonly kind: 'rows'; readonly columns: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> }
  /** Made-up rows standing for a data source that is not run: drawn marked as samples. */
  | { readonly kind: 'sample-rows'; readonly columns: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> }
  /** Made-up log lines standing for a data source that is not run: drawn marked as samples. */
  | { readonly kind: 'sample-lines'; readonly lines: readonly string[] }
  | { readonly kind: 'not-run'; readonly reason: string };

export interface PreviewData {
  /** The time range drawn, unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Where the data comes from, shown in the header. */
  readonly note: string;
  /** By panel id. */
  readonly panels: ReadonlyMap<number, PanelData>;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function fit(text: string, widthPx: number, charPx = CHAR_PX): string {
  const max = Math.max(3, Math.floor(widthPx / charPx));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** One decimal at most: a preview's coordinates. */
const r1 = (v: number) => String(Math.round(v * 10) / 10);

/** Three significant digits, without trailing zeros. */
const digits = (v: number) => String(Number(v.toPrecision(3)));

function scaled(v: number, base: number, units: readonly string[]): string {
  let i = 0;
  let x = v;
  while (Math.abs(x) >= base && i < units.length - 1) {
    x /= base;
    i++;
  }
  return `${digits(x)}${units[i]}`;
}

function duration(seconds: number): string {
  const a = Math.abs(seconds);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${digits(seconds * 1e6)} µs`;
  if (a < 1) return `${digits(seconds * 1e3)} ms`;
  if (a < 60) return `${digits(seconds)} s`;
  if (a < 3600) return `${digits(seconds / 60)} min`;
  if (a < 86400) return `${digits(seconds / 3600)} hour`;
  return `${digits(seconds / 86400)} day`;
}

/** A value in a Grafana unit, as Grafana writes it (to three significant digits). */
export function formatValue(v: number, unit: string | undefined): string {
  if (!Number.isFinite(v)) return String(v);
  const short = (x: number) => scaled(x, 1000, ['', ' K', ' Mil', ' Bil', ' Tri']);
  switch (unit ?? 'short') {
    case 'short':
    case 'none':
      return short(v);
    case 'percentunit':
      return `${digits(v * 100)}%`;
    case 'percent':
      return `${digits(v)}%`;
    case 's':
      return duration(v);
    case 'ms':
      return duration(v / 1000);
    case 'bytes':
      return scaled(v, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB']);
    case 'decbytes':
      return scaled(v, 1000, [' B', ' kB', ' MB', ' GB', ' TB', ' PB']);
    case 'Bps':
      return scaled(v, 1000, [' B/s', ' kB/s', ' MB/s', ' GB/s', ' TB/s']);
    case 'reqps':
      return `${short(v)} req/s`;
    case 'ops':
      return `${short(v)} ops/s`;
    case 'celsius':
      return `${digits(v)}°C`;
    case 'watt':
      return Math.abs(v) < 1 && v !== 0 ? `${digits(v * 1000)} mW` : scaled(v, 1000, [' W', ' kW', ' MW', ' GW']);
    default:
      return `${short(v)} ${unit}`;
  }
}

/** The colour of the last threshold step at or below `v` (a step without a value is the base). */
export function thresholdColour(v: number, thresholds: { steps?: Array<{ value: number | null; color: string }> } | undefined): string {
  let colour = 'green';
  for (const step of thresholds?.steps ?? []) if (step.value === null || step.value === undefined || v >= step.value) colour = step.color;
  return NAMED_COLOURS[colour] ?? colour;
}

/** The last value that is a number: what a stat shows by default. */
function lastValue(s: Series): number | undefined {
  for (let i = s.points.length - 1; i >= 0; i--) if (Number.isFinite(s.points[i][1])) return s.points[i][1];
  return undefined;
}

/**
 * A series as the lines Grafana draws: broken where the query returned NaN or skipped steps (more than twice
 * the series' usual spacing), each line at most POINTS points over the range: the mean of each of POINTS
 * equal slices of the range it crosses.
 */
export function downsample(points: Series['points'], start: number, end: number): Array<Array<[number, number]>> {
  const spacings = points.slice(1).map(([t], i) => t - points[i][0]).sort((x, y) => x - y);
  const usual = spacings[Math.floor(spacings.length / 2)] ?? Infinity;
  const runs: Array<Array<readonly [number, number]>> = [[]];
  for (const [i, p] of points.entries()) {
    const gap = i > 0 && p[0] - points[i - 1][0] > 2 * usual;
    if (!Number.isFinite(p[1]) || gap) runs.push([]);
    if (Number.isFinite(p[1])) runs[runs.length - 1].push(p);
  }
  const span = Math.max(1, end - start);
  return runs
    .filter((run) => run.length > 0)
    .map((run) => {
      const slices = new Map<number, { t: number; v: number; n: number }>();
      for (const [t, v] of run) {
        const i = Math.min(POINTS - 1, Math.max(0, Math.floor(((t - start) / span) * POINTS)));
        const slice = slices.get(i) ?? { t: 0, v: 0, n: 0 };
        slice.t += t;
        slice.v += v;
        slice.n++;
        slices.set(i, slice);
      }
      return [...slices.values()].map((x): [number, number] => [x.t / x.n, x.v / x.n]);
    });
}

interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const text = (x: number, y: number, size: number, fill: string, body: string, extra = '') =>
  `    <text x="${r1(x)}" y="${r1(y)}" font-size="${size}" fill="${fill}"${extra}>${escapeXml(body)}</text>`;

function seriesLines(panel: any, series: readonly Series[], box: Box, start: number, end: number): string[] {
  const unit = panel.fieldConfig?.defaults?.unit;
  const mean = (s: Series) => {
    const vs = s.points.map(([, v]) => v).filter(Number.isFinite);
    return vs.length === 0 ? -Infinity : vs.reduce((a, b) => a + b, 0) / vs.length;
  };
  // The largest series are the ones a reader sees first; the legend counts the others.
  const drawn = [...series].sort((a, b) => mean(b) - mean(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, MAX_SERIES);
  const sampled = drawn.map((s) => downsample(s.points, start, end));
  const values = sampled.flat(2).map(([, v]) => v);
  if (values.length === 0) return [text(box.x + box.w / 2, box.y + box.h / 2, 11, MUTED, 'No data', ' text-anchor="middle"')];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const plot: Box = { x: box.x + 56, y: box.y + 4, w: box.w - 60, h: box.h - 22 };
  const px = (t: number) => plot.x + ((t - start) / Math.max(1, end - start)) * plot.w;
  const py = (v: number) => plot.y + plot.h - ((v - lo) / (hi - lo)) * plot.h;
  const out = [
    `    <path d="M${r1(plot.x)} ${r1(plot.y)}H${r1(plot.x + plot.w)}M${r1(plot.x)} ${r1(plot.y + plot.h)}H${r1(plot.x + plot.w)}" stroke="#2c3235"/>`,
    text(plot.x - 4, plot.y + 4, 10, MUTED, formatValue(hi, unit), ' text-anchor="end"'),
    text(plot.x - 4, plot.y + plot.h, 10, MUTED, formatValue(lo, unit), ' text-anchor="end"'),
  ];
  sampled.forEach((runs, i) => {
    for (const run of runs) {
      out.push(`    <polyline points="${run.map(([t, v]) => `${r1(px(t))},${r1(py(v))}`).join(' ')}" fill="none" stroke="${SERIES_COLOURS[i % SERIES_COLOURS.length]}" stroke-width="1.5"/>`);
    }
  });
  // The legend: one line, the drawn series in their colours, then how many more there are.
  const more = series.length - drawn.length;
  const legendY = box.y + box.h - 2;
  const room = box.w - (more > 0 ? 60 : 0);
  let x = box.x;
  for (const [i, s] of drawn.entries()) {
    const width = Math.min(room - (x - box.x), Math.max(60, room / drawn.length));
    if (width < 30) break;
    const label = fit(s.name || '(no labels)', width - 14, SMALL_CHAR_PX);
    out.push(`    <rect x="${r1(x)}" y="${r1(legendY - 7)}" width="8" height="3" fill="${SERIES_COLOURS[i % SERIES_COLOURS.length]}"/>`, text(x + 11, legendY, 10, '#ccccdc', label));
    x += Math.min(width, 14 + label.length * SMALL_CHAR_PX + 8);
  }
  if (more > 0) out.push(text(box.x + box.w, legendY, 10, MUTED, `+${more} more`, ' text-anchor="end"'));
  return out;
}

function statLines(panel: any, series: readonly Series[], box: Box): string[] {
  const unit = panel.fieldConfig?.defaults?.unit;
  const thresholds = panel.fieldConfig?.defaults?.thresholds;
  const shown = series.map((s) => ({ name: s.name, value: lastValue(s) })).filter((s): s is { name: string; value: number } => s.value !== undefined);
  if (shown.length === 0) return [text(box.x + box.w / 2, box.y + box.h / 2 + 4, 12, MUTED, 'No data', ' text-anchor="middle"')];
  const gauge = panel.type === 'gauge' || panel.type === 'bargauge';
  const fits = Math.max(1, Math.min(4, Math.floor(box.w / 90)));
  const drawn = shown.slice(0, fits);
  const out: string[] = [];
  const each = box.w / drawn.length;
  drawn.forEach((s, i) => {
    const colour = thresholdColour(s.value, thresholds);
    const cx = box.x + each * i + each / 2;
    const size = drawn.length === 1 ? Math.min(28, box.h * 0.5) : 16;
    const valueY = gauge ? box.y + box.h * 0.45 : box.y + box.h / 2 + size / 3;
    out.push(text(cx, valueY, Math.round(size), colour, formatValue(s.value, unit), ' text-anchor="middle" font-weight="bold"'));
    if (gauge) {
      // A gauge's bar: filled from its min to the value, in the value's threshold colour.
      const min = panel.fieldConfig?.defaults?.min ?? 0;
      const max = panel.fieldConfig?.defaults?.max ?? (unit === 'percentunit' ? 1 : unit === 'percent' ? 100 : Math.max(...shown.map((x) => x.value)));
      const share = Math.max(0, Math.min(1, (s.value - min) / (max - min || 1)));
      const bar = { x: box.x + each * i + 6, y: box.y + box.h * 0.6, w: each - 12, h: 8 };
      out.push(
        `    <rect x="${r1(bar.x)}" y="${r1(bar.y)}" width="${r1(bar.w)}" height="${bar.h}" fill="#2c3235"/>`,
        `    <rect x="${r1(bar.x)}" y="${r1(bar.y)}" width="${r1(bar.w * share)}" height="${bar.h}" fill="${colour}"/>`,
      );
    }
    if (drawn.length > 1 || shown.length > 1) out.push(text(cx, box.y + box.h - 2, 10, MUTED, fit(s.name, each - 4, SMALL_CHAR_PX), ' text-anchor="middle"'));
  });
  if (shown.length > drawn.length) out.push(text(box.x + box.w, box.y + 8, 10, MUTED, `+${shown.length - drawn.length} more`, ' text-anchor="end"'));
  return out;
}

function rowLines(columns: readonly string[], rows: ReadonlyArray<readonly string[]>, box: Box, sample: boolean): string[] {
  const out: string[] = [];
  let y = box.y + 10;
  if (sample) {
    out.push(text(box.x, y, 10, SAMPLE_COLOUR, 'SAMPLE ROWS: this data source is not run for previews', ' font-style="italic"'));
    y += 16;
  }
  const width = box.w / Math.max(1, columns.length);
  const row = (cells: readonly string[], fill: string, extra = '') => {
    cells.forEach((c, i) => out.push(text(box.x + i * width, y, 10, fill, fit(c, width - 6, SMALL_CHAR_PX), extra)));
    y += 16;
  };
  row(columns, '#ccccdc', ' font-weight="bold"');
  for (const cells of rows) {
    if (y > box.y + box.h) break;
    row(cells, sample ? MUTED : '#d8d9da');
  }
  return out;
}

function logLines(lines: readonly string[], box: Box): string[] {
  const out = [text(box.x, box.y + 10, 10, SAMPLE_COLOUR, 'SAMPLE LINES: Loki is not run for previews; the labels are the ones the query selects', ' font-style="italic"')];
  let y = box.y + 26;
  for (const line of lines) {
    if (y > box.y + box.h) break;
    out.push(text(box.x, y, 10, MUTED, fit(line, box.w, SMALL_CHAR_PX), ' font-family="monospace"'));
    y += 15;
  }
  return out;
}

function panelContent(panel: any, data: PanelData, box: Box, range: { start: number; end: number }): string[] {
  switch (data.kind) {
    case 'not-run':
      return [text(box.x + box.w / 2, box.y + box.h / 2, 11, MUTED, data.reason, ' text-anchor="middle"')];
    case 'sample-lines':
      return logLines(data.lines, box);
    case 'sample-rows':
    case 'rows':
      return rowLines(data.columns, data.rows, box, data.kind === 'sample-rows');
    case 'series':
      if (['stat', 'gauge', 'bargauge'].includes(panel.type)) return statLines(panel, data.series, box);
      return seriesLines(panel, data.series, box, range.start, range.end);
  }
}

/** The SVG of a dashboard: its layout, and each panel drawn from `data` where that has the panel's results. */
export function dashboardSvg(json: { uid: string; title?: string; panels?: any[] }, data?: PreviewData): string {
  const panels = json.panels ?? [];
  const rows = Math.max(1, ...panels.map((p) => p.gridPos.y + p.gridPos.h));
  const width = 24 * COLUMN_PX;
  const height = HEADER_PX + rows * ROW_PX;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#111217"/>`,
    `  <text x="8" y="26" font-size="18" fill="#ffffff">${escapeXml(`${json.title ?? json.uid} (${json.uid})`)}</text>`,
  ];
  if (data) lines.push(`  <text x="${width - 8}" y="26" font-size="11" fill="${MUTED}" text-anchor="end">${escapeXml(data.note)}</text>`);
  for (const p of panels) {
    const { x, y, w, h } = p.gridPos;
    const px = x * COLUMN_PX + GAP / 2;
    const py = HEADER_PX + y * ROW_PX + GAP / 2;
    const pw = w * COLUMN_PX - GAP;
    const ph = h * ROW_PX - GAP;
    const colour = TYPE_COLOUR[p.type] ?? '#888888';
    const type = p.type ?? '?';
    lines.push(
      `  <g>`,
      `    <rect x="${px}" y="${py}" width="${pw}" height="${ph}" rx="3" fill="#181b1f" stroke="${colour}" stroke-width="2"/>`,
      `    <text x="${px + 8}" y="${py + 18}" font-size="12" fill="#d8d9da">${escapeXml(fit(p.title ?? '', pw - 24 - type.length * SMALL_CHAR_PX))}</text>`,
      `    <text x="${px + pw - 8}" y="${py + 18}" font-size="10" fill="${colour}" text-anchor="end">${escapeXml(type)}</text>`,
    );
    const panelData = data?.panels.get(p.id);
    if (panelData) lines.push(...panelContent(p, panelData, { x: px + 8, y: py + 26, w: pw - 16, h: ph - 32 }, data!));
    lines.push(`  </g>`);
  }
  lines.push('</svg>', '');
  return lines.join('\n');
}
