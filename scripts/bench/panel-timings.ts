/**
 * Times every Prometheus target of every synthesized dashboard against a running Prometheus, as Grafana
 * would send it: over the dashboard's default range, with its variables at their first values and
 * Grafana's step (scripts/dashboards/panel-queries.ts). Median of `--runs` range queries per target:
 * Prometheus' own evaluation time (stats) and the wall time through HTTP, plus the samples read.
 *
 *   npx tsx scripts/bench/panel-timings.ts --url=http://127.0.0.1:9090 --env-dir=dist/prod --end=<unix s> [--runs=3]
 *
 * Prints one JSON document: { targets: [{ uid, title, refId, rangeSeconds, step, evalMs, wallMs, samples, series }] }.
 */
import * as fs from 'fs';
import * as path from 'path';
import { grafanaScrapeSeconds, panelsOf, relativeSeconds, targetQuery, typeOf, variableValues } from '../dashboards/panel-queries';

const arg = (name: string, fallback?: string): string => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
  if (found === undefined) throw new Error(`--${name}=… is required`);
  return found;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const base = arg('url');
  const envDir = arg('env-dir');
  const end = Number(arg('end'));
  const runs = Number(arg('runs', '3'));
  const scrapeSeconds = grafanaScrapeSeconds(fs.readFileSync(path.join(envDir, 'grafana.k8s.yaml'), 'utf8'));
  const dashDir = path.join(envDir, 'dashboards');
  const targets: unknown[] = [];
  for (const file of fs.readdirSync(dashDir).filter((f) => f.endsWith('.json')).sort()) {
    const dashboard = JSON.parse(fs.readFileSync(path.join(dashDir, file), 'utf8'));
    const rangeSeconds = relativeSeconds(dashboard.time.from);
    const from = end - rangeSeconds;
    const prometheusPanels = panelsOf(dashboard).filter((p) => (p.targets ?? []).some((t: any) => typeOf(p, t) === 'prometheus'));
    if (prometheusPanels.length === 0) continue;
    const { values } = await variableValues(base, dashboard, from, end);
    for (const panel of prometheusPanels) {
      for (const target of panel.targets.filter((t: any) => typeOf(panel, t) === 'prometheus')) {
        const { expr, step } = targetQuery({ panel, target, rangeSeconds, scrapeSeconds, values });
        const evalMs: number[] = [];
        const wallMs: number[] = [];
        let samples = 0;
        let series = 0;
        for (let i = 0; i < runs; i++) {
          const started = process.hrtime.bigint();
          const res = await fetch(`${base}/api/v1/query_range`, {
            method: 'POST',
            body: new URLSearchParams({ query: expr, start: String(from), end: String(end), step: String(step), stats: 'all' }),
          });
          const body = (await res.json()) as any;
          wallMs.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (body.status !== 'success') throw new Error(`${dashboard.uid} / ${panel.title} [${target.refId}]: ${body.errorType}: ${body.error}\n${expr}`);
          evalMs.push(body.data.stats.timings.evalTotalTime * 1000);
          samples = body.data.stats.samples?.totalQueryableSamples ?? 0;
          series = body.data.result.length;
        }
        targets.push({ uid: dashboard.uid, title: panel.title, refId: target.refId, rangeSeconds, step, evalMs: median(evalMs), wallMs: median(wallMs), samples, series });
      }
    }
  }
  process.stdout.write(JSON.stringify({ targets }));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
