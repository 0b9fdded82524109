/**
 * A workload replayed into a real Prometheus: the seeded workload (generate.mjs) for a config's catalogue,
 * backfilled into a TSDB with promtool; the synthesized recording rules' results backfilled over the same
 * window with `promtool tsdb create-blocks-from rules`, pass by pass; then Prometheus serving it all with the
 * synthesized rule files loaded. Shared by the every-panel-has-data test and whatever else reads dashboards
 * or rules against data (incidents, previews), so there is one data step.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { toYaml } from '../../src/lib/yaml';
import { freePort, RunningProcess, startProcess } from '../../test/support/process';
import { requireTool, run } from '../../test/support/tools';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ReplayOptions {
  /** A synthesized environment's directory (dist/<env> or a test's synth output): its rules/ are loaded. */
  readonly envDir: string;
  /** The config whose catalogue the workload follows. */
  readonly configFile: string;
  /** A scratch directory, owned by the caller. */
  readonly work: string;
  readonly hours: number;
  /** Minutes of everything but the statements' history (default: the whole `hours`); the statements keep `hours`. */
  readonly shortMinutes?: number;
  readonly stepSeconds: number;
  /** Unix seconds, the workload's last sample; a whole minute. */
  readonly end: number;
  /** More arguments for scripts/workload/cli.mjs. */
  readonly generatorArgs?: readonly string[];
  /** Names the Prometheus process in logs. */
  readonly name: string;
}

export interface Replay {
  /** http://127.0.0.1:<port> of the Prometheus serving the replay. */
  readonly base: string;
  readonly start: number;
  readonly end: number;
  /** How long each part of the data step took, for the log. */
  readonly timings: string;
  stop(): Promise<void>;
}

/** Recording rules in dependency order: depth 0 reads raw series only, depth k a recording of depth k-1. */
export function rulesByDepth(ruleFiles: string[]): Array<Array<{ group: string; rule: any }>> {
  const rules = ruleFiles.flatMap((f) =>
    (parse(fs.readFileSync(f, 'utf8')).groups ?? []).flatMap((g: any) => (g.rules ?? []).filter((r: any) => r.record).map((rule: any) => ({ group: `${path.basename(f, '.yaml')}/${g.name}`, rule }))),
  );
  const recorded = new Set(rules.map((r) => r.rule.record as string));
  const reads = (expr: string) => [...recorded].filter((name) => new RegExp(`(^|[^\\w:])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w:])`).test(expr));
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: string[] = []): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.includes(name)) throw new Error(`recording rules read each other in a cycle: ${[...seen, name].join(' → ')}`);
    const d = Math.max(0, ...rules.filter((r) => r.rule.record === name).flatMap((r) => reads(r.rule.expr).map((n) => depthOf(n, [...seen, name]) + 1)));
    depth.set(name, d);
    return d;
  };
  const out: Array<Array<{ group: string; rule: any }>> = [];
  for (const r of rules) (out[depthOf(r.rule.record)] ??= []).push(r);
  return out;
}

export async function replayWorkload(opts: ReplayOptions): Promise<Replay> {
  const { work, stepSeconds, end } = opts;
  const start = end - opts.hours * 3600;
  const dataDir = path.join(work, 'data');
  let prometheus: RunningProcess | undefined;
  let base = '';
  const startPrometheus = async (ruleFiles: string[]) => {
    await prometheus?.stop();
    const port = await freePort();
    const configPath = path.join(work, 'prometheus.yml');
    fs.writeFileSync(configPath, toYaml({ global: { evaluation_interval: `${stepSeconds}s` }, rule_files: ruleFiles }));
    prometheus = startProcess(`prometheus (${opts.name})`, requireTool('prometheus'), [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${dataDir}`,
      // The backfilled blocks lie in the past; the default 15 days keeps them, this says so.
      '--storage.tsdb.retention.time=30d',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    base = `http://127.0.0.1:${port}`;
    await prometheus.waitForHttp(`${base}/-/ready`, 60_000);
  };

  const began = Date.now();
  const promtool = requireTool('promtool');
  const workload = path.join(work, 'workload.om');
  const generated = run(process.execPath, [
    path.join(ROOT, 'scripts', 'workload', 'cli.mjs'),
    `--out=${workload}`,
    `--config=${opts.configFile}`,
    `--minutes=${opts.shortMinutes ?? opts.hours * 60}`,
    `--step=${stepSeconds}`,
    '--postgres-week',
    `--statement-days=${opts.hours / 24}`,
    `--end=${end}`,
    ...(opts.generatorArgs ?? []),
  ], { timeoutMs: 300_000 });
  if (generated.code !== 0) throw new Error(`workload generator failed:\n${generated.stderr}`);
  const generatedAt = Date.now();
  const backfill = run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=24h', workload, dataDir], { timeoutMs: 600_000 });
  if (backfill.code !== 0) throw new Error(`promtool backfill failed:\n${backfill.stdout}${backfill.stderr}`);
  fs.rmSync(workload);
  const backfilledAt = Date.now();

  // The synthesized rule files, loaded as they are (Prometheus refuses a bad one), and their recordings
  // backfilled over the window pass by pass: promtool evaluates each rule against what the TSDB held
  // when the pass began, so a rule reading another recording waits for the pass after that one's.
  const ruleDir = path.join(opts.envDir, 'rules');
  const ruleFiles = fs.readdirSync(ruleDir).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ruleDir, f));
  await startPrometheus(ruleFiles);
  const depths = rulesByDepth(ruleFiles);
  for (const [d, rules] of depths.entries()) {
    const passFile = path.join(work, `rules-depth-${d}.yaml`);
    const groups = new Map<string, any[]>();
    for (const r of rules ?? []) groups.set(r.group, [...(groups.get(r.group) ?? []), r.rule]);
    fs.writeFileSync(passFile, toYaml({ groups: [...groups].map(([name, rs]) => ({ name, rules: rs })) }));
    const out = path.join(work, `recorded-${d}`);
    // The rule file is named relative to `work`: promtool offsets a group's evaluations by a hash of its name
    // and file path, so a path through a random scratch directory would shift every recording from run to run.
    const r = run(promtool, ['tsdb', 'create-blocks-from', 'rules', `--start=${start}`, `--end=${end}`, `--url=${base}`, `--eval-interval=${stepSeconds}s`, `--output-dir=${out}`, path.basename(passFile)], {
      cwd: work,
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`promtool rule backfill (depth ${d}) failed:\n${r.stdout}${r.stderr}`);
    for (const block of fs.readdirSync(out)) fs.renameSync(path.join(out, block), path.join(dataDir, block));
    // Prometheus opens new blocks when it starts (or a minute later): restart it so the next pass reads these.
    await startPrometheus(ruleFiles);
  }
  const ready = Date.now();
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return {
    base,
    start,
    end,
    timings:
      `data step ${seconds(ready - began)} s (generate ${seconds(generatedAt - began)} s, backfill ${seconds(backfilledAt - generatedAt)} s, ` +
      `recording rules in ${depths.length} passes ${seconds(ready - backfilledAt)} s)`,
    stop: async () => {
      await prometheus?.stop();
    },
  };
}
