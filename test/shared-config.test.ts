import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '../src/config/loader';
import { tempDir } from './support/process';

/** Writes files into a new directory and returns it. */
function project(files: Record<string, string>): string {
  const dir = tempDir('shared-config-');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const SHARED = `grafana:
  adminCredentials:
    secretName: grafana-admin
  storage:
    size: 3Gi
logs:
  retention: 7d
services:
  - { name: shared-a, namespace: shop, stack: go }
  - { name: shared-b, namespace: shop, stack: java }
`;

const ENV = `extends: ./shared/catalogue.yaml
environment: staging
cluster: staging
repository:
  url: https://github.com/example-org/observability-platform
`;

describe('extends: a shared file', () => {
  test('GIVEN an environment that sets nothing of the shared file THEN it gets all of it, and both files are its sources', () => {
    const dir = project({ 'shared/catalogue.yaml': SHARED, 'staging.yaml': ENV });
    const { config, files } = loadConfig(path.join(dir, 'staging.yaml'));
    expect(config.services.map((s) => s.name)).toEqual(['shared-a', 'shared-b']);
    expect(config.grafana.storage.size).toBe('3Gi');
    expect(config.logs.retention).toBe('7d');
    expect(files).toEqual([path.join(dir, 'staging.yaml'), path.join(dir, 'shared', 'catalogue.yaml')]);
  });

  test('GIVEN an environment that sets a nested value and a list THEN the value is merged in and the list replaces the shared one', () => {
    const dir = project({
      'shared/catalogue.yaml': SHARED,
      'staging.yaml': `${ENV}grafana:\n  storage:\n    size: 4Gi\nservices:\n  - { name: own, namespace: shop, stack: python }\n`,
    });
    const { config } = loadConfig(path.join(dir, 'staging.yaml'));
    expect(config.grafana.adminCredentials?.secretName).toBe('grafana-admin');
    expect(config.grafana.storage.size).toBe('4Gi');
    expect(config.services.map((s) => s.name)).toEqual(['own']);
  });

  test('GIVEN a shared file that extends another THEN the nearer file wins', () => {
    const dir = project({
      'shared/base.yaml': 'logs:\n  retention: 30d\nprometheus:\n  retention: 30d\n',
      'shared/catalogue.yaml': `extends: ./base.yaml\n${SHARED}`,
      'staging.yaml': ENV,
    });
    const { config, files } = loadConfig(path.join(dir, 'staging.yaml'));
    expect({ logs: config.logs.retention, prometheus: config.prometheus.retention }).toEqual({ logs: '7d', prometheus: '30d' });
    expect(files.map((f) => path.relative(dir, f))).toEqual(['staging.yaml', path.join('shared', 'catalogue.yaml'), path.join('shared', 'base.yaml')]);
  });

  test('fails if a shared service is wrong: the message names the environment, the field and the shared file and its line', () => {
    const dir = project({
      'shared/catalogue.yaml': SHARED.replace('stack: java', 'stack: rust'),
      'staging.yaml': ENV,
    });
    const display = path.join(dir, 'staging.yaml');
    expect(() => loadConfig(display)).toThrow(
      `${display}: services[1].stack: expected one of "go", "java", "python", got "rust" (${path.join(dir, 'shared', 'catalogue.yaml')}, line 10)`,
    );
  });
});
