/**
 * `npm run variants`: proves that the changes a platform team makes first leave the tests green.
 *
 * It generates variants of the config directory (config/, or the directory given as the first argument),
 * each in a temporary directory:
 * - service-added: a service with a Kafka consumer and its own latency target added to the first config;
 * - environment-added: a copy of the last config as a new environment "variant", with its own namespaces,
 *   PostgreSQL namespace and node-exporter port (what the README's "add an environment" asks for);
 * - backends-switched: every config with the other alerting engine, VictoriaMetrics and in-memory traces;
 * - agent-switched: every config with the other log agent.
 * Each variant is synthesized, then every test file that reads the configs under test runs against it
 * (OBS_CONFIG_DIR, see test/support/synth-fixture.ts): the same checks as `npm test`, not copies.
 *
 * Usage: npm run variants [-- <config dir>] [--only <variant>] [--all]
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Document, parseDocument } from 'yaml';
import { listConfigFiles } from '../src/config/loader';

const ROOT = path.join(__dirname, '..');

interface Variant {
  readonly name: string;
  /** Changes the parsed config files (by file name) in place; may add files. */
  readonly apply: (docs: Map<string, Document>) => void;
}

const get = (doc: Document, at: Array<string | number>, fallback: unknown): any => doc.getIn(at) ?? fallback;

export const VARIANTS: readonly Variant[] = [
  {
    name: 'service-added',
    apply: (docs) => {
      const doc = [...docs.values()][0];
      const services = get(doc, ['services'], undefined);
      const service = {
        name: 'variant-service',
        namespace: 'variant-apps',
        stack: 'go',
        kafkaConsumers: [{ groupId: 'variant-consumer', topics: ['variant.events'] }],
        slo: { latencyP99Ms: 250 },
      };
      if (services) doc.addIn(['services'], doc.createNode(service));
      else doc.setIn(['services'], [service]);
    },
  },
  {
    name: 'environment-added',
    apply: (docs) => {
      const names = [...docs.keys()];
      const source = docs.get(names[names.length - 1])!;
      const doc = source.clone();
      doc.setIn(['environment'], 'variant');
      doc.setIn(['cluster'], 'variant');
      doc.setIn(['namespaces', 'monitoring'], 'monitoring-variant');
      doc.setIn(['namespaces', 'nodeAgents'], 'monitoring-agents-variant');
      if (doc.hasIn(['postgres'])) doc.setIn(['postgres', 'namespace'], 'postgres-variant');
      const ports = [...docs.values()].map((d) => Number(get(d, ['nodeExporter', 'port'], 9100)));
      doc.setIn(['nodeExporter', 'port'], Math.max(...ports) + 1);
      docs.set('variant.yaml', doc);
    },
  },
  {
    name: 'backends-switched',
    apply: (docs) => {
      for (const doc of docs.values()) {
        doc.setIn(['alerting', 'engine'], get(doc, ['alerting', 'engine'], 'prometheus') === 'prometheus' ? 'grafana' : 'prometheus');
        doc.setIn(['metrics', 'backend'], 'victoriametrics');
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
  const docs = new Map<string, Document>();
  for (const file of listConfigFiles(configDir)) docs.set(path.basename(file), parseDocument(fs.readFileSync(file, 'utf8')));
  variant.apply(docs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `config-variant-${variant.name}-`));
  // Everything else in the directory (a shared base, the JSON Schema) comes along unchanged.
  for (const entry of fs.readdirSync(configDir)) {
    if (!docs.has(entry)) fs.cpSync(path.join(configDir, entry), path.join(dir, entry), { recursive: true });
  }
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
