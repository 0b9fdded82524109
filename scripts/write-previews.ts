// Renders every dashboard of the production config, with data, to docs/dashboards/<uid>.svg, plus an index.
// test/dashboard-previews.test.ts fails when they are stale.
//
//   npm run previews
//
// The data step runs a real Prometheus and promtool at the image's version: the first run on a fresh clone
// builds them (as `npm run tools prometheus promtool` does), which takes a few minutes.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stopAll } from '../test/support/process';
import { ensureTools } from './tools/resolve';
import { PREVIEW_DIR, previewSource, startPreviews } from './previews';

async function main(): Promise<void> {
  await ensureTools(['prometheus', 'promtool']);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'previews-'));
  try {
    const previews = await startPreviews(previewSource(), work);
    console.log(previews.timings);
    const files = await previews.files();
    fs.mkdirSync(PREVIEW_DIR, { recursive: true });
    for (const f of fs.readdirSync(PREVIEW_DIR)) if (!files.has(f)) fs.rmSync(path.join(PREVIEW_DIR, f));
    for (const [name, content] of files) fs.writeFileSync(path.join(PREVIEW_DIR, name), content);
    console.log(`wrote ${files.size} files to ${path.relative(process.cwd(), PREVIEW_DIR)}/`);
  } finally {
    // Stops the Prometheus of the data step, also when the step failed half way.
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
