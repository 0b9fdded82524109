import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireTool, run } from './tools';

describe('requireTool', () => {
  let fakeRoot: string;

  beforeEach(() => {
    fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tools-'));
  });
  afterEach(() => fs.rmSync(fakeRoot, { recursive: true, force: true }));

  function fakeExecutable(relative: string): string {
    const file = path.join(fakeRoot, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
    return file;
  }

  test('GIVEN promtool is installed WHEN required THEN its absolute path runs --version', () => {
    const promtool = requireTool('promtool');
    expect(path.isAbsolute(promtool)).toBe(true);
    const { code, stdout, stderr } = run(promtool, ['--version']);
    expect(code).toBe(0);
    expect(stdout + stderr).toMatch(/promtool, version \d+\.\d+/);
  });

  test('GIVEN an empty PATH and no Debian locations WHEN a tool is required THEN it throws naming the Debian package and the script', () => {
    expect(() => requireTool('promtool', { PATH: '', root: fakeRoot })).toThrow(
      /"promtool" not found.*Debian package "prometheus".*bash scripts\/ensure-tools\.sh` as root/,
    );
    expect(() => requireTool('vmalert', { PATH: '', root: fakeRoot })).toThrow(/"victoria-metrics"/);
    expect(() => requireTool('amtool', { PATH: '', root: fakeRoot })).toThrow(/"prometheus-alertmanager"/);
    expect(() => requireTool('postgres_exporter', { PATH: '', root: fakeRoot })).toThrow(/"prometheus-postgres-exporter"/);
    expect(() => requireTool('initdb', { PATH: '', root: fakeRoot })).toThrow(/"postgresql"/);
  });

  test('GIVEN the tool only in a directory on PATH WHEN required THEN that one is returned', () => {
    const vmagent = fakeExecutable('opt/vm/vmagent');
    expect(requireTool('vmagent', { PATH: path.dirname(vmagent), root: fakeRoot })).toBe(vmagent);
  });

  test('GIVEN the Debian binary name of postgres_exporter WHEN required THEN it is found under /usr/bin', () => {
    const exporter = fakeExecutable('usr/bin/prometheus-postgres-exporter');
    expect(requireTool('postgres_exporter', { PATH: '', root: fakeRoot })).toBe(exporter);
  });

  test('GIVEN several PostgreSQL majors WHEN initdb is required THEN the highest major wins (numerically)', () => {
    fakeExecutable('usr/lib/postgresql/9.6/bin/initdb');
    fakeExecutable('usr/lib/postgresql/15/bin/initdb');
    const newest = fakeExecutable('usr/lib/postgresql/17/bin/initdb');
    expect(requireTool('initdb', { PATH: '', root: fakeRoot })).toBe(newest);
  });

  test('GIVEN a non-executable file WHEN required THEN it is not accepted', () => {
    const file = path.join(fakeRoot, 'usr/bin/amtool');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '', { mode: 0o644 });
    expect(() => requireTool('amtool', { PATH: '', root: fakeRoot })).toThrow(/not found/);
  });

  test('GIVEN this machine WHEN the PostgreSQL server binaries are required THEN they come from the same major version', () => {
    const dirs = (['initdb', 'pg_ctl', 'postgres'] as const).map((t) => path.dirname(requireTool(t)));
    expect(new Set(dirs).size).toBe(1);
  });
});

describe('run', () => {
  test('GIVEN input and a failing command WHEN run THEN stdin, stdout, stderr and the exit code are passed through', () => {
    expect(run('sh', ['-c', 'cat; echo oops >&2; exit 3'], { input: 'hello' })).toEqual({ code: 3, stdout: 'hello', stderr: 'oops\n' });
  });

  test('GIVEN a cwd WHEN run THEN the command runs there', () => {
    expect(run('pwd', [], { cwd: os.tmpdir() }).stdout.trim()).toBe(fs.realpathSync(os.tmpdir()));
  });

  test('GIVEN a command that outlives its timeout WHEN run THEN it is killed with code 124', () => {
    const result = run('sleep', ['5'], { timeoutMs: 200 });
    expect(result.code).toBe(124);
    expect(result.stderr).toMatch(/timed out after 200 ms/);
  });

  test('GIVEN a command that does not exist WHEN run THEN it throws', () => {
    expect(() => run('/nonexistent/definitely-not-a-tool', [])).toThrow(/Failed to run/);
  });
});
