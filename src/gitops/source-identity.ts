import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The identity of a deploy, as tagged on its Grafana annotation.
 *
 * A commit SHA cannot be used: with rendered manifests committed to Git, the
 * commit that will contain dist/ does not exist while dist/ is being
 * synthesized, and baking in `HEAD` would change dist/ at every commit, so
 * CI's freshness check (`npm run synth` leaves dist/ unchanged) could never
 * pass.
 *
 * So the identity is a content hash of what one environment's manifests are
 * made from: its config file, the shared files it extends, and every file
 * under `src/`. It is deterministic (same sources, same identity, on any
 * machine), known at synth time, and changes exactly when those sources
 * change: adding a service to production's config does not change QA's. To
 * find the commit of a deploy, search Git for the commit where `npm run synth`
 * first printed that identity.
 *
 * Left out, because they never change the output: tests (`*.test.ts`), jest
 * snapshots, dotfiles, and editor and backup files (`*~`, `*.bak`, `*.orig`,
 * `*.swp`, `#*#`, ...). Line endings are normalised to LF so a Windows
 * checkout (core.autocrlf) gets the same identity.
 */
export const SOURCE_DIRECTORY = 'src';

/** Length of the identity in hex digits: short like a Git short SHA, and still collision-free in practice. */
const IDENTITY_LENGTH = 12;

/** Files an editor or a merge leaves beside the real ones. */
const EDITOR_OR_BACKUP = /(~|\.(bak|backup|old|orig|rej|swp|swo|swx|tmp))$|^#.*#$/i;

function countsAsSource(name: string, isDirectory: boolean): boolean {
  if (name.startsWith('.')) return false;
  if (isDirectory) return name !== '__snapshots__' && name !== 'node_modules';
  return !name.endsWith('.test.ts') && !EDITOR_OR_BACKUP.test(name);
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

/** A file's name in the hash: its path inside the project, or its base name when it lives elsewhere. */
function nameInProject(root: string, file: string): string {
  const relative = path.relative(root, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? path.basename(file) : relative.split(path.sep).join('/');
}

/**
 * The source identity of one environment: the first 12 hex digits of a
 * SHA-256 over the path and the content of each of its config files (the
 * environment's own and the shared ones it extends) and every source file
 * under `<root>/src`. Throws when `root` has no `src/` directory.
 */
export function sourceIdentity(root: string, configFiles: readonly string[]): string {
  const full = path.join(root, SOURCE_DIRECTORY);
  if (!fs.existsSync(full) || !fs.statSync(full).isDirectory()) {
    throw new Error(
      `cannot compute the source identity: "${full}" is not a directory; run the synth from the project root, which holds ${SOURCE_DIRECTORY}/`,
    );
  }
  const hash = createHash('sha256');
  const files = [
    ...configFiles.map((f) => ({ name: nameInProject(root, f), file: path.resolve(f) })),
    ...sourceFiles(root, full).map((f) => ({ name: f, file: path.join(root, f) })),
  ];
  for (const { name, file } of files) {
    const content = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
    hash.update(name).update('\0').update(content).update('\0');
  }
  return hash.digest('hex').slice(0, IDENTITY_LENGTH);
}
