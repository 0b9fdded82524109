/**
 * A loopback stand-in for the Kubernetes API, enough for a component to start: discovery, lists (of the objects
 * given and those created), watches that stay open and report each object created while they are (streaming
 * lists end their initial events with the bookmark client-go waits for), and objects written back as sent
 * (leader-election leases, events).
 *
 * It serves plain HTTP on 127.0.0.1 and writes a kubeconfig for it, so the real binaries (Prometheus and
 * vmagent discovery, kube-state-metrics, the event exporter, the collector's k8s_attributes) run their own
 * client code against it. It records every request, so a test can assert what a component asked for.
 * It proves startup and the requests made, not authorisation: the real API server's tests do that.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { AddressInfo } from 'net';

export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** A kubeconfig whose only cluster is this server. */
  readonly kubeconfig: string;
  /** `METHOD path?query` of every request, in order. */
  readonly requests: string[];
  /** Objects created or replaced through the API, keyed by their URL path. */
  readonly objects: Map<string, Record<string, unknown>>;
  /**
   * Creates an object as a client's POST to `collection` would (`/api/v1/namespaces/default/events`): it is
   * stored, listed from then on, and sent as an ADDED event to every open watch of its resource.
   */
  create(collection: string, obj: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/** Kinds of the resources that components list or watch; anything else falls back to singular + capital. */
const KINDS: Record<string, string> = {
  pods: 'Pod',
  services: 'Service',
  endpoints: 'Endpoints',
  endpointslices: 'EndpointSlice',
  nodes: 'Node',
  namespaces: 'Namespace',
  replicasets: 'ReplicaSet',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
  ingresses: 'Ingress',
  ingressclasses: 'IngressClass',
  events: 'Event',
  configmaps: 'ConfigMap',
  secrets: 'Secret',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  persistentvolumes: 'PersistentVolume',
  horizontalpodautoscalers: 'HorizontalPodAutoscaler',
  poddisruptionbudgets: 'PodDisruptionBudget',
  storageclasses: 'StorageClass',
  leases: 'Lease',
  resourcequotas: 'ResourceQuota',
  limitranges: 'LimitRange',
  replicationcontrollers: 'ReplicationController',
  networkpolicies: 'NetworkPolicy',
  certificatesigningrequests: 'CertificateSigningRequest',
  mutatingwebhookconfigurations: 'MutatingWebhookConfiguration',
  validatingwebhookconfigurations: 'ValidatingWebhookConfiguration',
  volumeattachments: 'VolumeAttachment',
  serviceaccounts: 'ServiceAccount',
  roles: 'Role',
  rolebindings: 'RoleBinding',
  clusterroles: 'ClusterRole',
  clusterrolebindings: 'ClusterRoleBinding',
};

const GROUPS = [
  'apps/v1',
  'batch/v1',
  'autoscaling/v2',
  'policy/v1',
  'networking.k8s.io/v1',
  'discovery.k8s.io/v1',
  'coordination.k8s.io/v1',
  'storage.k8s.io/v1',
  'certificates.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'rbac.authorization.k8s.io/v1',
  'events.k8s.io/v1',
];

function kindOf(resource: string): string {
  return KINDS[resource] ?? resource.replace(/s$/, '').replace(/^./, (c) => c.toUpperCase());
}

/** `/api/v1/namespaces/x/pods` → { apiVersion: 'v1', namespace: 'x', resource: 'pods', name: undefined } */
function parsePath(p: string): { apiVersion: string; namespace?: string; resource: string; name?: string } | undefined {
  const parts = p.split('/').filter(Boolean);
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    apiVersion = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { apiVersion, namespace, resource: rest[0], name: rest[1] };
}

/** Whether the object stored at `objectPath` belongs to the collection at `collectionPath` (all namespaces or one). */
function inCollection(objectPath: string, collectionPath: string): boolean {
  const o = parsePath(objectPath);
  const c = parsePath(collectionPath);
  if (!o || !c || c.name !== undefined || o.name === undefined) return false;
  return o.apiVersion === c.apiVersion && o.resource === c.resource && (c.namespace === undefined || c.namespace === o.namespace);
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export interface FakeKubeApiOptions {
  /**
   * Objects that lists return, by resource (`pods`, `replicasets`, …); a namespaced list returns those of its
   * namespace. @default every list is empty
   */
  readonly lists?: Readonly<Record<string, ReadonlyArray<Record<string, any>>>>;
}

export async function startFakeKubeApi(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const requests: string[] = [];
  const objects = new Map<string, Record<string, unknown>>();
  const watches = new Map<http.ServerResponse, string>();
  let resourceVersion = 1;

  const store = (key: string, target: { apiVersion: string; resource: string }, obj: Record<string, unknown>, event: 'ADDED' | 'MODIFIED') => {
    const metadata: Record<string, unknown> = { ...((obj.metadata as Record<string, unknown>) ?? {}), resourceVersion: String(++resourceVersion) };
    const stored = { apiVersion: target.apiVersion, kind: kindOf(target.resource), ...obj, metadata };
    objects.set(key, stored);
    for (const [res, collection] of watches) {
      if (inCollection(key, collection)) res.write(`${JSON.stringify({ type: event, object: stored })}\n`);
    }
    return stored;
  };
  const create = (collection: string, obj: Record<string, unknown>) => {
    const target = parsePath(collection);
    const name = (obj.metadata as Record<string, unknown> | undefined)?.name;
    if (!target || target.name !== undefined || typeof name !== 'string') throw new Error(`create: ${collection} is not a collection, or the object has no metadata.name`);
    return store(`${collection}/${name}`, target, obj, 'ADDED');
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const p = url.pathname;
      // The API server's own health endpoints (kube-state-metrics' /livez asks the API server's).
      if (/^\/(livez|readyz|healthz)(\/|$)/.test(p)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('ok');
      }
      if (p === '/version') return send(res, 200, { major: '1', minor: '34', gitVersion: 'v1.34.0', platform: 'linux/amd64' });
      if (p === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (p === '/apis') {
        return send(res, 200, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: GROUPS.map((gv) => {
            const [group, version] = gv.split('/');
            return { name: group, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
          }),
        });
      }
      if (p === '/api/v1' || /^\/apis\/[^/]+\/[^/]+$/.test(p)) {
        const gv = p === '/api/v1' ? 'v1' : p.slice('/apis/'.length);
        return send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: [] });
      }
      const target = parsePath(p);
      if (!target) return send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
      const kind = kindOf(target.resource);
      const namespace = /\/namespaces\/([^/]+)\//.exec(p)?.[1];
      // The objects given by resource, then those created through the API or by the test.
      const items = [
        ...(opts.lists?.[target.resource] ?? []).filter((o) => !namespace || o.metadata?.namespace === namespace),
        ...[...objects].filter(([key]) => inCollection(key, p)).map(([, obj]) => obj),
      ];
      // client-go sends watch=true; VictoriaMetrics' discovery sends watch=1 (the API server takes both).
      if (req.method === 'GET' && ['true', '1'].includes(url.searchParams.get('watch') ?? '')) {
        // An open watch; ended when the server closes.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        res.flushHeaders();
        if (url.searchParams.get('sendInitialEvents') === 'true') {
          // client-go's streaming list (WatchList): the current objects as ADDED events, then the bookmark that
          // ends the initial events; without it the informer never syncs.
          for (const item of items) {
            res.write(`${JSON.stringify({ type: 'ADDED', object: { apiVersion: target.apiVersion, kind, ...item, metadata: { resourceVersion: String(resourceVersion), ...item.metadata } } })}\n`);
          }
          const bookmark = { resourceVersion: String(resourceVersion), annotations: { 'k8s.io/initial-events-end': 'true' } };
          res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { apiVersion: target.apiVersion, kind, metadata: bookmark } })}\n`);
        }
        watches.set(res, p);
        res.on('close', () => watches.delete(res));
        return;
      }
      if (req.method === 'GET' && !target.name) {
        return send(res, 200, { kind: `${kind}List`, apiVersion: target.apiVersion, metadata: { resourceVersion: String(resourceVersion) }, items });
      }
      if (req.method === 'GET') {
        const stored = objects.get(p);
        if (stored) return send(res, 200, stored);
        return send(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${target.resource} "${target.name}" not found` });
      }
      if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
        let obj: Record<string, unknown> = {};
        try {
          obj = JSON.parse(body) as Record<string, unknown>;
        } catch {
          /* a patch body that is not JSON is stored as sent */
        }
        const name = ((obj.metadata as Record<string, unknown> | undefined)?.name as string | undefined) ?? target.name;
        const key = target.name ? p : `${p}/${name}`;
        const stored = store(key, target, obj, objects.has(key) ? 'MODIFIED' : 'ADDED');
        return send(res, req.method === 'POST' ? 201 : 200, stored);
      }
      return send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-kube-api-'));
  // Readable by all: a component may run as its pod's user (see runAsOf); the token in it is a dummy.
  fs.chmodSync(dir, 0o755);
  const kubeconfig = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: loopback, cluster: {server: "' + url + '"}}]',
      'users: [{name: loopback, user: {token: "loopback"}}]',
      'contexts: [{name: loopback, context: {cluster: loopback, user: loopback, namespace: default}}]',
      'current-context: loopback',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  return {
    url,
    kubeconfig,
    requests,
    objects,
    create,
    close: async () => {
      for (const w of watches.keys()) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
