/**
 * The project's plain-JavaScript scripts (`npm run bench`, `npm run synth`, the workload generator) are not
 * compiled by tsc, and the benchmark is not run by the tests: a syntax error there would only show when someone
 * next runs it. Node parses each one here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './support/synth-fixture';
import { run } from './support/tools';

function scripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return scripts(full);
    return /\.(mjs|cjs|js)$/.test(e.name) ? [full] : [];
  });
}

const FILES = scripts(path.join(REPO_ROOT, 'scripts')).map((f) => path.relative(REPO_ROOT, f));

test('there are scripts to check', () => {
  expect(FILES).toEqual(expect.arrayContaining(['scripts/bench.mjs', 'scripts/synth.mjs', 'scripts/workload/generate.mjs']));
});

test.each(FILES)('%s parses', (file) => {
  const r = run(process.execPath, ['--check', path.join(REPO_ROOT, file)]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
});
