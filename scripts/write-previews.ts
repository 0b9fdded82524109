// Renders every dashboard of the production config to docs/dashboards/<uid>.svg,
// plus an index. test/dashboard-previews.test.ts fails when they are stale.
import * as fs from 'fs';
import * as path from 'path';
import { expectedPreviews, PREVIEW_DIR } from './previews';

const files = expectedPreviews();
fs.mkdirSync(PREVIEW_DIR, { recursive: true });
for (const f of fs.readdirSync(PREVIEW_DIR)) if (!files.has(f)) fs.rmSync(path.join(PREVIEW_DIR, f));
for (const [name, content] of files) fs.writeFileSync(path.join(PREVIEW_DIR, name), content);
console.log(`wrote ${files.size} files to ${path.relative(process.cwd(), PREVIEW_DIR)}/`);
