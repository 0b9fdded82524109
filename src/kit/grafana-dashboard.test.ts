import { Testing } from 'cdk8s';
import { renderDashboard } from './dashboard';
import { GrafanaDashboard } from './grafana-dashboard';
import { newDashboard } from './presets';

const builder = () => newDashboard({ uid: 'test-board', title: 'Test', tags: [] });

test('GIVEN a builder or the same dashboard already rendered WHEN provisioned THEN the ConfigMaps are identical', () => {
  const a = Testing.chart();
  const fromBuilder = new GrafanaDashboard(a, 'd', { namespace: 'monitoring', builder: builder() });
  const b = Testing.chart();
  const fromRendered = new GrafanaDashboard(b, 'd', { namespace: 'monitoring', dashboard: renderDashboard(builder()) });
  expect(Testing.synth(a)).toEqual(Testing.synth(b));
  expect(fromBuilder.configMapName).toBe('grafana-dashboard-test-board');
  expect(JSON.parse(fromRendered.jsonText).uid).toBe('test-board');
});

test('fails if both or neither of builder and dashboard are given', () => {
  expect(() => new GrafanaDashboard(Testing.chart(), 'd', { namespace: 'monitoring' })).toThrow('give exactly one of builder or dashboard');
  expect(
    () => new GrafanaDashboard(Testing.chart(), 'd', { namespace: 'monitoring', builder: builder(), dashboard: renderDashboard(builder()) }),
  ).toThrow('give exactly one of builder or dashboard');
});
