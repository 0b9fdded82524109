import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { synthesize } from '../../src/synth';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const SHIPPED_CONFIG_DIR = path.join(REPO_ROOT, 'config');

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
