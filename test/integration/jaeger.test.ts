/**
 * Jaeger v2 at the image's version, run with the config the stack synthesizes: for both shipped environments
 * (Badger), the central cluster of examples/ha.yaml (OpenSearch), and the two storages no shipped config uses
 * (memory, Elasticsearch). Each config is checked by `jaeger validate`, then Jaeger starts with it, reports
 * healthy where its readiness probe asks, stores a span received over OTLP/HTTP and lists its service on the
 * query API, and logs no error, warning or deprecation from start to shutdown.
 *
 * Only addresses and paths are rewritten, in the test: every endpoint to a free loopback port, Badger's
 * directories to a temp directory, the search store's URL to a loopback stand-in that records what Jaeger asks.
 */
import { Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, visit } from 'yaml';
import { Jaeger, JaegerProps } from '../../src/components/jaeger/jaeger';
import { synthesize } from '../../src/synth';
import { FakeSearchStore, SearchFlavor, startFakeSearchStore } from '../support/fake-search-store';
import { expectCleanLog, freePort, RunningProcess, startProcess, stopAll, tempDir } from '../support/process';
import { REPO_ROOT, shippedConfigs, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';

jest.setTimeout(120_000);

const JAEGER = requireTool('jaeger');
/**
 * The one line allowed in Jaeger's log. The image's binary embeds the Jaeger UI bundle, built from the jaeger-ui
 * JavaScript project; the Go module the test binary is built from does not carry it, so the query extension
 * serves a placeholder page and says so. Nothing else is allowed.
 */
const ALLOWED = [/\twarn\tui\/assets\.go:\d+\tui assets not embedded in the binary, using a placeholder\t/];
/** Readiness bound on a loaded 2-core machine; Jaeger is healthy in about a second when idle. */
const READY_MS = 60_000;

type K8sObject = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any };

interface Target {
  /** Where the config comes from. */
  readonly name: string;
  readonly configYaml: string;
  /** The path of the pod's readiness probe on the health port. */
  readonly readinessPath: string;
  /** Environment variables the pod gets (names from the workload; the test picks the values). */
  readonly env: Record<string, string>;
  readonly search?: SearchFlavor;
}

interface Synthesized {
  readonly configYaml: string;
  readonly envNames: string[];
  readonly readinessPath: string;
}

/** Jaeger's config file, its container's environment variable names and readiness path, from its synthesized objects. */
function jaegerOf(objects: K8sObject[], where: string): Synthesized {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.data?.['config.yaml'] !== undefined);
  const workload = objects.find((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment');
  if (!configMap || !workload) throw new Error(`${where} has no Jaeger ConfigMap or workload`);
  const container = workload.spec.template.spec.containers.find((c: any) => c.name === 'jaeger');
  return {
    configYaml: configMap.data!['config.yaml'],
    envNames: (container.env ?? []).map((e: { name: string }) => e.name),
    readinessPath: container.readinessProbe.httpGet.path,
  };
}

/** The Jaeger of one synthesized environment, or undefined if the environment runs none. */
function jaegerOfEnvironment(envDir: string): Synthesized | undefined {
  if (!fs.existsSync(path.join(envDir, 'namespaces.k8s.yaml'))) throw new Error(`${envDir} is not a synthesized environment`);
  const file = path.join(envDir, 'jaeger.k8s.yaml');
  if (!fs.existsSync(file)) return undefined;
  return jaegerOf(parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as K8sObject), file);
}

/** The Jaeger construct on its own, for the storages no shipped config or example renders. */
function jaegerOfConstruct(props: Omit<JaegerProps, 'namespace'>): Synthesized {
  const chart = Testing.chart();
  new Jaeger(chart, 'jaeger', { namespace: 'monitoring', ...props });
  return jaegerOf(Testing.synth(chart) as K8sObject[], `Jaeger with storage ${props.storage}`);
}

const shipped = synthesizedShippedConfigs();
const examplesOut = tempDir('jaeger-examples');
for (const file of ['ha.yaml', 'agent.yaml']) synthesize({ config: path.join(REPO_ROOT, 'examples', file), out: examplesOut });

const envDirs: Record<string, string> = {
  ...Object.fromEntries(shippedConfigs().map(({ file, config }) => [`config/${path.basename(file)}`, path.join(shipped, config.environment)])),
  'examples/ha.yaml': path.join(examplesOut, 'central'),
  'examples/agent.yaml': path.join(examplesOut, 'edge-a'),
};
const TEST_CREDENTIALS = { username: 'jaeger-writer', password: 'pw-Stand-in-1' };

/** `${env:NAME}` → NAME */
const envReference = (value: unknown): string | undefined => /^\$\{env:(\w+)\}$/.exec(String(value))?.[1];

function target(name: string, j: Synthesized): Target {
  const backend = Object.values(parseDocument(j.configYaml).toJS().extensions.jaeger_storage.backends)[0] as Record<string, any>;
  const search = (['opensearch', 'elasticsearch'] as const).find((k) => k in backend);
  // The credentials the config expands from the environment; the container must define each variable it names.
  const env: Record<string, string> = {};
  const basic = search ? backend[search].auth?.basic : undefined;
  for (const [field, value] of Object.entries(TEST_CREDENTIALS)) {
    const variable = envReference(basic?.[field]);
    if (variable) env[variable] = value;
  }
  if (j.envNames.sort().join() !== Object.keys(env).sort().join()) {
    throw new Error(`${name}: the container defines [${j.envNames}], the config expands [${Object.keys(env)}]`);
  }
  return { name, configYaml: j.configYaml, readinessPath: j.readinessPath, env, search };
}

const targets: Target[] = [];
for (const [name, dir] of Object.entries(envDirs)) {
  const j = jaegerOfEnvironment(dir);
  if (j) targets.push(target(name, j));
}
targets.push(target('storage memory', jaegerOfConstruct({ storage: 'memory', maxTraces: 1000 })));
targets.push(
  target(
    'storage elasticsearch',
    jaegerOfConstruct({
      storage: 'elasticsearch',
      searchStore: { serverUrls: ['https://es.example.com:9200'], credentials: { secretName: 'es', usernameKey: 'user', passwordKey: 'pass' } },
    }),
  ),
);

test('every environment and example that runs Jaeger is started below, with every storage the stack renders', () => {
  expect(targets.map((t) => `${t.name}: ${Object.keys(Object.values(parseDocument(t.configYaml).toJS().extensions.jaeger_storage.backends)[0] as object)}`)).toEqual([
    ...shippedConfigs().map(({ file, config }) => `config/${path.basename(file)}: ${config.traces.storage}`),
    'examples/ha.yaml: opensearch',
    'storage memory: memory',
    'storage elasticsearch: elasticsearch',
  ]);
  // The agent cluster sends its spans to the central one and runs no Jaeger of its own.
  expect(jaegerOfEnvironment(envDirs['examples/agent.yaml'])).toBeUndefined();
});

interface Rewritten {
  readonly file: string;
  readonly health: string;
  readonly query: string;
  readonly otlpHttp: string;
  readonly metrics: string;
}

/**
 * The synthesized config with loopback addresses and temp paths, edited in place in the YAML document so every
 * other scalar reaches Jaeger exactly as the product wrote it. Fails if an address it does not know binds all interfaces.
 */
async function rewrite(t: Target, dir: string, searchUrl?: string): Promise<Rewritten> {
  const doc = parseDocument(t.configYaml) as Document;
  const ports = new Map<string, number>();
  const portOf = async (key: string) => {
    if (!ports.has(key)) ports.set(key, await freePort());
    return ports.get(key)!;
  };
  const setLoopback = async (p: (string | number)[]) => {
    const current = doc.getIn(p);
    if (typeof current !== 'string' || !current.startsWith('0.0.0.0:')) throw new Error(`${t.name}: ${p.join('.')} is ${current}, expected 0.0.0.0:<port>`);
    doc.setIn(p, `127.0.0.1:${await portOf(p.join('.'))}`);
  };
  await setLoopback(['receivers', 'otlp', 'protocols', 'grpc', 'endpoint']);
  await setLoopback(['receivers', 'otlp', 'protocols', 'http', 'endpoint']);
  await setLoopback(['extensions', 'healthcheckv2', 'http', 'endpoint']);
  await setLoopback(['extensions', 'jaeger_query', 'http', 'endpoint']);
  await setLoopback(['extensions', 'jaeger_query', 'grpc', 'endpoint']);
  const prom = ['service', 'telemetry', 'metrics', 'readers', 0, 'pull', 'exporter', 'prometheus'];
  doc.setIn([...prom, 'host'], '127.0.0.1');
  doc.setIn([...prom, 'port'], await portOf('metrics'));
  const backends = doc.getIn(['extensions', 'jaeger_storage', 'backends']);
  if (!isMap(backends)) throw new Error(`${t.name}: no jaeger_storage.backends`);
  for (const pair of backends.items) {
    const store = String((pair.key as any).value);
    const base = ['extensions', 'jaeger_storage', 'backends', store];
    if (doc.hasIn([...base, 'badger'])) {
      doc.setIn([...base, 'badger', 'directories', 'keys'], path.join(dir, 'badger', 'keys'));
      doc.setIn([...base, 'badger', 'directories', 'values'], path.join(dir, 'badger', 'values'));
    }
    for (const kind of ['opensearch', 'elasticsearch']) {
      if (!doc.hasIn([...base, kind])) continue;
      const urls = doc.getIn([...base, kind, 'server_urls']);
      if (!isSeq(urls) || !searchUrl) throw new Error(`${t.name}: ${kind} without server_urls or stand-in`);
      doc.setIn([...base, kind, 'server_urls'], doc.createNode([searchUrl]));
    }
  }
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && /^0\.0\.0\.0\b/.test(node.value)) {
        throw new Error(`${t.name}: an address the test does not rewrite binds all interfaces: ${node.value}`);
      }
    },
  });
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, doc.toString({ lineWidth: 0 }));
  const at = (k: string) => `127.0.0.1:${ports.get(k)}`;
  return {
    file,
    health: `http://${at('extensions.healthcheckv2.http.endpoint')}${t.readinessPath}`,
    query: `http://${at('extensions.jaeger_query.http.endpoint')}`,
    otlpHttp: `http://${at('receivers.otlp.protocols.http.endpoint')}`,
    metrics: `http://${at('metrics')}/metrics`,
  };
}

/** One span over OTLP/HTTP (JSON), from a service named `service`. */
async function sendSpan(otlpHttp: string, service: string): Promise<Response> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'jaeger-integration-test' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'GET /checkout',
                kind: 2,
                startTimeUnixNano: String(now - 5_000_000n),
                endTimeUnixNano: String(now),
              },
            ],
          },
        ],
      },
    ],
  };
  return fetch(`${otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** `/api/services` until it lists `service`, within a bound; returns the last answer. */
async function servicesListing(query: string, service: string, timeoutMs = 30_000): Promise<{ status: number; contentType: string; body: any }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${query}/api/services`);
    const answer = { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json().catch(() => undefined)) as any };
    if (answer.status !== 200 || (answer.body?.data ?? []).includes(service) || Date.now() > deadline) return answer;
    await new Promise((r) => setTimeout(r, 250));
  }
}

afterAll(stopAll);

describe.each(targets.map((t) => [t.name, t] as const))('Jaeger %s', (name, t) => {
  const dir = tempDir('jaeger-it');
  const service = `checkout-${name.replace(/[^a-z0-9]+/gi, '-')}`;
  let cfg: Rewritten;
  let jaeger: RunningProcess;
  let store: FakeSearchStore | undefined;

  beforeAll(async () => {
    if (t.search) store = await startFakeSearchStore(t.search);
    cfg = await rewrite(t, dir, store?.url);
  });
  afterAll(async () => {
    await jaeger?.stop();
    await store?.close();
  });

  test('jaeger validate accepts the config', () => {
    const r = run(JAEGER, ['validate', `--config=${cfg.file}`], { cwd: dir, timeoutMs: 60_000 });
    expect({ code: r.code, output: `${r.stdout}${r.stderr}` }).toEqual({ code: 0, output: expect.any(String) });
    expectCleanLog(`jaeger validate (${name})`, `${r.stdout}${r.stderr}`);
  });

  test('starts and reports healthy on the health extension', async () => {
    jaeger = startProcess(`jaeger (${name})`, JAEGER, [`--config=${cfg.file}`], { cwd: dir, env: t.env });
    await jaeger.waitForHttp(cfg.health, READY_MS);
    const metrics = await fetch(cfg.metrics);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^otelcol_process_uptime/m);
  });

  test('stores a span received over OTLP and lists its service on the query API', async () => {
    expect((await sendSpan(cfg.otlpHttp, service)).status).toBe(200);
    const answer = await servicesListing(cfg.query, service);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(answer.body.data).toEqual([service]);
  });

  if (t.search) {
    test('creates its index templates and writes and reads daily indices under the prefix, with the basic auth from the environment', () => {
      const s = store!;
      const prefix = String(parseDocument(t.configYaml).toJS().extensions.jaeger_storage.backends.traces[t.search!].indices.index_prefix);
      expect([...s.templates.keys()].sort()).toEqual([`${prefix}-jaeger-service`, `${prefix}-jaeger-span`]);
      // OpenSearch's legacy templates also match a cross-cluster name (`*<prefix>-…`); Elasticsearch 8's do not.
      for (const kind of ['span', 'service']) {
        expect(String(s.templates.get(`${prefix}-jaeger-${kind}`)?.index_patterns)).toMatch(new RegExp(`^\\*?${prefix}-jaeger-${kind}-\\*$`));
      }
      const today = new Date().toISOString().slice(0, 10);
      expect([...s.indices.keys()].sort()).toEqual([`${prefix}-jaeger-service-${today}`, `${prefix}-jaeger-span-${today}`]);
      expect(s.indices.get(`${prefix}-jaeger-span-${today}`)).toEqual([expect.objectContaining({ operationName: 'GET /checkout', process: expect.objectContaining({ serviceName: service }) })]);
      const basic = `Basic ${Buffer.from(`${TEST_CREDENTIALS.username}:${TEST_CREDENTIALS.password}`).toString('base64')}`;
      expect(Object.keys(t.env)).toHaveLength(2);
      expect(s.requests.filter((r) => r.headers.authorization !== basic).map((r) => `${r.method} ${r.url}`)).toEqual([]);
      expect(s.unhandled).toEqual([]);
    });
  }

  test('logs no error, warning or deprecation from start to shutdown', async () => {
    await jaeger.stop();
    expect(jaeger.child.exitCode).toBe(0);
    expectCleanLog(`jaeger (${name})`, jaeger.log(), ALLOWED);
  });
});
