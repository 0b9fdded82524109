// `npm run bench`: how long `npm run synth`'s work takes on the shipped configs,
// as the median of several runs, against the floor of just loading the
// libraries. A benchmark, not a test: timings never decide pass or fail.
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 9);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync('node', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stderr}`);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

const floorScript = [
  "require('cdk8s')",
  "require('cdk8s-plus-28')",
  "require('constructs')",
  "require('yaml')",
  "require('zod')",
  "require('@grafana/grafana-foundation-sdk/dashboard')",
].join(';');

const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
try {
  const floor = time(['-e', floorScript]);
  const synth = time([join(root, 'scripts', 'synth.mjs'), '--out', out]);
  const fmt = (t) => `median ${t.median.toFixed(0)} ms (min ${t.min.toFixed(0)}, max ${t.max.toFixed(0)})`;
  console.log(`runs per measurement: ${runs}`);
  console.log(`floor (node + loading cdk8s, cdk8s-plus-28, constructs, yaml, zod, foundation-sdk): ${fmt(floor)}`);
  console.log(`synth of config/ (every environment, transpile included):               ${fmt(synth)}`);
  console.log(`ratio synth / floor: ${(synth.median / floor.median).toFixed(2)}x`);
  console.log(`target: synth median <= 1500 ms -> ${synth.median <= 1500 ? 'met' : 'MISSED'}`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
