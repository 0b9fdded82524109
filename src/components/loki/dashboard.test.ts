import { logqlErrors } from '../../../test/support/query-parsers';
import { DATASOURCE } from '../../kit/datasources';
import { lokiDashboard } from './dashboard';
import { LOGQL } from './queries';

const model = lokiDashboard().build();
const panels = (model.panels ?? []) as any[];
const targets = panels.flatMap((p) => (p.targets ?? []).map((t: any) => ({ panel: p.title as string, expr: t.expr as string, ds: t.datasource })));

describe('Logs dashboard', () => {
  test('GIVEN the dashboard WHEN built THEN it has the error, volume and Warning-event panels', () => {
    expect(model.uid).toBe('logs');
    expect(panels.map((p) => p.title)).toEqual([
      'Error lines per second by namespace/app',
      'Error ratio by namespace/app',
      'Log volume by namespace',
      'Lines per second by level',
      'Recent error lines',
      'Warning events by reason',
      'Warning events by kind',
      'Warning events by namespace',
      'Recent Warning events',
    ]);
  });

  test('GIVEN every panel query WHEN parsed with Grafana\'s LogQL grammar THEN none has an error, and all use the Loki datasource', () => {
    expect(targets.length).toBeGreaterThanOrEqual(9);
    for (const t of targets) {
      expect({ panel: t.panel, errors: logqlErrors(t.expr), ds: t.ds }).toEqual({ panel: t.panel, errors: [], ds: DATASOURCE.loki });
    }
  });

  test('GIVEN the event panels WHEN read THEN they parse the JSON line before filtering on namespace (the stream has only job)', () => {
    for (const t of targets.filter((x) => x.panel.includes('Warning'))) {
      expect(t.expr).toMatch(/^(sum by \(\w+\) \(count_over_time\()?\{job="kube-event-exporter"\} \| json \| namespace=~"\$namespace"/);
    }
  });

  test('GIVEN the user queries WHEN parsed THEN every one is valid LogQL', () => {
    for (const [name, expr] of Object.entries(LOGQL)) expect({ name, errors: logqlErrors(expr) }).toEqual({ name, errors: [] });
  });

  test('GIVEN a broken query WHEN parsed THEN the checker reports it (the test above can fail)', () => {
    expect(logqlErrors('{job="kube-event-exporter"} | json | namespace=')).not.toEqual([]);
  });
});
