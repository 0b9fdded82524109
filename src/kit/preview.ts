/**
 * A dashboard's layout as an SVG, so a reviewer sees it in a pull request
 * without running Grafana: every panel as a box in place, with its title and
 * type. Grafana's grid is 24 columns wide and a grid row is 30 px high.
 */
const COLUMN_PX = 40;
const ROW_PX = 30;
const GAP = 4;
const HEADER_PX = 40;
/** Roughly the width of one character at the title font size. */
const CHAR_PX = 7;

const TYPE_COLOUR: Record<string, string> = {
  timeseries: '#3274d9',
  stat: '#37872d',
  logs: '#8f3bb8',
  table: '#e0752d',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function fit(text: string, widthPx: number): string {
  const max = Math.max(3, Math.floor(widthPx / CHAR_PX));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function dashboardSvg(json: { uid: string; title?: string; panels?: any[] }): string {
  const panels = json.panels ?? [];
  const rows = Math.max(1, ...panels.map((p) => p.gridPos.y + p.gridPos.h));
  const width = 24 * COLUMN_PX;
  const height = HEADER_PX + rows * ROW_PX;
  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `  <rect width="${width}" height="${height}" fill="#111217"/>`,
    `  <text x="8" y="26" font-size="18" fill="#ffffff">${escapeXml(`${json.title ?? json.uid} (${json.uid})`)}</text>`,
  ];
  for (const p of panels) {
    const { x, y, w, h } = p.gridPos;
    const px = x * COLUMN_PX + GAP / 2;
    const py = HEADER_PX + y * ROW_PX + GAP / 2;
    const pw = w * COLUMN_PX - GAP;
    const ph = h * ROW_PX - GAP;
    const colour = TYPE_COLOUR[p.type] ?? '#888888';
    lines.push(
      `  <g>`,
      `    <rect x="${px}" y="${py}" width="${pw}" height="${ph}" rx="3" fill="#181b1f" stroke="${colour}" stroke-width="2"/>`,
      `    <text x="${px + 8}" y="${py + 18}" font-size="12" fill="#d8d9da">${escapeXml(fit(p.title ?? '', pw - 16))}</text>`,
      `    <text x="${px + 8}" y="${py + ph - 8}" font-size="11" fill="${colour}">${escapeXml(p.type ?? '?')}</text>`,
      `  </g>`,
    );
  }
  lines.push('</svg>', '');
  return lines.join('\n');
}
