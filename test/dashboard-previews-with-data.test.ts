/**
 * The previews in docs/dashboards: fresh (equal to what `npm run previews` writes), drawn with data from the
 * workload served by a real Prometheus (scripts/previews.ts), and changed by a change to a query.
 */
import * as fs from 'fs';
import * as path from 'path';
import { thresholdColour } from '../src/kit/preview';
import { PNG_DASHBOARDS, PREVIEW_DIR, previewSource, Previews, startPreviews } from '../scripts/previews';
import { stopAll, tempDir } from './support/process';

/** The panels' groups of an SVG, in order: `<g>` … `</g>`. */
const groups = (svg: string): string[] => [...svg.matchAll(/ {2}<g>\n([\s\S]*?)\n {2}<\/g>/g)].map((m) => m[1]);
const polylinePoints = (group: string): number[] => [...group.matchAll(/<polyline points="([^"]*)"/g)].map((m) => m[1].split(' ').length);

describe('SVG previews in docs/dashboards, drawn from the workload', () => {
  const source = previewSource();
  const work = tempDir('previews-');
  let previews: Previews;
  let expected: Map<string, string | Buffer>;
  const svgOf = (uid: string) => String(expected.get(`${uid}.svg`));
  const dashboard = (uid: string) => {
    const found = source.dashboards.find((d) => d.json.uid === uid);
    if (!found) throw new Error(`no dashboard ${uid}`);
    return found.json;
  };

  beforeAll(async () => {
    previews = await startPreviews(source, work);
    console.log(`previews: ${previews.timings}`);
    expected = await previews.files();
  }, 900_000);

  afterAll(async () => {
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('GIVEN the production config THEN docs/dashboards holds exactly one fresh preview per dashboard (npm run previews)', () => {
    const committed = fs.readdirSync(PREVIEW_DIR).sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      expect({ name, fresh: fs.readFileSync(path.join(PREVIEW_DIR, name)).equals(Buffer.from(content)) }).toEqual({ name, fresh: true });
    }
    expect(source.dashboards.length).toBeGreaterThanOrEqual(9);
  });

  test('GIVEN the dashboards the README shows THEN each has a PNG of its preview', () => {
    for (const uid of PNG_DASHBOARDS) {
      const png = expected.get(`${uid}.png`);
      // A PNG, as wide as the SVG it is drawn from (its IHDR width).
      const width = Number(/<svg [^>]*width="(\d+)"/.exec(svgOf(uid))?.[1]);
      expect({ uid, png: Buffer.isBuffer(png) && png.subarray(1, 4).toString() === 'PNG', width: Buffer.isBuffer(png) ? png.readUInt32BE(16) : 0 }).toEqual({ uid, png: true, width });
    }
  });

  test('GIVEN the Service overview THEN every Prometheus time-series panel draws a line of more than 10 points', () => {
    const json = dashboard('service-overview');
    const svg = svgOf('service-overview');
    const drawn = json.panels.map((p: any, i: number) => ({ title: p.title, type: p.type, prometheus: p.datasource?.type === 'prometheus', points: polylinePoints(groups(svg)[i]) }));
    const prometheusSeries = drawn.filter((p: any) => p.type === 'timeseries' && p.prometheus);
    expect(prometheusSeries.length).toBeGreaterThan(0);
    expect(prometheusSeries.filter((p: any) => !p.points.some((n: number) => n > 10))).toEqual([]);
  });

  test('GIVEN the PostgreSQL stats THEN each shows a number in one of its thresholds\' colours', () => {
    const json = dashboard('postgres-query-performance');
    const svg = svgOf('postgres-query-performance');
    const stats = json.panels.map((p: any, i: number) => ({ p, g: groups(svg)[i] })).filter(({ p }: any) => p.type === 'stat');
    expect(stats.length).toBeGreaterThan(0);
    const shown = stats.map(({ p, g }: any) => {
      const m = /fill="(#[0-9a-f]{6})" text-anchor="middle" font-weight="bold">([^<]+)</.exec(g);
      const colours = (p.fieldConfig.defaults.thresholds?.steps ?? [{ value: null, color: 'green' }]).map((step: any) => thresholdColour(step.value ?? -Infinity, { steps: [step] }));
      return { title: p.title, number: /\d/.test(m?.[2] ?? ''), thresholdColour: colours.includes(m?.[1]) };
    });
    expect(shown).toEqual(stats.map(({ p }: any) => ({ title: p.title, number: true, thresholdColour: true })));
  });

  test('GIVEN one query altered THEN that panel, and only that panel, is drawn differently', async () => {
    const json = dashboard('service-overview');
    const altered = JSON.parse(JSON.stringify(json));
    // A unit off by 1 000: the rate in requests per millisecond instead of per second.
    const panel = altered.panels.findIndex((p: any) => p.type === 'timeseries' && p.datasource?.type === 'prometheus');
    for (const t of altered.panels[panel].targets) t.expr = `(${t.expr}) / 1000`;
    const before = groups(svgOf('service-overview'));
    const after = groups(await previews.svg(altered));
    expect(after.length).toBe(before.length);
    expect(after.map((g, i) => (g === before[i] ? 'same' : 'changed'))).toEqual(before.map((_, i) => (i === panel ? 'changed' : 'same')));
  });
});
