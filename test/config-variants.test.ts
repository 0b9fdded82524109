import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { SLO_RECORD } from '../src/catalog/slo';
import { VARIANTS, writeVariant } from '../scripts/check-variants';
import { listConfigFiles, loadConfigFile } from '../src/config/loader';
import { synthesize } from '../src/synth';
import { tempDir } from './support/process';
import { sharedSloBranches } from './support/slo-records';
import { environments, SHIPPED_CONFIG_DIR } from './support/synth-fixture';

/**
 * The variants `npm run variants` runs the config-reading tests on: each is a valid config directory that
 * synthesizes, and each carries the change it is named after. (The full check suite on each variant is
 * `npm run variants`; it runs every such test file once per variant, too long for every `npm test`.)
 */
const variant = (name: string) => VARIANTS.find((v) => v.name === name)!;
const original = listConfigFiles(SHIPPED_CONFIG_DIR).map((f) => loadConfigFile(f));

function synthesized(name: string): { dir: string; out: string; configs: ReturnType<typeof loadConfigFile>[] } {
  const dir = writeVariant(SHIPPED_CONFIG_DIR, variant(name));
  const out = tempDir(`variant-out-${name}-`);
  synthesize({ config: dir, out });
  return { dir, out, configs: listConfigFiles(dir).map((f) => loadConfigFile(f)) };
}

test('GIVEN a service added WHEN synthesized THEN its consumer group has a lag panel and its own latency target an alert', () => {
  const { out, configs } = synthesized('service-added');
  const env = configs[0].environment;
  expect(configs[0].services.length).toBe(original[0].services.length + 1);
  const added = configs[0].services[configs[0].services.length - 1].name;
  expect(fs.readFileSync(path.join(out, env, 'dashboards', 'kafka-consumers.json'), 'utf8')).toContain(`group_id=\\"${added}-consumer\\"`);
  // Its latency SLO: p99 under 250 ms, i.e. the requests in the 0.25 s bucket are the good ones.
  const rules = parse(fs.readFileSync(path.join(out, env, 'rules', 'slo.yaml'), 'utf8')).groups.flatMap((g: any) => g.rules);
  const latency = (record: string) => rules.filter((r: any) => r.record === record && r.labels?.service === added && r.labels?.slo === 'latency').map((r: any) => r.expr);
  expect(latency(SLO_RECORD.objective)).toEqual(['vector(0.99)']);
  const [errors, ...others] = sharedSloBranches(rules, SLO_RECORD.errors, configs[0].services[configs[0].services.length - 1], 'latency');
  expect(others).toEqual([]);
  expect(errors).toContain('le=~"0.25"}');
  // 250 ms is a bucket bound of the client's default layout: read as is, not interpolated.
  expect(errors).not.toContain(' * ');
});

test('GIVEN an environment added WHEN the whole directory is synthesized THEN it is one more environment, isolated from the others', () => {
  const { out, configs } = synthesized('environment-added');
  const added = configs.map((c) => c.environment).filter((e) => !original.some((c) => c.environment === e));
  expect(added).toHaveLength(1);
  expect(environments(out)).toEqual([...original.map((c) => c.environment), ...added].sort());
  expect(configs.length).toBe(original.length + 1);
});

test('GIVEN the engine and backends switched WHEN synthesized THEN each environment runs the other engine and VictoriaMetrics', () => {
  const { out, configs } = synthesized('backends-switched');
  configs.forEach((config, i) => {
    expect(config.alerting.engine).not.toBe(original[i].alerting.engine);
    expect(fs.existsSync(path.join(out, config.environment, 'prometheus.k8s.yaml'))).toBe(false);
    expect(fs.existsSync(path.join(out, config.environment, 'alertmanager.k8s.yaml'))).toBe(config.alerting.engine === 'prometheus');
  });
});

test('GIVEN the log agent switched WHEN synthesized THEN each environment runs the other agent', () => {
  const { out, configs } = synthesized('agent-switched');
  configs.forEach((config, i) => {
    expect(config.logs.agent).not.toBe(original[i].logs.agent);
    expect(fs.readFileSync(path.join(out, config.environment, 'log-agent.k8s.yaml'), 'utf8')).toContain(`name: ${config.logs.agent}-config`);
  });
});
