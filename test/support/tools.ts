/**
 * The real binaries the integration tests drive, each at its image's version (see scripts/tools/catalog.ts).
 *
 * A missing tool is a hard failure, never a skip: a skipped test looks green in CI while checking nothing.
 * `npm test` runs `npm run tools` first, which builds what is missing; `requireTool` itself never builds.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import { findTool } from '../../scripts/tools/resolve';

export type { ToolName } from '../../scripts/tools/catalog';

/** Absolute path of a tool at its image's version; throws saying what to run when it is not there. */
export function requireTool(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return findTool(name, env).path;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion. A non-zero exit is returned, not thrown, so
 * tests can assert on failures; failing to start at all (e.g. ENOENT) throws.
 * Timeouts return code 124 (like coreutils `timeout`), signals 128+n.
 */
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): RunResult {
  const result = spawnSync(cmd, args, {
    cwd: opts.cwd,
    // Added to the test's own environment, like startProcess does.
    env: opts.env ? { ...process.env, ...opts.env } : undefined,
    input: opts.input,
    timeout: opts.timeoutMs ?? 60_000,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = result.stdout ?? '';
  let stderr = result.stderr ?? '';
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  if (result.error && !timedOut) throw new Error(`Failed to run ${cmd}: ${result.error.message}`);

  if (timedOut) {
    stderr += `\n[run] ${cmd} timed out after ${opts.timeoutMs ?? 60_000} ms and was killed`;
    return { code: 124, stdout, stderr };
  }
  if (result.status !== null) return { code: result.status, stdout, stderr };
  const signal = result.signal ?? 'SIGKILL';
  return { code: 128 + (os.constants.signals[signal] ?? 9), stdout, stderr: `${stderr}\n[run] ${cmd} killed by ${signal}` };
}
