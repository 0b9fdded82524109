import * as fs from 'fs';
import * as path from 'path';
import { dashboardSvg } from '../src/kit/preview';
import { expectedPreviews, PREVIEW_DIR } from '../scripts/previews';

describe('SVG previews in docs/dashboards', () => {
  const expected = expectedPreviews();

  test('GIVEN the production config THEN docs/dashboards holds exactly one fresh preview per dashboard (npm run previews)', () => {
    const committed = fs.readdirSync(PREVIEW_DIR).sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      expect({ name, fresh: fs.readFileSync(path.join(PREVIEW_DIR, name), 'utf8') === content }).toEqual({ name, fresh: true });
    }
    expect([...expected.keys()].filter((n) => n.endsWith('.svg')).length).toBeGreaterThanOrEqual(9);
  });

  test('GIVEN a panel THEN its box is in place with its title (escaped) and type', () => {
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
    expect(svg).toMatch(/>a{13}…<\/text>/);
  });
});
