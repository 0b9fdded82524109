import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { backendSwitch } from './metrics-backend';
import { configVariant, environments, shippedConfigs, synthesizedExamples, synthesizedShippedConfigs } from './synth-fixture';

/**
 * The first config under test with the alerting settings a group of tests is about (production's: engine
 * prometheus, paging; QA's: engine grafana, no paging; both with a Telegram chat), synthesized. The tests
 * hold whatever else the user changed in the config.
 */
export const ALERTING_TELEGRAM_CHAT = -1001000000009;
export function synthesizedWithAlerting(engine: 'prometheus' | 'grafana', paging: boolean): string {
  const { file, config } = shippedConfigs()[0];
  const variant = configVariant(file, config.environment, [
    [['alerting', 'engine'], engine],
    [['alerting', 'paging'], paging],
    // These tests are about Prometheus' side of alerting (rule files, where it sends alerts).
    ...backendSwitch('prometheus'),
    [['alerting', 'receivers', 'telegramChatId'], ALERTING_TELEGRAM_CHAT],
  ]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `alerting-${engine}-`));
  synthesize({ config: variant, out: dir });
  return path.join(dir, config.environment);
}

/** Every environment and example that runs Alertmanager: [environment name, its directory]. */
export function alertmanagerEnvDirs(): Array<[string, string]> {
  const out = synthesizedShippedConfigs();
  const examples = synthesizedExamples();
  return [
    ...environments(out).map((e): [string, string] => [e, path.join(out, e)]),
    ...environments(examples).map((e): [string, string] => [e, path.join(examples, e)]),
  ].filter(([, dir]) => fs.existsSync(path.join(dir, 'alertmanager.k8s.yaml')));
}
