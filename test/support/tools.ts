/**
 * Locating the external binaries that the integration tests drive (promtool,
 * vmagent, a throw-away PostgreSQL, ...).
 *
 * A missing tool is a hard failure, never a skip: a skipped test looks green
 * in CI while checking nothing. `bash scripts/ensure-tools.sh` (as root)
 * installs everything from Debian packages.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type ToolName = 'promtool' | 'vmagent' | 'vmalert' | 'amtool' | 'postgres_exporter' | 'pg_ctl' | 'initdb' | 'postgres';

interface ToolInfo {
  /** Executable names to look for, in order of preference. */
  binaries: string[];
  debianPackage: string;
  /** The PostgreSQL server binaries are not on PATH on Debian, only under /usr/lib/postgresql/<major>/bin. */
  postgresLibDir?: boolean;
}

const TOOLS: Record<ToolName, ToolInfo> = {
  promtool: { binaries: ['promtool'], debianPackage: 'prometheus' },
  vmagent: { binaries: ['vmagent'], debianPackage: 'victoria-metrics' },
  vmalert: { binaries: ['vmalert'], debianPackage: 'victoria-metrics' },
  amtool: { binaries: ['amtool'], debianPackage: 'prometheus-alertmanager' },
  // Debian renames the upstream postgres_exporter binary.
  postgres_exporter: { binaries: ['prometheus-postgres-exporter', 'postgres_exporter'], debianPackage: 'prometheus-postgres-exporter' },
  pg_ctl: { binaries: ['pg_ctl'], debianPackage: 'postgresql', postgresLibDir: true },
  initdb: { binaries: ['initdb'], debianPackage: 'postgresql', postgresLibDir: true },
  postgres: { binaries: ['postgres'], debianPackage: 'postgresql', postgresLibDir: true },
};

export interface ToolLookupOptions {
  /** Replaces process.env.PATH. */
  PATH?: string;
  /** Filesystem root under which the fixed Debian locations are searched ('/' by default); tests point it at a fake tree. */
  root?: string;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `/usr/lib/postgresql/<major>/bin` directories, highest major first (numerically, so 9 < 16). */
function postgresBinDirs(root: string): string[] {
  const base = path.join(root, 'usr', 'lib', 'postgresql');
  let majors: string[];
  try {
    majors = fs.readdirSync(base).filter((d) => /^\d+(\.\d+)?$/.test(d));
  } catch {
    return [];
  }
  return majors.sort((a, b) => parseFloat(b) - parseFloat(a)).map((m) => path.join(base, m, 'bin'));
}

/** Absolute path of a tool; throws with installation instructions when it is missing. */
export function requireTool(name: ToolName, opts: ToolLookupOptions = {}): string {
  const info = TOOLS[name];
  const root = opts.root ?? '/';
  const pathDirs = (opts.PATH ?? process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  const fixedDirs = [
    ...(info.postgresLibDir ? postgresBinDirs(root) : []),
    path.join(root, 'usr', 'bin'),
    path.join(root, 'usr', 'sbin'),
  ];
  // PATH wins so a developer can point at a newer build; the Debian locations
  // make it work where PATH is minimal or lacks the PostgreSQL directories.
  const dirs = [...new Set([...pathDirs, ...fixedDirs])];

  for (const binary of info.binaries) {
    for (const dir of dirs) {
      const candidate = path.resolve(dir, binary);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  throw new Error(
    `Required tool "${name}" not found (looked for ${info.binaries.join(' or ')} in PATH and ${fixedDirs.join(', ')}). ` +
      `Install the Debian package "${info.debianPackage}": run \`bash scripts/ensure-tools.sh\` as root, ` +
      `or \`apt-get install -y --no-install-recommends ${info.debianPackage}\`.`,
  );
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
export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): RunResult {
  const result = spawnSync(cmd, args, {
    cwd: opts.cwd,
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
