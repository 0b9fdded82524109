import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { synthesize } from '../../src/synth';

/**
 * Synthesizes the shipped configs once for the whole run; test files read the
 * result through `synthesizedShippedConfigs()` instead of each synthesizing
 * again. The directory is handed to the workers in the environment.
 */
export default function globalSetup(): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-synth-shared-'));
  synthesize({ config: path.join(__dirname, '..', '..', 'config'), out });
  process.env.OBS_SHIPPED_SYNTH_DIR = out;
}
