// Synth cost against the size of the platform: time and peak memory of
// synthesizing configs with 10, 100 and 1 000 catalogue services, against the
// floor of just loading the libraries.
import { buildSync } from 'esbuild';
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { ROOT, growthExponent, log, median } from './common.mjs';
import { profileSynth } from './profile.mjs';
import { catalogueOf, scaledConfig } from '../workload/catalogue.mjs';

export { scaledConfig };

const CHILD = join(ROOT, 'scripts', 'bench', 'synth-child.cjs');

/** Bundles src/synth.ts once, as `npm run synth` does, so transpiling is not part of each sample. */
export function buildSynthBundle() {
  const outfile = join(ROOT, '.build', 'bench-synth.cjs');
  const result = buildSync({
    metafile: true,
    entryPoints: [join(ROOT, 'src', 'synth.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  // Every library the synth requires: the floor loads exactly these.
  const libraries = new Set();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) if (imp.external) libraries.add(imp.path);
  }
  return { outfile, libraries: [...libraries].sort() };
}

function sample(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync('node', [CHILD, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`synth child ${args.join(' ')} failed:\n${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop();
  return { wallMs, ...JSON.parse(line) };
}

function summarize(samples) {
  const wall = samples.map((s) => s.wallMs);
  return {
    runs: samples.length,
    medianMs: median(wall),
    minMs: Math.min(...wall),
    maxMs: Math.max(...wall),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    maxRssBytes: Math.max(...samples.map((s) => s.maxRssBytes)),
    outputBytes: samples[0].outputBytes,
  };
}

/**
 * Runs the cases round-robin rather than one after the other, so a burst of
 * other work on the machine lands on every case alike instead of on one.
 * A case with `runs` below the round count stops early.
 */
function measureRoundRobin(cases, rounds) {
  const samples = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    cases.forEach((c, i) => {
      if (round < (c.runs ?? rounds)) samples[i].push(sample(c.args));
    });
  }
  return samples.map(summarize);
}

/** `npm run synth` itself (esbuild transpile + synth of config/), as the old bench measured it. */
function measureNpmSynth(runs, out) {
  const wall = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync('node', [join(ROOT, 'scripts', 'synth.mjs'), '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`npm run synth failed:\n${r.stderr}`);
    wall.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { runs, medianMs: median(wall), minMs: Math.min(...wall), maxMs: Math.max(...wall) };
}

export function runSynthScaling({ workDir, runs, sizes = [10, 100, 1000] }) {
  const { outfile: bundle, libraries } = buildSynthBundle();
  const servicesIn = (file) => catalogueOf(file).length;
  const shipped = readdirSync(join(ROOT, 'config')).filter((f) => f.endsWith('.yaml')).sort();
  const shippedServices = shipped.map((f) => `${f.replace(/\.yaml$/, '')} ${servicesIn(join(ROOT, 'config', f))}`).join(', ');
  const prodShapes = servicesIn(join(ROOT, 'config', 'prod.yaml'));
  const out = join(workDir, 'synth-out');
  mkdirSync(workDir, { recursive: true });

  const cases = [
    { args: ['--floor', libraries.join(',')] },
    { args: ['--synth', bundle, join(ROOT, 'config'), out] },
  ];
  for (const size of sizes) {
    // Each in its own folder: the synth reads a config's folder as one platform, and refuses two files of one environment.
    const dir = join(workDir, `services-${size}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'prod.yaml');
    writeFileSync(file, scaledConfig(size));
    // The biggest size costs seconds per run; three runs give a median.
    cases.push({ args: ['--synth', bundle, file, out], runs: size >= 1000 ? Math.min(runs, 3) : runs });
  }
  log(`synth: floor, shipped configs and ${sizes.join(', ')} services, ${runs} rounds`);
  const [floor, shippedResult, ...measured] = measureRoundRobin(cases, runs);
  const bySize = sizes.map((size, i) => ({ size, ...measured[i] }));
  log('synth: npm run synth (transpile included)');
  const npmSynth = measureNpmSynth(runs, out);
  rmSync(out, { recursive: true, force: true });
  log('synth: CPU profile of the shipped configs');
  const profile = profileSynth({ bundle, config: join(ROOT, 'config') });

  const exponents = [];
  for (let i = 1; i < bySize.length; i++) {
    const a = bySize[i - 1];
    const b = bySize[i];
    exponents.push({
      from: a.size,
      to: b.size,
      total: growthExponent(a.size, a.medianMs, b.size, b.medianMs),
      // The floor is paid once whatever the size; the work the services add is what must not grow faster than linearly.
      aboveFloor: growthExponent(a.size, a.medianMs - floor.medianMs, b.size, b.medianMs - floor.medianMs),
      memoryAboveFloor: growthExponent(a.size, a.maxRssBytes - floor.maxRssBytes, b.size, b.maxRssBytes - floor.maxRssBytes),
    });
  }
  const biggest = bySize[bySize.length - 1];
  const targets = {
    shippedRatio: { value: shippedResult.medianMs / floor.medianMs, limit: 2.5 },
    biggestTimeMs: { value: biggest.medianMs, limit: 10000, size: biggest.size },
    biggestRssBytes: { value: biggest.maxRssBytes, limit: 400 * 1024 * 1024, size: biggest.size },
    growth: { value: Math.max(...exponents.map((e) => e.aboveFloor)), limit: 1.1 },
  };
  return { libraries, profile, shippedServices, prodShapes, floor, shipped: shippedResult, npmSynth, bySize, exponents, targets };
}
