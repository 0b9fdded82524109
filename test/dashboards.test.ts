import * as path from 'path';
import { dashboards } from './support/dist-files';
import { promqlErrors } from './support/query-parsers';
import { environments, synthesizedShippedConfigs } from './support/synth-fixture';

const out = synthesizedShippedConfigs();

describe.each(environments(out))('dashboards of %s', (env) => {
  const all = dashboards(path.join(out, env));

  test('the stack health dashboard is there', () => {
    expect(all.map((d) => d.json.uid)).toContain('stack-health');
  });

  test.each(all.map((d) => [d.json.uid, d.json] as const))('%s: every panel has a datasource and every target a refId; ids are unique', (_uid, json) => {
    const panels: any[] = json.panels;
    expect(panels.length).toBeGreaterThan(0);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBeTruthy();
      for (const target of panel.targets ?? []) expect(target.refId).toMatch(/^[A-Z]$/);
    }
  });

  test.each(all.map((d) => [d.json.uid, d.json] as const))('%s: panels do not overlap', (_uid, json) => {
    const boxes = json.panels.map((p: any) => ({ title: p.title, ...p.gridPos }));
    for (const a of boxes) {
      expect(a.x + a.w).toBeLessThanOrEqual(24);
      for (const b of boxes) {
        if (a === b) continue;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect({ a: a.title, b: b.title, overlap }).toEqual({ a: a.title, b: b.title, overlap: false });
      }
    }
  });

  test.each(all.map((d) => [d.json.uid, d.json] as const))('%s: every PromQL query parses with the Prometheus grammar', (_uid, json) => {
    const exprs = json.panels.flatMap((p: any) => (p.datasource?.type === 'prometheus' ? (p.targets ?? []).map((t: any) => t.expr) : []));
    expect(exprs.length).toBeGreaterThan(0);
    for (const expr of exprs) expect({ expr, errors: promqlErrors(expr) }).toEqual({ expr, errors: [] });
  });
});
