import { App } from 'cdk8s';
import * as path from 'path';
import * as lib from '../src';
import { REPO_ROOT } from './support/synth-fixture';

test('GIVEN the library entry point WHEN a platform team composes its own app THEN the Stack synthesizes from a shipped config', () => {
  const config = lib.loadConfigFile(path.join(REPO_ROOT, 'config', 'qa.yaml'));
  const app = new App();
  const stack = new lib.Stack(app, 'stack', config, { sourceIdentity: '0000000', argocd: new App() });
  expect(stack.components).toEqual(expect.arrayContaining(['prometheus', 'grafana', 'loki', 'jaeger']));
  expect(app.charts.length).toBeGreaterThan(5);
  expect([typeof lib.instrument, typeof lib.requestGpu, typeof lib.ObservablePostgres, typeof lib.databaseUrlEnv]).toEqual([
    'function',
    'function',
    'function',
    'function',
  ]);
});
