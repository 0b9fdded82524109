import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The identity of a deploy, as tagged on its Grafana annotation.
 *
 * Seed 1 tagged CI's annotations with the short commit SHA. With rendered
 * manifests committed to Git that SHA cannot be used: the commit that will
 * contain dist/ does not exist while dist/ is being synthesized, and baking in
 * `HEAD` would change dist/ at every commit, so CI's freshness check
 * (`npm run synth` leaves dist/ unchanged) could never pass.
 *
 * So the identity is a content hash of what the manifests are made from: every
 * file under `config/` and `src/`. It is deterministic (same sources, same
 * identity, on any machine), known at synth time, and changes exactly when the
 * sources change. To find the commit of a deploy, search Git for the commit
 * where `npm run synth` first printed that identity, or compare it with
 * `npm run synth` output of a checkout.
 *
 * Left out, because they never change the output: tests (`*.test.ts`), jest
 * snapshots and dotfiles. Line endings are normalised to LF so a Windows
 * checkout (core.autocrlf) gets the same identity.
 */
export const SOURCE_IDENTITY_DIRECTORIES = ['config', 'src'] as const;

/** Length of the identity in hex digits: short like a Git short SHA, and still collision-free in practice. */
const IDENTITY_LENGTH = 12;

function countsAsSource(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.')) return false;
  if (isDirectory) return name !== '__snapshots__' && name !== 'node_modules';
  return !name.endsWith('.test.ts');
}

/** Source files below `dir`, as `/`-separated paths relative to `root`, in a locale-independent order. */
function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (!countsAsSource(entry.name, entry.isDirectory())) continue;
    if (entry.isDirectory()) out.push(...sourceFiles(root, full));
    else if (entry.isFile()) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out;
}

/**
 * The source identity of the project at `root`: the first 12 hex digits of a
 * SHA-256 over the path and the content of every source file.
 * Throws when `root` has no `config/` or `src/` directory.
 */
export function sourceIdentity(root: string): string {
  const hash = createHash('sha256');
  for (const dir of SOURCE_IDENTITY_DIRECTORIES) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full) || !fs.statSync(full).isDirectory()) {
      throw new Error(
        `cannot compute the source identity: "${full}" is not a directory; ` +
          `run the synth from the project root, which holds ${SOURCE_IDENTITY_DIRECTORIES.join('/ and ')}/`,
      );
    }
    for (const file of sourceFiles(root, full)) {
      const content = fs.readFileSync(path.join(root, file), 'utf8').replace(/\r\n/g, '\n');
      hash.update(file).update('\0').update(content).update('\0');
    }
  }
  return hash.digest('hex').slice(0, IDENTITY_LENGTH);
}
