// `npm run bench`: the project's benchmarks, written to docs/benchmarks.md with
// the machine they ran on. Benchmarks, not tests: timings never decide pass or
// fail, and nothing here runs under jest.
//
// 1. synth cost against the size of the platform (scripts/bench/synth-scaling.mjs);
// 2. rule evaluation cost on a real Prometheus over a backfilled week (scripts/bench/rule-cost.mjs);
// 3. the cardinality of that data;
// 4. the recorded rules and SLOs against the rules before them at 50, 200 and
//    1 000 services (scripts/bench/rule-scaling.mjs), on data from the workload
//    generator (scripts/workload/);
// 5. the collector gateway's throughput in its container's limits (scripts/bench/gateway.mjs).
//
// `npm run bench -- --only scaling` (step 4) or `--only gateway` (step 5) runs that step alone and rewrites
// only its section of docs/benchmarks.md.
//
// Environment: BENCH_RUNS (rounds per synth case, default 7), BENCH_LONG_STEP
// (seconds between samples of the 7-day series, default 30), BENCH_SKIP_PROMETHEUS=1,
// BENCH_RULE_SIZES (default 50,200,1000).
// Needs about 8 GB free in the temp directory for the OpenMetrics file of 1 000 services (deleted after the backfill).
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ROOT, fmtMiB, fmtMs, log, machine } from './bench/common.mjs';
import { GATEWAY_HEADING, gatewaySection, lossless, runGateway } from './bench/gateway.mjs';
import { renderReport, replaceSection, rerunNote, SCALING_HEADING, scalingFigures, scalingSection, targetsMet } from './bench/report.mjs';
import { runRuleScaling } from './bench/rule-scaling.mjs';
import { runRuleCost } from './bench/rule-cost.mjs';
import { runSynthScaling } from './bench/synth-scaling.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const longStep = Number(process.env.BENCH_LONG_STEP ?? 30);
const skipPrometheus = process.env.BENCH_SKIP_PROMETHEUS === '1';

/** The steps that can run alone (`npm run bench -- --only <step>`): their section is replaced, the others kept. */
const STEPS = ['scaling', 'gateway'];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
if (only !== undefined && !STEPS.includes(only)) {
  console.error(`--only: unknown step "${only}"; the steps that run alone are: ${STEPS.join(', ')}`);
  process.exit(2);
}
const reportFile = join(ROOT, 'docs', 'benchmarks.md');

/** Step 5, and its figures on the console. */
function gatewayStep() {
  const g = runGateway();
  for (const x of g.results) {
    console.log(`gateway ${x.rate}/s: generated ${x.generated}, accepted ${x.accepted}, refused ${x.refused}, dropped ${x.sendFailed + x.enqueueFailed}, Jaeger ${x.jaegerReceived}, CPU ${x.cpuCores.toFixed(2)} cores, RSS ${fmtMiB(x.maxRssBytes)}${lossless(x) ? '' : ' (LOSS)'}`);
  }
  return g;
}

/** One step's section written into the existing report. */
function writeSection(heading, lines) {
  const doc = existsSync(reportFile) ? readFileSync(reportFile, 'utf8') : '# Benchmarks\n';
  writeFileSync(reportFile, replaceSection(doc, heading, lines));
}

if (only === 'gateway') {
  const m = machine();
  log(`machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memory}, node ${m.node}, load ${m.loadAverage}`);
  const g = gatewayStep();
  m.loadAverageEnd = machine().loadAverage;
  writeSection(GATEWAY_HEADING, gatewaySection(g, m));
  console.log(`wrote the gateway section of docs/benchmarks.md (load average at start ${m.loadAverage}, at the end ${m.loadAverageEnd})`);
  process.exit(0);
}

const started = Date.now();
/** prometheus and promtool at the image's version, resolved (built when missing) like the tests' requireTool. */
let tools;
if (!skipPrometheus) {
  const r = spawnSync('npx', ['tsx', join(ROOT, 'scripts', 'tools', 'cli.ts'), 'prometheus', 'promtool'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  // One `name version path` line per tool.
  tools = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')).map(([name, version, path]) => [name, { version, path }]));
}

const m = machine(tools?.prometheus);
const work = mkdtempSync(join(tmpdir(), 'obs-bench-'));
try {
  log(`machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memory}, node ${m.node}, load ${m.loadAverage}`);
  if (only === 'scaling') {
    const scaling = await runRuleScaling({
      workDir: join(work, 'scaling'),
      sizes: (process.env.BENCH_RULE_SIZES ?? '50,200,1000').split(',').map(Number),
      prometheus: tools.prometheus.path,
      promtool: tools.promtool.path,
    });
    m.loadAverageEnd = machine().loadAverage;
    writeSection(SCALING_HEADING, scalingSection(scaling, m, { rerun: rerunNote(m, Date.now() - started) }));
    for (const x of scalingFigures(scaling)) console.log(`${x.size} services: all groups ${x.allAfter.toFixed(0)} ms per 30 s round`);
    console.log(`wrote the scaling section of docs/benchmarks.md (${fmtMs(Date.now() - started)})`);
  } else {
    await everyStep();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Steps 1 to 5, and the whole report. */
async function everyStep() {
  const synth = runSynthScaling({ workDir: join(work, 'synth'), runs });

  let rules;
  let scaling;
  if (!skipPrometheus) {
    const synthOut = join(work, 'dist');
    const r = spawnSync('node', [join(ROOT, 'scripts', 'synth.mjs'), '--config', join(ROOT, 'config', 'prod.yaml'), '--out', synthOut], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`synth of config/prod.yaml failed:\n${r.stderr}`);
    rules = await runRuleCost({
      workDir: join(work, 'prometheus'),
      rulesDir: join(synthOut, 'prod', 'rules'),
      longStep,
      prometheus: tools.prometheus.path,
      promtool: tools.promtool.path,
    });
    scaling = await runRuleScaling({
      workDir: join(work, 'scaling'),
      sizes: (process.env.BENCH_RULE_SIZES ?? '50,200,1000').split(',').map(Number),
      prometheus: tools.prometheus.path,
      promtool: tools.promtool.path,
    });
  }

  const gateway = gatewayStep();

  const totalMs = Date.now() - started;
  // The machine is shared: the load at the end says how much the run competed with other work.
  m.loadAverageEnd = machine().loadAverage;
  writeFileSync(reportFile, replaceSection(renderReport({ machine: m, synth, rules, scaling, totalMs }), GATEWAY_HEADING, gatewaySection(gateway, m)));

  const met = targetsMet(synth, rules);
  const mark = (ok) => (ok ? 'met' : 'MISSED');
  console.log('');
  console.log(`floor ${fmtMs(synth.floor.medianMs)}; shipped configs ${fmtMs(synth.shipped.medianMs)} = ${synth.targets.shippedRatio.value.toFixed(2)}x floor (<= 2.5x: ${mark(met.shippedRatio)})`);
  for (const s of synth.bySize) console.log(`${String(s.size).padStart(5)} services: ${fmtMs(s.medianMs)}, peak ${fmtMiB(s.maxRssBytes)}`);
  console.log(`growth exponent above floor: ${synth.exponents.map((e) => `${e.from}->${e.to} ${e.aboveFloor.toFixed(2)}`).join(', ')} (<= linear: ${mark(met.growth)})`);
  console.log(`1000 services < 10 s: ${mark(met.biggestTime)}; <= 400 MB: ${mark(met.biggestRss)}`);
  if (rules) {
    const b = rules.baseline;
    console.log(`baseline: recorded ${b.recorded.evalMs.toFixed(2)} ms, naive ${b.naive.evalMs.toFixed(2)} ms, subquery ${b.naiveSubquery.evalMs.toFixed(2)} ms -> ${(b.naive.evalMs / b.recorded.evalMs).toFixed(1)}x (>= 20x: ${mark(met.baseline)})`);
    for (const g of rules.groups) console.log(`  group ${g.name}: ${g.medianMs === null ? 'not evaluated (1h interval)' : `${g.medianMs.toFixed(2)} ms`}${g.errors.length ? ` ERRORS: ${g.errors.map((e) => e.rule).join(', ')}` : ''}`);
    console.log(`series: ${rules.cardinality.total}; pg_stat_statements per scrape ${rules.cardinality.pg.perScrape}, over the week ${rules.cardinality.pg.week}`);
  }
  for (const x of scaling ? scalingFigures(scaling) : []) {
    console.log(`${x.size} services: platform-kernel + slo ${x.before.toFixed(0)} ms before, ${x.after.toFixed(0)} ms after per 30 s round; all groups ${x.allAfter.toFixed(0)} ms; SLO panels max ${x.panels.before.max.toFixed(0)} -> ${x.panels.after.max.toFixed(0)} ms`);
  }
  console.log(`load average at start ${m.loadAverage}, at the end ${m.loadAverageEnd}`);
  console.log(`wrote docs/benchmarks.md (${fmtMs(totalMs)})`);
}
