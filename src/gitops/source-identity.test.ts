import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sourceIdentity } from './source-identity';

function project(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-identity-'));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

const base = { 'config/prod.yaml': 'environment: prod\n', 'src/stack.ts': 'export {};\n', 'src/lib/a.ts': 'a\n' };

/** The identity of the prod environment of a project. */
const identity = (root: string) => sourceIdentity(root, [path.join(root, 'config', 'prod.yaml')]);

describe('sourceIdentity', () => {
  test('GIVEN the same sources in two places WHEN hashed THEN the identities are equal, 12 hex digits', () => {
    const a = identity(project(base));
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(identity(project(base))).toBe(a);
  });

  test('GIVEN a changed config, source file or file name THEN the identity changes', () => {
    const a = identity(project(base));
    expect(identity(project({ ...base, 'config/prod.yaml': 'environment: prod2\n' }))).not.toBe(a);
    expect(identity(project({ ...base, 'src/lib/a.ts': 'b\n' }))).not.toBe(a);
    const { 'src/lib/a.ts': content, ...rest } = base;
    expect(identity(project({ ...rest, 'src/lib/b.ts': content }))).not.toBe(a);
  });

  test('GIVEN only tests, snapshots, dotfiles or CRLF line endings differ THEN the identity is the same', () => {
    const a = identity(project(base));
    expect(
      identity(
        project({
          ...base,
          'src/stack.test.ts': 'test',
          'src/__snapshots__/stack.test.ts.snap': 'snap',
          'src/.DS_Store': 'x',
          'src/lib/a.ts': 'a\r\n',
          'src/lib/a.ts~': 'editor backup',
          'src/lib/a.ts.orig': 'merge leftover',
          'src/lib/#a.ts#': 'emacs autosave',
          'src/lib/.a.ts.swp': 'vim swap',
          'config/prod.yaml.bak': 'environment: old\n',
        }),
      ),
    ).toBe(a);
  });

  test('fails if the root has no src/ directory', () => {
    const root = project({ 'config/prod.yaml': 'x' });
    expect(() => identity(root)).toThrow(`cannot compute the source identity: "${path.join(root, 'src')}" is not a directory`);
  });

  test('GIVEN a change to another environment\'s config THEN this environment\'s identity is the same', () => {
    const a = identity(project({ ...base, 'config/qa.yaml': 'environment: qa\n' }));
    expect(identity(project({ ...base, 'config/qa.yaml': 'environment: qa\nservices: []\n' }))).toBe(a);
  });
});
