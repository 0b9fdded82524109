/**
 * The alert evaluator of the incident replays (scripts/workload/alert-replay.ts): Prometheus evaluates
 * alerting rules only in real time, so the replays evaluate each rule's `expr` with the real query engine
 * at its group's interval and apply `for` and `keep_firing_for` as Prometheus does. Here on a 30-minute
 * series the real Prometheus serves: a rule whose `for` is longer than the window stays pending, one with a
 * shorter `for` fires when it has held that long, and `keep_firing_for` holds a firing alert past its
 * series' end but not a pending one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { toYaml } from '../src/lib/yaml';
import { alertingRules, alertStates, replayAlerts, ReplayedAlert } from '../scripts/workload/alert-replay';
import { freePort, startProcess, stopAll, tempDir } from './support/process';
import { requireTool, run } from './support/tools';

const STEP = 15;

describe('alerting rules replayed over backfilled data', () => {
  const work = tempDir('alert-replay-');
  // A whole minute an hour ago: backfilled data lies in the past.
  const end = Math.floor(Date.now() / 60_000) * 60 - 3600;
  const start = end - 30 * 60;
  /** The series is 1 from start+5m to start+20m, 0 otherwise. */
  const on = start + 5 * 60;
  const off = start + 20 * 60;
  let replayed: ReplayedAlert[] = [];
  const ruleFile = path.join(work, 'rules.yaml');

  beforeAll(async () => {
    const lines: string[] = ['# TYPE demo_up gauge'];
    for (let t = start; t <= end; t += STEP) lines.push(`demo_up{job="demo"} ${t >= on && t < off ? 1 : 0} ${t}`);
    fs.writeFileSync(path.join(work, 'demo.om'), lines.join('\n') + '\n# EOF\n');
    const data = path.join(work, 'data');
    const backfill = run(requireTool('promtool'), ['tsdb', 'create-blocks-from', 'openmetrics', path.join(work, 'demo.om'), data]);
    if (backfill.code !== 0) throw new Error(backfill.stdout + backfill.stderr);
    fs.writeFileSync(
      ruleFile,
      toYaml({
        groups: [
          {
            name: 'demo',
            interval: `${STEP}s`,
            rules: [
              { alert: 'LongerThanTheWindow', expr: 'demo_up == 1', for: '1h' },
              { alert: 'FiveMinutes', expr: 'demo_up == 1', for: '5m' },
              { alert: 'KeptFiring', expr: 'demo_up == 1', for: '5m', keep_firing_for: '3m' },
              { alert: 'Never', expr: 'demo_up > 1' },
            ],
          },
        ],
      }),
    );
    const port = await freePort();
    const configPath = path.join(work, 'prometheus.yml');
    fs.writeFileSync(configPath, toYaml({ rule_files: [ruleFile] }));
    const prometheus = startProcess('prometheus (alert replay)', requireTool('prometheus'), [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${data}`,
      '--storage.tsdb.retention.time=30d',
      `--web.listen-address=127.0.0.1:${port}`,
    ]);
    await prometheus.waitForHttp(`http://127.0.0.1:${port}/-/ready`, 60_000);
    replayed = await replayAlerts(`http://127.0.0.1:${port}`, alertingRules([ruleFile], 60), start, end);
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const of = (alert: string) => {
    const found = replayed.find((r) => r.rule.alert === alert);
    if (!found) throw new Error(`${alert} was not replayed`);
    return found;
  };

  it('reads each rule with its group and its group interval', () => {
    expect(replayed.map((r) => [r.rule.group, r.rule.alert, r.rule.interval, r.rule.forSeconds, r.rule.keepFiringForSeconds])).toEqual([
      ['rules/demo', 'LongerThanTheWindow', STEP, 3600, 0],
      ['rules/demo', 'FiveMinutes', STEP, 300, 0],
      ['rules/demo', 'KeptFiring', STEP, 300, 180],
      ['rules/demo', 'Never', STEP, 0, 0],
    ]);
  });

  it('a rule whose `for` is longer than the window stays pending and never fires', () => {
    const [instance] = of('LongerThanTheWindow').instances;
    expect(instance.labels).toEqual({ job: 'demo' });
    expect(instance.firing).toEqual([]);
    expect(instance.pending[0]).toBe(on);
    expect(instance.pending[instance.pending.length - 1]).toBe(off - STEP);
  });

  it('a rule fires once its expression has held for `for`, and stops with its series', () => {
    const [instance] = of('FiveMinutes').instances;
    expect(instance.firing[0]).toBe(on + 300);
    expect(instance.firing[instance.firing.length - 1]).toBe(off - STEP);
    expect(instance.pending).toEqual(Array.from({ length: 300 / STEP }, (_, i) => on + i * STEP));
  });

  it('keep_firing_for holds a firing alert for that long after its series is gone', () => {
    const [instance] = of('KeptFiring').instances;
    // Kept while less than 3m has passed since the first evaluation without the series.
    expect(instance.firing[instance.firing.length - 1]).toBe(off + 180 - STEP);
  });

  it('a rule whose expression never holds has no instance', () => {
    expect(of('Never').instances).toEqual([]);
  });

  it('a pending alert whose series comes back starts its `for` again, as Prometheus does', () => {
    const returned = [['a'], [], ['a'], ['a'], ['a']].map((k) => new Set(k));
    const states = alertStates({ forSeconds: 20, keepFiringForSeconds: 60 }, [0, 10, 20, 30, 40], returned);
    expect(states.get('a')).toEqual({ pending: [0, 20, 30], firing: [40] });
  });
});
