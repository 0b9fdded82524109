/**
 * The synthesized Jaeger v2 as a test runs it on loopback: its config file, container environment names and
 * readiness path from the synthesized objects, and a copy of the config with every listener on a free loopback
 * port, Badger's directories in a temp directory and the search store's URL at a loopback stand-in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, visit } from 'yaml';
import { freePort } from './process';

/**
 * The one line allowed in Jaeger's log. The image's binary embeds the Jaeger UI bundle, built from the jaeger-ui
 * JavaScript project; the Go module the test binary is built from does not carry it, so the query extension
 * serves a placeholder page and says so. Nothing else is allowed.
 */
export const JAEGER_ALLOWED_LOG = [/\twarn\tui\/assets\.go:\d+\tui assets not embedded in the binary, using a placeholder\t/];

export type K8sObject = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: any };

export interface Synthesized {
  readonly configYaml: string;
  readonly envNames: string[];
  readonly readinessPath: string;
}

/** Jaeger's config file, its container's environment variable names and readiness path, from its synthesized objects. */
export function jaegerOf(objects: K8sObject[], where: string): Synthesized {
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
export function jaegerOfEnvironment(envDir: string): Synthesized | undefined {
  if (!fs.existsSync(path.join(envDir, 'namespaces.k8s.yaml'))) throw new Error(`${envDir} is not a synthesized environment`);
  const file = path.join(envDir, 'jaeger.k8s.yaml');
  if (!fs.existsSync(file)) return undefined;
  return jaegerOf(parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as K8sObject), file);
}

export interface Rewritten {
  readonly file: string;
  readonly health: string;
  readonly query: string;
  readonly otlpHttp: string;
  /** `127.0.0.1:<port>` of the OTLP gRPC receiver. */
  readonly otlpGrpc: string;
  readonly metrics: string;
}

/**
 * The synthesized config with loopback addresses and temp paths, edited in place in the YAML document so every
 * other scalar reaches Jaeger exactly as the product wrote it. Fails if an address it does not know binds all interfaces.
 */
export async function rewriteJaeger(t: { name: string; configYaml: string; readinessPath: string }, dir: string, searchUrl?: string): Promise<Rewritten> {
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
    otlpGrpc: at('receivers.otlp.protocols.grpc.endpoint'),
    metrics: `http://${at('metrics')}/metrics`,
  };
}
