import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';
import { SHIPPED_CONFIG_DIR } from './synth-fixture';

/**
 * Synthesizes the shipped configs once for the whole run; test files read the
 * result through `synthesizedShippedConfigs()` instead of each synthesizing
 * again. The directory is handed to the workers in the environment.
 */
export default function globalSetup(): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-synth-shared-'));
  synthesize({ config: SHIPPED_CONFIG_DIR, out });
  process.env.OBS_SHIPPED_SYNTH_DIR = out;
}
