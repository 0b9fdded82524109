/**
 * `npm run tools [name ...]`: resolves (and builds where missing) every real binary the tests run, and
 * prints one `name version path` line each. Exits 1 with the reason and the command to run when a tool
 * cannot be had.
 */
import { ensureTools, ToolError } from './resolve';

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const resolved = await ensureTools(names.length > 0 ? names : undefined);
  for (const t of resolved) process.stdout.write(`${t.name} ${t.version} ${t.path}\n`);
}

main().catch((e: unknown) => {
  const message = e instanceof ToolError ? e.message : (e as Error).stack ?? String(e);
  process.stderr.write(`tools: ${message}\n`);
  process.exit(1);
});
