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
import * as path from 'path';
import { parseDocument } from 'yaml';
import { Jaeger, JaegerProps } from '../../src/components/jaeger/jaeger';
import { synthesize } from '../../src/synth';
import { FakeSearchStore, SearchFlavor, startFakeSearchStore } from '../support/fake-search-store';
import { JAEGER_ALLOWED_LOG as ALLOWED, jaegerOf, jaegerOfEnvironment, K8sObject, Rewritten, rewriteJaeger, Synthesized } from '../support/jaeger';
import { expectCleanLog, RunningProcess, startProcess, stopAll, tempDir } from '../support/process';
import { REPO_ROOT, shippedConfigs, synthesizedShippedConfigs } from '../support/synth-fixture';
import { requireTool, run } from '../support/tools';

jest.setTimeout(120_000);

const JAEGER = requireTool('jaeger');
/** Readiness bound on a loaded 2-core machine; Jaeger is healthy in about a second when idle. */
const READY_MS = 60_000;

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
    cfg = await rewriteJaeger(t, dir, store?.url);
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
