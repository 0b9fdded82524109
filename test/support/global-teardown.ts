import * as fs from 'fs';

/** Removes the run's temporary directory (global-setup.ts), with everything the tests and their binaries left in it. */
export default function globalTeardown(): void {
  const run = process.env.OBS_TEST_RUN_DIR;
  if (run) fs.rmSync(run, { recursive: true, force: true });
}
