/**
 * A throw-away PostgreSQL server for a test: the image's version (initdb and postgres from the npm package,
 * see scripts/tools/catalog.ts), in a temp directory, on a free loopback port and a Unix socket there.
 *
 * PostgreSQL refuses to run as root. As root (CI, a developer's container) the server runs as `nobody`, an
 * account every Linux system has, owning only the temp directory; as anyone else, as that user.
 *
 * The client is psql from PATH, as the tests run the stack's psql scripts (`\getenv`, `\gexec`, `\if`) through
 * it exactly as the image's entrypoint does. It must be 15 or later (`\getenv`); the PostgreSQL server package
 * is not needed (Debian: postgresql-client).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { executableByOthers, freePort, tempDir } from './process';
import { requireTool } from './tools';

export interface PostgresServer {
  readonly port: number;
  /** The Unix socket directory (also the temp directory). */
  readonly socketDir: string;
  readonly dataDir: string;
  /** The server's stderr: its log, auto_explain plans included. */
  readonly logFile: string;
  /** A libpq connection string as the superuser `postgres` over the socket (trust), for `dbname`. */
  conninfo(dbname?: string, extra?: string): string;
  /** Runs psql with `-X -v ON_ERROR_STOP=1 -At`; never throws for a non-zero exit. */
  psql(args: string[], opts?: PsqlOptions): { code: number; stdout: string; stderr: string };
  /** Starts psql in the background (a connection held open); stopped with the server. */
  psqlInBackground(args: string[], conninfo: string): ChildProcess;
  /** Fast shutdown, then SIGKILL after 10 s; resolves when the server is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface PsqlOptions {
  /** A connection string; default `conninfo()`. */
  conn?: string;
  /** Added to the environment (or, with `replaceEnv`, the whole environment besides PATH). */
  env?: NodeJS.ProcessEnv;
  replaceEnv?: boolean;
  input?: string;
}

export interface StartPostgresOptions {
  /** `-c name=value` settings on the command line, as the stack passes them. */
  settings?: Record<string, string>;
  /** @default 30 s */
  timeoutMs?: number;
}

/** The unprivileged account the server runs as when the tests run as root. */
function unprivilegedAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  if (!line) throw new Error('running as root, and /etc/passwd has no "nobody" account for PostgreSQL to run as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** psql from PATH, checked to be 15 or later. */
export function psqlBinary(): string {
  const r = spawnSync('psql', ['--version'], { encoding: 'utf8' });
  if (r.error) {
    throw new Error(`psql (15 or later) is not on PATH: ${r.error.message}. Install the PostgreSQL client (Debian: apt-get install postgresql-client).`);
  }
  const major = Number(/\(PostgreSQL\) (\d+)/.exec(r.stdout)?.[1]);
  if (!(major >= 15)) throw new Error(`psql ${r.stdout.trim()} is too old: the stack's psql scripts use \\getenv (psql 15+).`);
  return 'psql';
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const psql = psqlBinary();
  const account = unprivilegedAccount();
  // The installation (bin/, lib/, share/) where the server's account can run it: the checkout's node_modules,
  // or a copy when a directory above it is private.
  const installed = requireTool('initdb');
  if (path.dirname(requireTool('postgres')) !== path.dirname(installed)) throw new Error('initdb and postgres are not installed side by side');
  const initdb = account ? executableByOthers(installed, path.dirname(path.dirname(installed))) : installed;
  const postgres = path.join(path.dirname(initdb), 'postgres');
  const dir = tempDir('pg');
  if (account) fs.chownSync(dir, account.uid, account.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const asServer = { ...(account ?? {}), env: { PATH: process.env.PATH ?? '', HOME: dir, LANG: 'C.UTF-8' } };

  const init = spawnSync(initdb, ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8'], {
    ...asServer,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stdout}${init.stderr}${init.error?.message ?? ''}`);

  const port = await freePort();
  const settingArgs = Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const log = fs.openSync(logFile, 'a');
  if (account) fs.fchownSync(log, account.uid, account.gid);
  const server = spawn(
    postgres,
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'logging_collector=off', ...settingArgs],
    { ...asServer, stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const background: ChildProcess[] = [];
  const exited = new Promise<void>((resolve) => server.on('exit', () => resolve()));
  const stop = async () => {
    for (const c of background) if (c.exitCode === null) c.kill('SIGKILL');
    if (server.exitCode !== null || server.signalCode !== null) return;
    // SIGINT is PostgreSQL's fast shutdown.
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  process.on('exit', () => {
    for (const c of [...background, server]) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  const conninfo = (dbname = 'postgres', extra = '') => `host=${dir} port=${port} user=postgres dbname=${dbname}${extra ? ` ${extra}` : ''}`;
  const runPsql = (args: string[], o: PsqlOptions = {}) => {
    const env = o.replaceEnv ? { PATH: process.env.PATH ?? '', ...o.env } : { ...process.env, ...o.env };
    const r = spawnSync(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-At', o.conn ?? conninfo(), ...args], { env, input: o.input, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited (${server.exitCode}) at start. Its log:\n${fs.readFileSync(logFile, 'utf8')}`);
    if (runPsql(['-c', 'SELECT 1']).code === 0) break;
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within ${opts.timeoutMs ?? 30_000} ms. Its log:\n${fs.readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    port,
    socketDir: dir,
    dataDir,
    logFile,
    conninfo,
    psql: runPsql,
    psqlInBackground(args, conn) {
      const child = spawn(psql, ['-X', conn, ...args], { stdio: 'ignore' });
      background.push(child);
      return child;
    },
    stop,
  };
}
