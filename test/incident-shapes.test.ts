/**
 * The incidents' overlays keep the workload's shapes real (scripts/workload/incidents.mjs): with every
 * incident laid over half an hour of the incident replays' workload, each counter (by the metric
 * catalogue's types) only increases, except the OOM-killed pod's own process, whose counters start again
 * once; each histogram's buckets are cumulative at every sample, its count is its +Inf bucket, and its
 * sum never decreases while its count does not. (The base workload counts observations in fractions and
 * prints the count rounded down, so a sum may move a little while the printed count stays: not checked.)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { METRICS } from '../src/catalog/metrics';
import { tempDir } from './support/process';
import { run } from './support/tools';

const ROOT = path.join(__dirname, '..');
const INCIDENTS = ['grpc-handshake-hang', 'stalled-saga', '5xx-burst', 'kafka-consumer-lag', 'cdc-lag', 'slow-statement-regression', 'postgres-connection-leak', 'oom-killed-pod', 'hot-gpu'];

describe('incident overlays keep counters and histograms consistent', () => {
  const work = tempDir('incident-shapes-');
  const series = new Map<string, number[]>();

  beforeAll(async () => {
    const out = path.join(work, 'w.om');
    const r = run(process.execPath, [
      path.join(ROOT, 'scripts', 'workload', 'cli.mjs'),
      `--out=${out}`,
      `--config=${path.join(__dirname, 'fixtures', 'incidents', 'config.yaml')}`,
      '--minutes=30',
      '--postgres-week',
      '--statement-days=0.02',
      '--end=1764000000',
      ...INCIDENTS.map((name) => `--incident=${name}:28:5`),
    ], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(r.stderr);
    for await (const line of readline.createInterface({ input: fs.createReadStream(out) })) {
      if (line.startsWith('#')) continue;
      const valueAt = line.lastIndexOf(' ', line.lastIndexOf(' ') - 1);
      const key = line.slice(0, valueAt);
      const value = Number(line.slice(valueAt + 1, line.lastIndexOf(' ')));
      if (!series.has(key)) series.set(key, []);
      series.get(key)!.push(value);
    }
  }, 180_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const typeOf = new Map(METRICS.map((m) => [m.name, m.type]));
  const nameOf = (key: string) => key.slice(0, key.indexOf('{'));
  const counterLike = (name: string) => {
    if (typeOf.get(name) === 'counter') return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && (typeOf.get(base) === 'histogram' || (typeOf.get(base) === 'summary' && !name.endsWith('_bucket')));
  };

  it('an unknown incident or a window backwards is refused with what is allowed', () => {
    const cli = (incident: string) =>
      run(process.execPath, [path.join(ROOT, 'scripts', 'workload', 'cli.mjs'), `--out=${path.join(work, 'refused.om')}`, `--incident=${incident}`]);
    const unknown = cli('disk-full:30:10');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`--incident "disk-full:30:10": no incident "disk-full"; known: ${INCIDENTS.join(', ')}`);
    const backwards = cli('hot-gpu:10:30');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('its start (10 min before the end) must be before its end (30 min before the end)');
    expect(fs.existsSync(path.join(work, 'refused.om'))).toBe(false);
  });

  it('every counter only increases, except where the OOM-killed pod restarts, once', () => {
    const restarted = new Set<string>();
    const decreasing: string[] = [];
    let counters = 0;
    for (const [key, values] of series) {
      if (!counterLike(nameOf(key))) continue;
      counters++;
      const drops = values.filter((v, i) => i > 0 && v < values[i - 1]).length;
      if (drops === 0) continue;
      const pod = /pod="([^"]+)"/.exec(key)?.[1];
      if (drops === 1 && pod && /job="kubernetes-pods"/.test(key)) restarted.add(pod);
      else decreasing.push(`${key}: ${drops} drops`);
    }
    expect(counters).toBeGreaterThan(1000);
    expect(decreasing).toEqual([]);
    // One pod, the OOM-killed one, and it is task-service's.
    expect([...restarted]).toEqual([expect.stringMatching(/^task-service-/)]);
  });

  it('every histogram has cumulative buckets, a count equal to its +Inf bucket and a sum that decreases only on a restart', () => {
    const histograms = new Map<string, Array<[number, number[]]>>();
    for (const [key, values] of series) {
      if (!nameOf(key).endsWith('_bucket')) continue;
      const le = /,le="([^"]+)"/.exec(key)!;
      const base = key.replace(le[0], '').replace('_bucket{', '{');
      if (!histograms.has(base)) histograms.set(base, []);
      histograms.get(base)!.push([le[1] === '+Inf' ? Infinity : Number(le[1]), values]);
    }
    const problems: string[] = [];
    for (const [base, buckets] of histograms) {
      buckets.sort((a, b) => a[0] - b[0]);
      const inf = buckets[buckets.length - 1];
      if (inf[0] !== Infinity) problems.push(`${base}: no +Inf bucket`);
      for (let b = 1; b < buckets.length; b++) {
        if (buckets[b][1].some((v, i) => v < buckets[b - 1][1][i])) problems.push(`${base}: le=${buckets[b][0]} below le=${buckets[b - 1][0]}`);
      }
      const count = series.get(base.replace('{', '_count{'));
      const sum = series.get(base.replace('{', '_sum{'));
      if (!count || count.some((v, i) => v !== inf[1][i])) problems.push(`${base}: _count is not the +Inf bucket`);
      if (!sum || !count) continue;
      for (let i = 1; i < sum.length; i++) {
        // Within a process's life (no restart between the samples).
        if (count[i] >= count[i - 1] && sum[i] < sum[i - 1]) problems.push(`${base}: the sum decreases at sample ${i} while the count does not`);
      }
    }
    expect(histograms.size).toBeGreaterThan(100);
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
