import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { synthesize } from '../src/synth';
import { listFiles, REPO_ROOT, SHIPPED_CONFIG_DIR, shippedEnvironments } from './support/synth-fixture';

/** Kinds counted from what was written, the way a reader of dist/ would count them. */
function kindsInManifests(envDir: string): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const file of listFiles(envDir).filter((f) => f.endsWith('.k8s.yaml'))) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(envDir, file), 'utf8'))) {
      const kind = (doc.toJS() as { kind?: string } | null)?.kind;
      if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  return kinds;
}

describe('synth summary', () => {
  // synthesize() counts kinds from the construct tree rather than re-parsing its output (see scripts/bench.mjs);
  // the count must still be that of the written manifests, Argo CD Applications included.
  test('GIVEN the shipped configs WHEN synthesized THEN each summary counts exactly the objects written, by kind', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-summary-'));
    const summaries = synthesize({ config: SHIPPED_CONFIG_DIR, out, sourceRoot: REPO_ROOT });
    expect(summaries.map((s) => s.environment).sort()).toEqual(shippedEnvironments());
    for (const summary of summaries) {
      const written = kindsInManifests(path.join(out, summary.environment));
      expect(Object.keys(written).length).toBeGreaterThan(5);
      expect(summary.kinds).toEqual(written);
    }
  });
});
