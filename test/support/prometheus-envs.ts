import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { backendSwitch } from './metrics-backend';
import { configVariant, environments, shippedConfigs, synthesizedExamples, synthesizedShippedConfigs } from './synth-fixture';

/** When no config under test runs Prometheus, the first one with metrics.backend "prometheus", synthesized. */
function prometheusVariant(): string {
  const { file, config } = shippedConfigs()[0];
  const variantOut = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-variant-'));
  synthesize({ config: configVariant(file, config.environment, backendSwitch('prometheus')), out: variantOut });
  return path.join(variantOut, config.environment);
}

/**
 * The synthesized environments (configs under test and examples) and those of them that run Prometheus; when
 * none does (a user switched every config to VictoriaMetrics), a Prometheus variant of the first config, so the
 * Prometheus checks always have something to check.
 */
export function prometheusEnvDirs(): { out: string; examples: string; all: string[]; shipped: string[]; checked: string[] } {
  const out = synthesizedShippedConfigs();
  const examples = synthesizedExamples();
  const all = [...environments(out).map((e) => path.join(out, e)), ...environments(examples).map((e) => path.join(examples, e))];
  const shipped = all.filter((d) => fs.existsSync(path.join(d, 'prometheus.k8s.yaml')));
  return { out, examples, all, shipped, checked: shipped.length > 0 ? shipped : [prometheusVariant()] };
}
