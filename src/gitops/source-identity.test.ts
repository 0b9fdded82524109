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

describe('sourceIdentity', () => {
  test('GIVEN the same sources in two places WHEN hashed THEN the identities are equal, 12 hex digits', () => {
    const a = sourceIdentity(project(base));
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(sourceIdentity(project(base))).toBe(a);
  });

  test('GIVEN a changed config, source file or file name THEN the identity changes', () => {
    const a = sourceIdentity(project(base));
    expect(sourceIdentity(project({ ...base, 'config/prod.yaml': 'environment: prod2\n' }))).not.toBe(a);
    expect(sourceIdentity(project({ ...base, 'src/lib/a.ts': 'b\n' }))).not.toBe(a);
    const { 'src/lib/a.ts': content, ...rest } = base;
    expect(sourceIdentity(project({ ...rest, 'src/lib/b.ts': content }))).not.toBe(a);
  });

  test('GIVEN only tests, snapshots, dotfiles or CRLF line endings differ THEN the identity is the same', () => {
    const a = sourceIdentity(project(base));
    expect(
      sourceIdentity(
        project({
          ...base,
          'src/stack.test.ts': 'test',
          'src/__snapshots__/stack.test.ts.snap': 'snap',
          'src/.DS_Store': 'x',
          'src/lib/a.ts': 'a\r\n',
        }),
      ),
    ).toBe(a);
  });

  test('fails if the root has no src/ directory', () => {
    const root = project({ 'config/prod.yaml': 'x' });
    expect(() => sourceIdentity(root)).toThrow(`cannot compute the source identity: "${path.join(root, 'src')}" is not a directory`);
  });
});
