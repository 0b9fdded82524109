import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IMAGES } from '../../src/lib/images';
import { envVarOf, semverOfTag, TOOLS, toolSpec } from '../../scripts/tools/catalog';
import { buildDir, findTool, reportedVersion } from '../../scripts/tools/resolve';
import { requireTool, run } from './tools';

describe('every tested binary is the version of the image it stands for', () => {
  test.each(TOOLS.flatMap((t) => (t.image ? [[t.name, t.image] as const] : [])))('%s reports the version of image %s', (name, image) => {
    const spec = toolSpec(name);
    const binary = requireTool(name);
    // The expected value comes from the image table, not from the catalogue's own derivation.
    expect(reportedVersion(spec, binary)).toBe(semverOfTag(IMAGES[image].tag));
  });

  // The control plane is no image of the stack: its version is a constant of the catalogue.
  test.each(TOOLS.flatMap((t) => (t.image ? [] : [[t.name, t.pinnedBy, t.version] as const])))('%s reports %s (%s)', (name, _constant, version) => {
    expect(reportedVersion(toolSpec(name), requireTool(name))).toBe(version);
  });
});

describe('tool resolution: env, then PATH, then the cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A fake promtool that prints the given version the way the real one does. */
  function fakePromtool(where: string, version: string): string {
    const file = path.join(where, 'promtool');
    fs.mkdirSync(where, { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\necho "promtool, version ${version} (branch: HEAD, revision: x)"\n`, { mode: 0o755 });
    return file;
  }

  const promtool = toolSpec('promtool');
  const emptyCache = (): NodeJS.ProcessEnv => ({ PATH: '', OBS_TOOLS_CACHE: path.join(dir, 'cache') });

  test('GIVEN nothing on PATH and an empty cache WHEN a tool is required THEN it throws naming npm run tools, Go and the variable', () => {
    expect(() => findTool('promtool', emptyCache())).toThrow(
      new RegExp(`promtool ${promtool.version.replace(/\./g, '\\.')} .*not built: run \`npm run tools\`.*Go >= 1\\.26.*${envVarOf('promtool')}`),
    );
  });

  test('GIVEN a promtool of another version on PATH WHEN required THEN it is not used', () => {
    const old = fakePromtool(path.join(dir, 'old'), '2.42.0');
    expect(() => findTool('promtool', { ...emptyCache(), PATH: path.dirname(old) })).toThrow(/not built/);
  });

  test('GIVEN a promtool of the image version on PATH WHEN required THEN that one is returned', () => {
    const good = fakePromtool(path.join(dir, 'good'), promtool.version);
    expect(findTool('promtool', { ...emptyCache(), PATH: path.dirname(good) })).toMatchObject({ path: good, source: 'path', version: promtool.version });
  });

  test('GIVEN OBS_TOOL_PROMTOOL names a binary of another version WHEN required THEN it throws with both versions', () => {
    const old = fakePromtool(path.join(dir, 'old'), '2.42.0');
    expect(() => findTool('promtool', { ...emptyCache(), [envVarOf('promtool')]: old })).toThrow(
      new RegExp(`OBS_TOOL_PROMTOOL=.*reports version 2\\.42\\.0, but the image prometheus is ${promtool.version.replace(/\./g, '\\.')}`),
    );
  });

  test('GIVEN OBS_TOOL_PROMTOOL names the right version WHEN required THEN it wins over PATH and the cache', () => {
    const explicit = fakePromtool(path.join(dir, 'explicit'), promtool.version);
    const onPath = fakePromtool(path.join(dir, 'path'), promtool.version);
    expect(findTool('promtool', { ...emptyCache(), PATH: path.dirname(onPath), [envVarOf('promtool')]: explicit }).path).toBe(explicit);
  });

  test('GIVEN a build in the cache WHEN required THEN the cache is keyed by build name and version', () => {
    const env = emptyCache();
    const cached = fakePromtool(path.join(buildDir(promtool, env), 'bin'), promtool.version);
    expect(path.relative(env.OBS_TOOLS_CACHE as string, cached)).toBe(path.join(`prometheus-${promtool.version}`, 'bin', 'promtool'));
    expect(findTool('promtool', env)).toMatchObject({ path: cached, source: 'cache' });
  });

  test('GIVEN npm run tools WHEN it runs THEN it prints one "name version path" line per tool', () => {
    const r = run(path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx'), [path.join(__dirname, '..', '..', 'scripts', 'tools', 'cli.ts')], {
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(TOOLS.map((t) => t.name));
    for (const line of lines) {
      const [name, version, file] = line.split(' ');
      const { image, version: pinned } = toolSpec(name);
      expect(version).toBe(image ? semverOfTag(IMAGES[image].tag) : pinned);
      expect(fs.existsSync(file)).toBe(true);
    }
  });
});
