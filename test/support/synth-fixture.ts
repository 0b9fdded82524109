import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, parseDocument } from 'yaml';
import { listConfigFiles, loadConfigFile } from '../../src/config/loader';
import { StackConfig } from '../../src/config/schema';
import { synthesize } from '../../src/synth';
import { backendSwitch } from './metrics-backend';

export const REPO_ROOT = path.join(__dirname, '..', '..');
/**
 * The config directory under test: the project's config/, or OBS_CONFIG_DIR (scripts/check-variants.ts runs
 * the checks on generated variants of it this way). Tests derive what they expect from the configs in it.
 */
export const SHIPPED_CONFIG_DIR = process.env.OBS_CONFIG_DIR ? path.resolve(process.env.OBS_CONFIG_DIR) : path.join(REPO_ROOT, 'config');

/** Every config under test, loaded, in file-name order. */
export function shippedConfigs(): Array<{ file: string; config: StackConfig }> {
  return listConfigFiles(SHIPPED_CONFIG_DIR).map((file) => ({ file, config: loadConfigFile(file) }));
}

/** The environment names of the configs under test, sorted (the directories synth writes). */
export function shippedEnvironments(): string[] {
  return shippedConfigs()
    .map((c) => c.config.environment)
    .sort();
}

/** The config under test of one environment. */
export function shippedConfigOf(environment: string): { file: string; config: StackConfig } {
  const found = shippedConfigs().find((c) => c.config.environment === environment);
  if (!found) throw new Error(`no config in ${SHIPPED_CONFIG_DIR} has environment "${environment}"`);
  return found;
}

/**
 * Writes a copy of a config with some fields set (each a path and a value) into a new temporary
 * directory and returns the file. Edits go through the YAML document, so they hold whatever else the
 * user changed in the file.
 */
export function configVariant(file: string, name: string, settings: Array<[Array<string | number>, unknown]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `variant-${name}-`));
  const target = path.join(dir, `${name}.yaml`);
  copyConfig(file, target, settings);
  return target;
}

/** Copies a config elsewhere, with fields set; a shared file it extends is still found (its path made absolute). */
export function copyConfig(file: string, target: string, settings: Array<[Array<string | number>, unknown]> = []): void {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const base = doc.get('extends');
  if (typeof base === 'string') doc.set('extends', path.resolve(path.dirname(file), base));
  // `undefined` removes the setting, so a test can take a field out of whatever the config under test has.
  for (const [at, value] of settings) {
    if (value !== undefined) doc.setIn(at, value);
    else if (doc.hasIn(at.slice(0, -1))) doc.deleteIn(at);
  }
  fs.writeFileSync(target, doc.toString());
}

let cached: string | undefined;

/**
 * The shipped configs synthesized into a temporary directory: once per run (global setup), or once per
 * test file, and returns it. Tests check this fresh output rather than the
 * committed dist/, which CI separately proves equal to a fresh synth.
 */
export function synthesizedShippedConfigs(): string {
  // Synthesized once per run by test/support/global-setup.ts; a file run on its own synthesizes here.
  if (!cached && process.env.OBS_SHIPPED_SYNTH_DIR) cached = process.env.OBS_SHIPPED_SYNTH_DIR;
  if (!cached) {
    cached = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-synth-'));
    synthesize({ config: SHIPPED_CONFIG_DIR, out: cached });
  }
  return cached;
}

export function environments(outDir: string): string[] {
  return fs.readdirSync(outDir).filter((e) => fs.statSync(path.join(outDir, e)).isDirectory()).sort();
}

/** Every file under a directory, relative paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** The example configs checked alongside the shipped ones wherever every environment is checked. */
/** The fields every config must set and nothing else, so everything else is at its default; tests add to it. */
export function minimalConfig(environment = 'test'): string {
  return [
    `environment: ${environment}`,
    `cluster: ${environment}`,
    'repository:',
    '  url: https://github.com/example-org/observability-platform',
    'grafana:',
    '  adminCredentials:',
    '    secretName: grafana-admin',
    '',
  ].join('\n');
}

export const EXAMPLE_CONFIGS = ['examples/ha.yaml', 'examples/agent.yaml'] as const;

let examplesCached: string | undefined;

/**
 * The example configs (examples/ha.yaml: the central cluster with Loki HA; examples/agent.yaml: an agent
 * cluster with Alloy) synthesized into a temporary directory, once per test file.
 */
export function synthesizedExamples(): string {
  if (!examplesCached) {
    examplesCached = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-synth-examples-'));
    for (const config of EXAMPLE_CONFIGS) synthesize({ config: path.join(REPO_ROOT, config), out: examplesCached });
  }
  return examplesCached;
}

export interface SynthesizedEnvironment {
  /** The config file, relative to the repository: `config/prod.yaml`, `examples/ha.yaml`, ... */
  readonly config: string;
  /** The environment's name (its `environment` field), the directory synth wrote. */
  readonly environment: string;
  readonly dir: string;
}

/** Every environment the real-tool checks cover: each shipped config and each example, synthesized. */
export function allSynthesizedEnvironments(): SynthesizedEnvironment[] {
  const shipped = synthesizedShippedConfigs();
  const examples = synthesizedExamples();
  return [
    ...environments(shipped).map((environment) => ({ config: `config/${environment}.yaml`, environment, dir: path.join(shipped, environment) })),
    ...EXAMPLE_CONFIGS.map((config) => {
      const environment = String(parse(fs.readFileSync(path.join(REPO_ROOT, config), 'utf8')).environment);
      return { config, environment, dir: path.join(examples, environment) };
    }),
  ];
}

type BackendEnvironment = { name: string; backend: StackConfig['metrics']['backend']; dir: string; config: StackConfig };
let backendsCached: BackendEnvironment[] | undefined;

/**
 * Every metrics backend's rules and dashboards: the configs under test as they are, and the first of them
 * switched to each VictoriaMetrics backend (single node and cluster), so the same catalogue is checked on
 * every backend. Named `<config> (<backend>)`, so a failure says which.
 */
export function backendEnvironments(): BackendEnvironment[] {
  if (backendsCached) return backendsCached;
  const shipped = synthesizedShippedConfigs();
  const base = shippedConfigs()[0];
  const variants = (['victoriametrics', 'victoriametrics-cluster'] as const).map((backend) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `obs-synth-${backend}-`));
    const file = configVariant(base.file, base.config.environment, backendSwitch(backend));
    synthesize({ config: file, out });
    return { name: `${path.relative(REPO_ROOT, base.file)} (${backend})`, backend, dir: path.join(out, base.config.environment), config: loadConfigFile(file) };
  });
  backendsCached = [
    ...shippedConfigs().map((c) => ({
      name: `${path.relative(REPO_ROOT, c.file)} (${c.config.metrics.backend})`,
      backend: c.config.metrics.backend,
      dir: path.join(shipped, c.config.environment),
      config: c.config,
    })),
    ...variants,
  ];
  return backendsCached;
}
