// Writes a workload as OpenMetrics and, with --tsdb, backfills it into a
// Prometheus TSDB with promtool at the image's version:
//
//   node scripts/workload/cli.mjs --out /tmp/w.om [--config config/prod.yaml | --services 200]
//        [--minutes 15] [--step 30] [--seed 12] [--postgres-week] [--statement-days 7] [--end <unix seconds>] [--tsdb /tmp/tsdb]
//        [--incident <name>:<from>:<to> ...] [--summary /tmp/w.json]
//
// --incident lays an incident (scripts/workload/incidents.mjs) over the workload, from <from> to <to>
// minutes before its end; --summary writes what was generated (series, the regressed statement) as JSON.
//
// Start Prometheus (or point a Grafana at it) on the TSDB to see dashboards with data.
import { spawnSync } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { parseArgs } from 'util';
import { parse } from 'yaml';
import { catalogueOf, ROOT, scaledConfig, sectionOf } from './catalogue.mjs';
import { writeWorkload } from './generate.mjs';
import { INCIDENT_NAMES, parseIncident } from './incidents.mjs';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    config: { type: 'string' },
    services: { type: 'string' },
    minutes: { type: 'string', default: '15' },
    step: { type: 'string', default: '30' },
    seed: { type: 'string', default: '12' },
    'postgres-week': { type: 'boolean', default: false },
    'statement-days': { type: 'string', default: '7' },
    end: { type: 'string' },
    tsdb: { type: 'string' },
    incident: { type: 'string', multiple: true, default: [] },
    summary: { type: 'string' },
  },
});
if (!values.out) {
  console.error('usage: node scripts/workload/cli.mjs --out <file.om> [--config <file> | --services <n>] [--minutes 15] [--step 30] [--seed 12] [--postgres-week] [--statement-days 7] [--end <unix seconds>] [--tsdb <dir>] [--incident <name>:<from>:<to> ...] [--summary <file.json>]');
  console.error(`incidents: ${INCIDENT_NAMES.join(', ')}`);
  process.exit(2);
}
const configFile = values.config ?? join(ROOT, 'config', 'prod.yaml');
const catalogue = values.services
  ? parse(scaledConfig(Number(values.services))).services
  : catalogueOf(configFile);
const end = values.end ? Number(values.end) : Math.floor(Date.now() / 60000) * 60 - 60;
let incidents;
try {
  incidents = values.incident.map((text) => parseIncident(text, end));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const data = writeWorkload(values.out, {
  end,
  services: catalogue,
  rabbitmq: sectionOf(configFile, 'rabbitmq'),
  shortMinutes: Number(values.minutes),
  shortStep: Number(values.step),
  seed: Number(values.seed),
  postgresWeek: values['postgres-week'],
  statementDays: Number(values['statement-days']),
  incidents,
});
if (values.summary) writeFileSync(values.summary, JSON.stringify({ ...data, families: Object.fromEntries(data.families), incidents }, null, 2));
console.log(`${values.out}: ${data.series} series, ${data.samples} samples, ${catalogue.length} catalogue services, ending ${new Date(end * 1000).toISOString()}`);
if (values.tsdb) {
  const tools = spawnSync('npx', ['tsx', join(ROOT, 'scripts', 'tools', 'cli.ts'), 'promtool'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (tools.status !== 0) process.exit(tools.status ?? 1);
  const promtool = tools.stdout.trim().split(' ')[2];
  const r = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=168h', values.out, values.tsdb], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
