/**
 * The dashboard preview drawing (src/kit/preview.ts) on hand-made data: layout, lines, stats, gauges, units.
 * test/dashboard-previews-with-data.test.ts draws the real dashboards from the workload.
 */
import { dashboardSvg, formatValue } from '../src/kit/preview';

describe('dashboard previews drawn from query results', () => {
  test('GIVEN a stat THEN its value is written in its unit, in the colour of the threshold step it reaches', () => {
    const thresholds = { steps: [{ value: null, color: 'green' }, { value: 0.8, color: 'red' }] };
    const draw = (value: number) =>
      dashboardSvg(
        { uid: 'x', panels: [{ id: 1, type: 'stat', title: 's', gridPos: { x: 0, y: 0, w: 6, h: 4 }, fieldConfig: { defaults: { unit: 'percentunit', thresholds } } }] },
        { start: 0, end: 60, note: 'n', panels: new Map([[1, { kind: 'series', series: [{ name: 'a', points: [[60, value]] }] }]]) },
      );
    expect(draw(0.5)).toContain('fill="#73bf69" text-anchor="middle" font-weight="bold">50%</text>');
    expect(draw(0.873)).toContain('fill="#f2495c" text-anchor="middle" font-weight="bold">87.3%</text>');
  });

  test('GIVEN a panel without data THEN its box is in place with its title (escaped) and type', () => {
    const svg = dashboardSvg({
      uid: 'x',
      title: 'X',
      panels: [{ type: 'stat', title: 'p99 < 200 ms', gridPos: { x: 12, y: 2, w: 6, h: 4 } }],
    });
    expect(svg).toContain('<rect x="482" y="102" width="236" height="116"');
    expect(svg).toContain('>p99 &lt; 200 ms</text>');
    expect(svg).toContain('>stat</text>');
  });

  test('GIVEN a title wider than its box THEN it is cut with an ellipsis', () => {
    const svg = dashboardSvg({ uid: 'x', panels: [{ type: 'stat', title: 'a'.repeat(100), gridPos: { x: 0, y: 0, w: 3, h: 4 } }] });
    expect(svg).toMatch(/>a{1,13}…<\/text>/);
  });

  test('GIVEN more series than are drawn THEN the legend says how many more', () => {
    const series = Array.from({ length: 8 }, (_, i) => ({ name: `s${i}`, points: [[0, i], [60, i + 1]] as Array<[number, number]> }));
    const svg = dashboardSvg(
      { uid: 'x', panels: [{ id: 1, type: 'timeseries', title: 't', gridPos: { x: 0, y: 0, w: 24, h: 8 }, fieldConfig: { defaults: { unit: 'bytes' } } }] },
      { start: 0, end: 60, note: 'n', panels: new Map([[1, { kind: 'series', series }]]) },
    );
    expect(svg.match(/<polyline /g)?.length).toBe(5);
    expect(svg).toContain('>+3 more</text>');
    // The y axis spans the drawn series: s3 … s7, from 3 to 8 bytes.
    expect(svg).toContain('>8 B</text>');
    expect(svg).toContain('>3 B</text>');
  });

  test('GIVEN a series with a NaN or skipped steps THEN its line breaks there, and only there', () => {
    const draw = (points: Array<[number, number]>) =>
      dashboardSvg(
        { uid: 'x', panels: [{ id: 1, type: 'timeseries', title: 't', gridPos: { x: 0, y: 0, w: 24, h: 8 } }] },
        { start: 0, end: 600, note: 'n', panels: new Map([[1, { kind: 'series', series: [{ name: 'a', points }] }]]) },
      ).match(/<polyline /g)?.length;
    const every15s = Array.from({ length: 41 }, (_, i): [number, number] => [i * 15, i % 7]);
    expect(draw(every15s)).toBe(1);
    expect(draw(every15s.map(([t, v]): [number, number] => [t, t === 300 ? NaN : v]))).toBe(2);
    expect(draw(every15s.filter(([t]) => t < 200 || t > 400))).toBe(2);
  });

  test('GIVEN a gauge THEN its bar is filled to its value in its threshold colour', () => {
    const svg = dashboardSvg(
      {
        uid: 'x',
        panels: [
          {
            id: 1,
            type: 'bargauge',
            title: 'g',
            gridPos: { x: 0, y: 0, w: 6, h: 4 },
            fieldConfig: { defaults: { unit: 'percentunit', thresholds: { steps: [{ value: null, color: 'green' }, { value: 0.8, color: 'red' }] } } },
          },
        ],
      },
      { start: 0, end: 60, note: 'n', panels: new Map([[1, { kind: 'series', series: [{ name: 'a', points: [[60, 0.9]] }] }]]) },
    );
    expect(svg).toContain('fill="#f2495c" text-anchor="middle" font-weight="bold">90%</text>');
    expect(svg).toMatch(/<rect x="[\d.]+" y="[\d.]+" width="(\d+(\.\d)?)" height="8" fill="#f2495c"\/>/);
  });

  test.each([
    [0.0123, 's', '12.3 ms'],
    [1536, 'bytes', '1.5 KiB'],
    [0.257, 'percentunit', '25.7%'],
    [12_345, 'short', '12.3 K'],
    [2.5, 'reqps', '2.5 req/s'],
    [90, 'ms', '90 ms'],
  ])('GIVEN %p in unit %s THEN it is written %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});
