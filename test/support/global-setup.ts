import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { SHIPPED_CONFIG_DIR } from './synth-fixture';

/**
 * One temporary directory for the whole run, removed by the global teardown: TMPDIR points at it, so every
 * temp dir the tests make (and the binaries they start make) lands there, whether or not the test cleans up,
 * and a run leaves nothing behind. Sticky and world-writable like /tmp, for components run as their pods' users.
 *
 * Then synthesizes the shipped configs once for the whole run; test files read the result through
 * `synthesizedShippedConfigs()` instead of each synthesizing again. Both directories reach the workers in the
 * environment.
 */
export default function globalSetup(): void {
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'observability-tests-'));
  fs.chmodSync(run, 0o1777);
  process.env.OBS_TEST_RUN_DIR = run;
  process.env.TMPDIR = run;
  const out = fs.mkdtempSync(path.join(run, 'obs-synth-shared-'));
  synthesize({ config: SHIPPED_CONFIG_DIR, out });
  process.env.OBS_SHIPPED_SYNTH_DIR = out;
}
