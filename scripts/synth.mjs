// Runs the synth CLI (src/cli.ts) fast: esbuild transpiles the TypeScript
// sources into one CommonJS file in well under a second (libraries stay in
// node_modules), then the file runs in this same process. This avoids both the
// cdk8s CLI's start-up and a type-check on every synth; `npm test` type-checks.
import { buildSync } from 'esbuild';
import { createRequire } from 'module';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, '.build', 'cli.cjs');
buildSync({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
createRequire(import.meta.url)(outfile);
