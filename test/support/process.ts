/**
 * Starting a real binary for a test: a free loopback port, the process with its log captured, a wait for its
 * health endpoint, and a check that the log holds no error and no deprecation warning.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Ports this process handed out, never handed out again: processes a test starts together must not share one. */
const handedOut = new Set<number>();

/** Whether a listener can bind `port` on 127.0.0.1 now (`0`: any port); the port it got, or undefined. */
function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', () => resolve(undefined));
    srv.listen(port, '127.0.0.1', () => {
      const bound = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(bound));
    });
  });
}

/**
 * Where to look for free ports: below the kernel's ephemeral range, which outgoing connections and `listen(0)`
 * draw from, so none of them takes a port between the test picking it and its process binding it (many
 * processes start at once in the integration tests). Undefined where the range cannot be read or leaves no room.
 */
function portsBelowEphemeral(): { low: number; high: number } | undefined {
  try {
    const [ephemeralLow] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return ephemeralLow > 11_000 ? { low: 10_000, high: ephemeralLow } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a process the test starts: never one this process
 * handed out before, and (on Linux) outside the ephemeral range, see `portsBelowEphemeral`.
 */
export async function freePort(): Promise<number> {
  const range = portsBelowEphemeral();
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const candidate = range ? range.low + Math.floor(Math.random() * (range.high - range.low)) : 0;
    if (handedOut.has(candidate)) continue;
    const port = await bindable(candidate);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('found no free TCP port on 127.0.0.1');
}

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  log(): string;
  /** Resolves when `url` answers 2xx; rejects with the log if the process exits or the time runs out. */
  waitForHttp(url: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (the pod's runAsUser), which needs root; see `runAsOf`. */
  uid?: number;
  gid?: number;
}

const running = new Set<RunningProcess>();

/** Starts `cmd`; every process a test file starts is killed when the file's tests end (see `stopAll`). */
export function startProcess(name: string, cmd: string, args: string[], opts: StartOptions = {}): RunningProcess {
  const chunks: Buffer[] = [];
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, uid: opts.uid, gid: opts.gid, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.on('error', (e) => {
      chunks.push(Buffer.from(`[startProcess] could not start ${cmd}: ${e.message}\n`));
      exited = { code: -1, signal: null };
      resolve();
    });
  });
  const log = (): string => Buffer.concat(chunks).toString('utf8');
  const proc: RunningProcess = {
    name,
    child,
    log,
    async waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        if (exited) throw new Error(`${name} exited (${exited.code ?? exited.signal}) before ${url} answered. Its log:\n${log()}`);
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          if (res.ok) return;
          last = `HTTP ${res.status}`;
        } catch (e) {
          last = (e as Error).message;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${name}: ${url} did not answer 2xx within ${timeoutMs} ms (last: ${last}). Its log:\n${log()}`);
    },
    async stop(graceMs = 10_000): Promise<void> {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => !exited && child.kill('SIGKILL'), graceMs);
        await exitPromise;
        clearTimeout(timer);
      }
      running.delete(proc);
    },
    async kill(): Promise<void> {
      if (!exited) {
        child.kill('SIGKILL');
        await exitPromise;
      }
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every process still running; call from `afterAll`. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(5_000)));
}

/**
 * The lines of a log that report an error or a warning (deprecations included), in the formats our
 * components use: logfmt `level=warn`, JSON `"level":"warn"`, zap's and VictoriaMetrics' tab-separated `\twarn\t`
 * (VictoriaMetrics starts the line with it under -loggerDisableTimestamps), klog's `W0102`/`E0102` prefixes, and any
 * line that says "deprecated".
 */
export function problemLines(log: string, allow: readonly RegExp[] = []): string[] {
  const problem = [
    /\blevel=(warn|warning|error|err|fatal|panic)\b/i,
    /"level":\s*"(warn|warning|error|fatal|panic)"/i,
    /(^|\t)(warn|error|fatal|panic|dpanic)\t/i,
    /^[WEF]\d{4} \d\d:\d\d:\d\d/,
    // client-go's klog warnings, which Prometheus' log bridge writes at level=INFO: `msg="Warning: …"`.
    /\bmsg="?Warning: /,
    /deprecat/i,
  ];
  return log
    .split('\n')
    .filter((line) => problem.some((re) => re.test(line)))
    .filter((line) => !allow.some((re) => re.test(line)));
}

/** Fails naming the component and quoting every error or warning line of its log. */
export function expectCleanLog(name: string, log: string, allow: readonly RegExp[] = []): void {
  const lines = problemLines(log, allow);
  if (lines.length > 0) {
    throw new Error(`${name} logged ${lines.length} error or warning line(s):\n${lines.join('\n')}`);
  }
}

/** A temp directory removed when the process exits (Jest workers exit at the end of the run). */
/** Temp dirs this process made, removed when it exits (one listener for all of them). */
const madeDirs = new Set<string>();

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  if (madeDirs.size === 0) process.on('exit', () => madeDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  madeDirs.add(dir);
  return dir;
}

/**
 * The user and group a component runs as in its pod (`runAsUser`/`runAsGroup` of the container, else of the
 * pod), when the tests run as root; undefined otherwise (the tests' own user is not root then). A component
 * that warns when it runs as root (node-exporter) or refuses to (PostgreSQL) then runs as in production.
 */
export function runAsOf(podSpec: any, container: any): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = container.securityContext?.runAsUser ?? podSpec.securityContext?.runAsUser;
  if (uid === undefined || uid === 0) return undefined;
  const gid = container.securityContext?.runAsGroup ?? podSpec.securityContext?.runAsGroup ?? uid;
  return { uid, gid };
}

/**
 * `file` as a path another user can execute: itself when every directory above it lets others through
 * (node_modules in a world-readable checkout), else a copy of `root` (the file's directory, or an ancestor
 * whose tree the file needs, like a PostgreSQL installation's lib/ and share/) in a world-readable temp
 * directory. The tools cache under a private home (`/root/.cache`) is the usual reason.
 */
/** One copy per file and root in a test process: binaries are large. */
const executableCopies = new Map<string, string>();

export function executableByOthers(file: string, root: string = path.dirname(file)): string {
  const reachable = (p: string): boolean => {
    for (let dir = path.dirname(p); ; dir = path.dirname(dir)) {
      if ((fs.statSync(dir).mode & 0o001) === 0) return false;
      if (dir === path.dirname(dir)) return (fs.statSync(p).mode & 0o005) === 0o005;
    }
  };
  if (reachable(file)) return file;
  const copied = executableCopies.get(`${root}\0${file}`);
  if (copied && fs.existsSync(copied)) return copied;
  const dir = tempDir('tool');
  fs.chmodSync(dir, 0o755);
  const copy = path.join(dir, path.basename(root));
  fs.cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
  const result = path.join(copy, path.relative(root, file));
  executableCopies.set(`${root}\0${file}`, result);
  return result;
}

/** Resolves once `done()` holds, polling every 100 ms; throws `message()` after `timeoutMs` (a bound against a hang, not a timing check). */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 100));
  }
}
