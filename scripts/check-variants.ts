/**
 * `npm run variants`: proves that the changes a platform team makes first leave the tests green.
 *
 * It generates variants of the config directory (config/, or the directory given as the first argument),
 * each in a temporary directory:
 * - service-added: a service with a Kafka consumer and its own latency target added to the catalogue the
 *   first config uses (the shared one, when it extends one);
 * - environment-added: a copy of the last config as a new environment "added", with its own namespaces,
 *   PostgreSQL namespace and node-exporter port (what the README's "add an environment" asks for);
 * - backends-switched: every config with the other alerting engine, VictoriaMetrics and in-memory traces;
 * - agent-switched: every config with the other log agent.
 * Each variant is synthesized, then every test file that reads the configs under test runs against it
 * (OBS_CONFIG_DIR, see test/support/synth-fixture.ts): the same checks as `npm test`, not copies.
 *
 * Usage: npm run variants [-- <config dir>] [--only <variant>] [--all]
 */
import { PROMETHEUS_ONLY_SETTINGS } from '../src/components/prometheus/config';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Document, parseDocument } from 'yaml';
import { listConfigFiles } from '../src/config/loader';

const ROOT = path.join(__dirname, '..');

interface Variant {
  readonly name: string;
  /** Changes the config files of `dir` (a copy of the config directory), parsed by file name, in place; may add files. */
  readonly apply: (docs: Map<string, Document>, dir: string) => void;
}

const get = (doc: Document, at: Array<string | number>, fallback: unknown): any => doc.getIn(at) ?? fallback;

/** The first of name, name-2, name-3, ... that `taken` does not hold. */
function unused(name: string, taken: (candidate: string) => boolean): string {
  let candidate = name;
  for (let k = 2; taken(candidate); k++) candidate = `${name}-${k}`;
  return candidate;
}

/** The file whose `services` a config uses: its own, or that of the shared file it extends. */
function catalogueFile(file: string): string {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'));
  const base = doc.get('extends');
  return doc.has('services') || typeof base !== 'string' ? file : catalogueFile(path.resolve(path.dirname(file), base));
}

export const VARIANTS: readonly Variant[] = [
  {
    // As the README says: one entry in the catalogue (the shared one when the environments share it).
    name: 'service-added',
    apply: (docs, dir) => {
      const first = path.join(dir, [...docs.keys()][0]);
      const file = catalogueFile(first);
      const doc = file === first ? docs.get(path.basename(first))! : parseDocument(fs.readFileSync(file, 'utf8'));
      const names = JSON.stringify(doc.toJS().services ?? []);
      const name = unused('added-service', (n) => names.includes(`"${n}"`));
      const service = {
        name,
        namespace: 'added-apps',
        stack: 'go',
        kafkaConsumers: [{ groupId: `${name}-consumer`, topics: [`${name}.events`] }],
        slo: { latency: { quantile: 0.99, thresholdMs: 250 } },
      };
      if (doc.has('services')) doc.addIn(['services'], doc.createNode(service));
      else doc.set('services', doc.createNode([service]));
      if (file !== first) fs.writeFileSync(file, doc.toString());
    },
  },
  {
    // As the README says: a copy of the last config with its own names, namespaces and host port.
    name: 'environment-added',
    apply: (docs) => {
      const names = [...docs.keys()];
      const doc = docs.get(names[names.length - 1])!.clone();
      const env = unused('added', (n) => [...docs.values()].some((d) => d.get('environment') === n));
      doc.set('environment', env);
      doc.set('cluster', env);
      doc.setIn(['namespaces', 'monitoring'], `monitoring-${env}`);
      doc.setIn(['namespaces', 'nodeAgents'], `monitoring-agents-${env}`);
      if (doc.has('postgres')) doc.setIn(['postgres', 'namespace'], `postgres-${env}`);
      // Its own vhost on a shared broker, as the README says QA has.
      if (doc.has('rabbitmq')) doc.setIn(['rabbitmq', 'vhost'], `/${env}`);
      const ports = [...docs.values()].map((d) => Number(get(d, ['nodeExporter', 'port'], 9100)));
      doc.setIn(['nodeExporter', 'port'], Math.max(...ports) + 1);
      docs.set(`${env}.yaml`, doc);
    },
  },
  {
    name: 'backends-switched',
    apply: (docs) => {
      for (const doc of docs.values()) {
        doc.setIn(['alerting', 'engine'], get(doc, ['alerting', 'engine'], 'prometheus') === 'prometheus' ? 'grafana' : 'prometheus');
        doc.setIn(['metrics', 'backend'], 'victoriametrics');
        // Prometheus' own settings would be refused with VictoriaMetrics, as they would be for a user.
        for (const field of PROMETHEUS_ONLY_SETTINGS) {
          if (doc.hasIn(['prometheus', ...field])) doc.deleteIn(['prometheus', ...field]);
        }
        doc.setIn(['traces', 'storage'], 'memory');
      }
    },
  },
  {
    name: 'agent-switched',
    apply: (docs) => {
      for (const doc of docs.values()) doc.setIn(['logs', 'agent'], get(doc, ['logs', 'agent'], 'promtail') === 'promtail' ? 'alloy' : 'promtail');
    },
  },
];

/** Writes the variant of `configDir` into a new temporary directory and returns it. */
export function writeVariant(configDir: string, variant: Variant): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `config-variant-${variant.name}-`));
  // Everything in the directory (shared files, the JSON Schema) comes along.
  fs.cpSync(configDir, dir, { recursive: true });
  const docs = new Map<string, Document>();
  for (const file of listConfigFiles(dir)) docs.set(path.basename(file), parseDocument(fs.readFileSync(file, 'utf8')));
  variant.apply(docs, dir);
  for (const [name, doc] of docs) fs.writeFileSync(path.join(dir, name), doc.toString());
  return dir;
}

/**
 * The test files that read the configs under test (the rest do not change with the config). The ones that
 * start the components (test/integration, *.real.test.ts) are included with --all: they take most of the
 * time, and check the same manifests with the real binaries.
 */
function configReadingTests(all: boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      // The control-plane test boots a real API server per environment; it is run on the shipped configs only.
      const slow = entry.name === 'integration' || entry.name.endsWith('.real.test.ts');
      if (slow && !all) continue;
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'control-plane') walk(full);
      else if (entry.name.endsWith('.test.ts') && /shippedConfigs|SHIPPED_CONFIG_DIR|synthesizedShippedConfigs|allSynthesizedEnvironments/.test(fs.readFileSync(full, 'utf8'))) {
        found.push(path.relative(ROOT, full));
      }
    }
  };
  walk(path.join(ROOT, 'test'));
  walk(path.join(ROOT, 'src'));
  return found.sort();
}

function main(args: string[]): number {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const configDir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--only') ?? path.join(ROOT, 'config');
  if (only && !VARIANTS.some((v) => v.name === only)) {
    console.error(`no variant "${only}"; the variants: ${VARIANTS.map((v) => v.name).join(', ')}`);
    return 2;
  }
  const tests = configReadingTests(args.includes('--all'));
  const failed: string[] = [];
  for (const variant of VARIANTS.filter((v) => !only || v.name === only)) {
    const dir = writeVariant(configDir, variant);
    console.log(`\n== ${variant.name}: ${dir} (${tests.length} test files)`);
    const result = spawnSync('npx', ['jest', ...tests], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, OBS_CONFIG_DIR: dir } });
    if (result.status !== 0) failed.push(variant.name);
  }
  console.log(failed.length === 0 ? '\nevery variant passed' : `\nfailed: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
