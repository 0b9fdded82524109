import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchemaText } from './json-schema';
import { parseConfig } from './loader';

const MINIMAL = `
environment: dev
cluster: dev
repository:
  url: https://git.example.test/platform/observability
grafana:
  adminCredentials:
    secretName: grafana-admin
`;

test('GIVEN a minimal config WHEN loaded THEN every documented default is applied', () => {
  const config = parseConfig(MINIMAL, 'dev.yaml');
  expect(config.metrics).toMatchObject({ scrapeInterval: '15s', evaluationInterval: '30s' });
  expect(config.prometheus).toEqual({
    retention: '15d',
    retentionSize: '16Gi',
    storage: { size: '20Gi' },
  });
  expect(config.namespaces).toEqual({ monitoring: 'monitoring', nodeAgents: 'monitoring-agents' });
  expect(config.grafana.anonymousViewer).toBe(true);
  expect(config.grafana.adminCredentials).toEqual({ secretName: 'grafana-admin', userKey: 'admin-user', passwordKey: 'admin-password' });
  expect(config.repository.revision).toBe('main');
});

test('fails if several fields are wrong: every problem is reported, each with file, field, value and line', () => {
  const text = `${MINIMAL}prometheus:\n  retention: forever\n  scrapeInterval: 10\n`;
  expect(() => parseConfig(text, 'dev.yaml')).toThrow(
    [
      'dev.yaml: prometheus.scrapeInterval: expected string, got number 10 (line 11)',
      'dev.yaml: prometheus.retention: expected a duration like "15d", got "forever" (line 10)',
    ].join('\n'),
  );
});

test('fails if a key is duplicated (YAML would silently keep the last one)', () => {
  expect(() => parseConfig(`${MINIMAL}cluster: again\n`, 'dev.yaml')).toThrow(/YAML syntax error: Map keys must be unique/);
});

describe('the JSON Schema for editors', () => {
  const committed = path.join(__dirname, '..', '..', 'config', 'stack-config.schema.json');

  test('is committed and equal to a fresh generation from the zod schema (run `npm run schema`)', () => {
    expect(fs.readFileSync(committed, 'utf8')).toBe(configJsonSchemaText());
  });

  test('rejects unknown keys and carries the documented defaults', () => {
    const schema = JSON.parse(configJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.prometheus.properties.retention.default).toBe('15d');
    expect(schema.properties.prometheus.properties.retention.description).toMatch(/Default: 15d/);
  });

  test('every shipped config references it for editor validation', () => {
    const dir = path.dirname(committed);
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      expect(fs.readFileSync(path.join(dir, file), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./stack-config.schema.json');
    }
  });
});
