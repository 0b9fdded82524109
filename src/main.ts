import * as fs from 'fs';
import { ConfigError } from './config/errors';
import { EnvironmentSummary, SynthError, synthesize } from './synth';

const USAGE = `usage: npm run synth [-- --config <file-or-dir>] [--out <dir>]

  --config  a config file, or a directory of *.yaml configs   (default: config/)
  --out     output directory; each environment goes to <out>/<environment>/   (default: dist/)`;

interface Args {
  config: string;
  out: string;
}

function parseArgs(argv: string[]): Args {
  // Under `cdk8s synth` the CLI chooses a scratch output directory; the real output stays dist/ (see cdk8s.yaml).
  const args: Args = { config: 'config', out: 'dist' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if ((flag === '--config' || flag === '--out') && value && !value.startsWith('--')) {
      args[flag.slice(2) as keyof Args] = value;
      i++;
    } else {
      throw new ConfigError([`unknown or incomplete argument "${flag}"\n${USAGE}`]);
    }
  }
  return args;
}

function describe(summary: EnvironmentSummary): string {
  const objects = Object.values(summary.kinds).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(summary.kinds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return (
    `${summary.environment} (${summary.configFile}) -> ${summary.outDir}/\n` +
    `  components: ${summary.components.join(', ')}\n` +
    `  ${objects} objects: ${kinds}\n` +
    `  plus ${summary.files} plain files (rules, dashboards, alerting) beside the manifests`
  );
}

/**
 * `cdk8s synth` deletes its output directory before it runs the app, which would
 * break atomic output, so cdk8s.yaml points the CLI at a scratch directory
 * (CDK8S_OUTDIR) and the app writes dist/ itself. The manifests are copied to
 * the scratch directory so the CLI can list them.
 */
function mirrorForCdk8sCli(out: string): void {
  const scratch = process.env.CDK8S_OUTDIR;
  if (!scratch) return;
  fs.cpSync(out, scratch, { recursive: true });
}

export function main(argv: string[]): number {
  try {
    const args = parseArgs(argv);
    const summaries = synthesize(args);
    for (const s of summaries) console.log(describe(s));
    // Deprecated fields still synthesize; the warning says what to write instead.
    for (const warning of summaries.flatMap((s) => s.warnings)) console.error(`warning: ${warning}`);
    mirrorForCdk8sCli(args.out);
    return 0;
  } catch (err) {
    if (err instanceof SynthError || err instanceof ConfigError) {
      console.error('synth failed; the output directory was left as it was:');
      for (const problem of err.problems) console.error(`  ${problem}`);
      return 1;
    }
    throw err;
  }
}
