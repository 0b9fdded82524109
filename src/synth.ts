import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, YamlOutputType } from 'cdk8s';
import { checkEnvironmentIsolation } from './config/checks';
import { ConfigError } from './config/errors';
import { listConfigFiles, loadConfig, LoadedConfig } from './config/loader';
import { StackConfig } from './config/schema';
import { ARGOCD_DIRECTORY } from './gitops/applications';
import { sourceIdentity } from './gitops/source-identity';
import { Stack } from './stack';

export interface SynthOptions {
  /** A config file, or a directory of `*.yaml` configs. */
  readonly config: string;
  /** Each environment goes to `<out>/<environment>/`. */
  readonly out: string;
  /**
   * The project root whose `config/` and `src/` make the source identity of
   * the deploy annotations (see src/gitops/source-identity.ts).
   * @default process.cwd()
   */
  readonly sourceRoot?: string;
}

export interface EnvironmentSummary {
  readonly environment: string;
  readonly configFile: string;
  readonly outDir: string;
  readonly components: readonly string[];
  /** Object counts by kind. */
  readonly kinds: Readonly<Record<string, number>>;
  readonly files: number;
  /** Deprecated config fields that still work, with file and line. */
  readonly warnings: readonly string[];
}

/** Thrown when synthesis fails; carries every problem found, across every config. */
export class SynthError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SynthError';
  }
}

/**
 * Synthesizes every environment, atomically: everything is built in a
 * temporary directory beside the output, and only when every environment
 * succeeded is each `<out>/<env>` swapped in. On any error nothing in `<out>`
 * changes. When a whole config directory is synthesized, environments whose
 * config is gone are removed from `<out>` in the same swap.
 */
export function synthesize(opts: SynthOptions): EnvironmentSummary[] {
  const configFiles = listConfigFiles(opts.config);
  const wholeDirectory = fs.statSync(opts.config).isDirectory();

  const problems: string[] = [];
  const configs: Array<LoadedConfig & { file: string }> = [];
  for (const file of configFiles) {
    try {
      configs.push({ file, ...loadConfig(file, displayPath(file)) });
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  // One file of a directory is still checked against the others there, which are deployed beside it.
  // A sibling that does not load is left out: its own synth reports why.
  const siblings: typeof configs = [];
  if (!wholeDirectory && problems.length === 0) {
    for (const file of listConfigFiles(path.dirname(opts.config))) {
      if (configFiles.some((f) => path.resolve(f) === path.resolve(file))) continue;
      try {
        siblings.push({ file, ...loadConfig(file, displayPath(file)) });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
      }
    }
  }
  const byEnvironment = new Map<string, string>();
  for (const { file, config } of [...siblings, ...configs]) {
    const other = byEnvironment.get(config.environment);
    if (other && !siblings.some((s) => s.file === file)) {
      problems.push(`${displayPath(file)}: environment: "${config.environment}" is also the environment of ${displayPath(other)}; each needs its own name`);
    }
    byEnvironment.set(config.environment, file);
  }
  problems.push(
    ...checkEnvironmentIsolation(
      [...siblings, ...configs].map((c) => ({ ...c, file: displayPath(c.file) })),
      new Set(configs.map((c) => displayPath(c.file))),
    ),
  );
  if (problems.length > 0) throw new SynthError(problems);

  // Each environment's identity covers its own config files and src/, so a change to one environment's
  // config leaves the other environments' output as it was.
  const identities = new Map<string, string>();
  try {
    for (const { file, files } of configs) identities.set(file, sourceIdentity(opts.sourceRoot ?? process.cwd(), files));
  } catch (err) {
    throw new SynthError([(err as Error).message]);
  }
  const outParent = path.resolve(opts.out);
  fs.mkdirSync(outParent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(outParent), `.synth-tmp-${path.basename(outParent)}-`));
  try {
    const summaries: EnvironmentSummary[] = [];
    for (const { file, config, warnings } of configs) {
      try {
        summaries.push({ ...synthesizeEnvironment(config, file, path.join(staging, config.environment), identities.get(file)!), warnings });
      } catch (err) {
        problems.push(`${displayPath(file)}: ${(err as Error).message}`);
      }
    }
    if (problems.length > 0) throw new SynthError(problems);
    swapIn(staging, outParent, [...new Set(configs.map((c) => c.config.environment))], wholeDirectory);
    return summaries.map((s) => ({ ...s, outDir: path.join(opts.out, s.environment) }));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** A path as the user would type it: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : path.resolve(file);
}

function synthesizeEnvironment(config: StackConfig, configFile: string, outDir: string, identity: string): Omit<EnvironmentSummary, 'warnings'> {
  const appProps = { outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART };
  const app = new App({ ...appProps, outdir: outDir });
  const argocd = new App({ ...appProps, outdir: path.join(outDir, ARGOCD_DIRECTORY) });
  const stack = new Stack(app, 'stack', config, { sourceIdentity: identity, argocd, configDir: path.dirname(path.resolve(configFile)) });
  app.synth();
  argocd.synth();
  for (const [relative, content] of stack.files) {
    const target = path.join(outDir, relative);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
  }
  // Counted from the construct tree: re-parsing the written YAML cost about a third of each environment's synth.
  const kinds: Record<string, number> = {};
  for (const chart of [...app.charts, ...argocd.charts]) {
    for (const obj of chart.node.findAll().filter(ApiObject.isApiObject)) kinds[obj.kind] = (kinds[obj.kind] ?? 0) + 1;
  }
  return { environment: config.environment, configFile, outDir, components: stack.components, kinds, files: stack.files.size };
}

/**
 * Moves each freshly built environment into place. Each rename is atomic on one
 * filesystem (the staging directory is a sibling of the output for that reason).
 */
function swapIn(staging: string, outParent: string, environments: string[], removeOthers: boolean): void {
  const trash = path.join(staging, '.previous');
  fs.mkdirSync(trash);
  if (removeOthers) {
    for (const entry of fs.readdirSync(outParent)) {
      if (!environments.includes(entry)) fs.renameSync(path.join(outParent, entry), path.join(trash, entry));
    }
  }
  for (const env of environments) {
    const target = path.join(outParent, env);
    if (fs.existsSync(target)) fs.renameSync(target, path.join(trash, env));
    fs.renameSync(path.join(staging, env), target);
  }
}
