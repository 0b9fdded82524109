// Where a synth's time goes: CPU profiles (node --cpu-prof) of the shipped
// configs, with inclusive time of the frames that matter, averaged over runs.
import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT } from './common.mjs';

/** [label, function name, url fragment]: the buckets the report shows, inclusive of their callees. */
const BUCKETS = [
  ['synthesize() (everything after the libraries are loaded)', 'synthesize', 'bench-synth.cjs'],
  ['config: parse YAML and validate with zod', 'loadConfigFile', 'bench-synth.cjs'],
  ['source identity (hash of each config and src/)', 'sourceIdentity', 'bench-synth.cjs'],
  ['building the constructs (new Stack)', 'Stack', 'bench-synth.cjs'],
  ['  of which toYaml() of embedded config files and rule files', 'toYaml', 'bench-synth.cjs'],
  ['cdk8s App.synth()', 'synth', 'cdk8s/lib/app.js'],
  ['  of which resolving objects to JSON (Chart.toJson)', 'toJson', 'cdk8s/lib/chart.js'],
  ['  of which serializing YAML (cdk8s Yaml.save)', 'save', 'cdk8s/lib/yaml.js'],
  ['writing rule and dashboard files', 'writeFileSync', 'node:fs'],
];

function inclusive(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const out = new Map(BUCKETS.map(([label]) => [label, 0]));
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    total += us;
    const hit = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur).callFrame;
      for (const [label, fn, url] of BUCKETS) if (f.functionName === fn && f.url.includes(url)) hit.add(label);
    }
    for (const label of hit) out.set(label, out.get(label) + us);
  }
  return { totalMs: total / 1000, buckets: [...out].map(([label, us]) => ({ label, ms: us / 1000 })) };
}

export function profileSynth({ bundle, config, runs = 3 }) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
  try {
    for (let i = 0; i < runs; i++) {
      const r = spawnSync('node', ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`, join(ROOT, 'scripts', 'bench', 'synth-child.cjs'), '--synth', bundle, config, join(dir, 'out')], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`profiled synth failed:\n${r.stderr}`);
    }
    const profiles = readdirSync(join(dir, 'prof')).map((f) => inclusive(JSON.parse(readFileSync(join(dir, 'prof', f), 'utf8'))));
    const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      runs: profiles.length,
      totalMs: avg(profiles.map((p) => p.totalMs)),
      buckets: BUCKETS.map(([label], i) => ({ label, ms: avg(profiles.map((p) => p.buckets[i].ms)) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
