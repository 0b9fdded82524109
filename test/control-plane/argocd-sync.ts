/**
 * Applying an environment the way Argo CD syncs it: objects in sync order (phase, wave, kind, name), each wave
 * applied by kubectl's apply (the code Argo CD runs) — server-side for objects annotated
 * `argocd.argoproj.io/sync-options: ServerSideApply=true`, client-side otherwise — and the next wave only once
 * every object of this one is healthy by Argo CD's health rules; then the PostSync hooks (deleted first when
 * their delete policy is BeforeHookCreation), then pruning what the previous revision had and this one has not.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { SYNC_OPTIONS_ANNOTATION } from '../../src/gitops/sync-waves';
import { sortForSync, syncPosition } from '../support/argocd-sync-order';
import { ControlPlane } from './cluster';
import { KubeClient } from './kube-client';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [key: string]: any;
}

/** An object of the manifests with the file it came from (`prometheus.k8s.yaml`). */
export interface Manifest {
  readonly object: K8sObject;
  readonly file: string;
}

export const idOf = (o: K8sObject): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** The objects an environment's Application manages: `*.k8s.yaml` of the environment directory, not recursive. */
export function loadEnvironment(envDir: string): Manifest[] {
  return fs
    .readdirSync(envDir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort()
    .flatMap((file) => parseManifests(fs.readFileSync(path.join(envDir, file), 'utf8'), file));
}

export function parseManifests(text: string, file: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o)
    .map((object) => ({ object, file }));
}

export const isServerSide = (o: K8sObject): boolean => /(^|,)\s*ServerSideApply=true\s*(,|$)/.test(o.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '');
const hookOf = (o: K8sObject): string | undefined => o.metadata.annotations?.['argocd.argoproj.io/hook'];

export interface SyncProblem {
  readonly object: string;
  readonly message: string;
}

export interface SyncReport {
  /** Objects kubectl reported applied, in order. */
  readonly applied: string[];
  /** Objects refused by the API server, or not healthy in time, each with the reason. */
  readonly problems: SyncProblem[];
  /** Every warning the API server returned, as kubectl printed it (`Warning: ...`). */
  readonly warnings: string[];
  readonly pruned: string[];
  /** Seconds per step (`wave 1`, `hooks`, `prune`), for the record. */
  readonly seconds: Record<string, number>;
}

/** `kubectl apply -o name` prints `deployment.apps/grafana`; the same key for a manifest. */
function nameKey(o: K8sObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '';
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.metadata.name}`;
}

async function applyRun(cp: ControlPlane, objects: K8sObject[], serverSide: boolean, report: { applied: string[]; problems: SyncProblem[]; warnings: string[] }): Promise<void> {
  const args = ['apply', '-f', '-', '-o', 'name'];
  // Argo CD's server-side apply: its field manager, taking over fields another manager set.
  if (serverSide) args.push('--server-side', '--field-manager=argocd-controller', '--force-conflicts');
  const r = await cp.kubectl(args, objects.map((o) => stringify(o)).join('---\n'));
  // kubectl prints the name of each object it applied; names can repeat across namespaces in one run.
  const printed = new Map<string, number>();
  for (const line of r.stdout.split('\n').filter(Boolean)) printed.set(line, (printed.get(line) ?? 0) + 1);
  const stderr = r.stderr.split('\n').filter(Boolean);
  report.warnings.push(...stderr.filter((l) => l.startsWith('Warning: ')));
  const errors = stderr.filter((l) => !l.startsWith('Warning: '));
  const byKey = new Map<string, K8sObject[]>();
  for (const o of objects) byKey.set(nameKey(o), [...(byKey.get(nameKey(o)) ?? []), o]);
  for (const [key, same] of byKey) {
    const missing = same.length - (printed.get(key) ?? 0);
    // Which of the objects of this name failed: those whose namespace an error names, when that decides it.
    const named = (o: K8sObject) => errors.filter((e) => e.includes(`"${o.metadata.name}"`));
    let failed = missing <= 0 ? [] : same;
    if (missing > 0 && missing < same.length) {
      const inNamespace = same.filter((o) => named(o).some((e) => o.metadata.namespace && e.includes(o.metadata.namespace)));
      if (inNamespace.length === missing) failed = inNamespace;
    }
    for (const o of same) {
      if (!failed.includes(o)) report.applied.push(idOf(o));
      else {
        // kubectl prints a refused patch and its target before the API server's message: keep the message.
        const lines = named(o);
        const messages = lines.filter((e) => /is (invalid|forbidden)|Error from server|error when/.test(e));
        const mine = messages.length ? messages : lines.filter((e) => !e.startsWith('{'));
        report.problems.push({ object: idOf(o), message: (mine.length ? mine : errors.length ? errors : [`kubectl exited ${r.code} without naming it`]).join('\n') });
      }
    }
  }
  if (r.code !== 0 && errors.length === 0) report.problems.push({ object: '(kubectl)', message: `kubectl apply exited ${r.code}:\n${r.stderr}` });
}

/** The kinds Argo CD waits for (other kinds are healthy once they exist). */
const HEALTH_CHECKED = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'PersistentVolumeClaim']);

/**
 * Argo CD's health of one live object (gitops-engine pkg/health): undefined when healthy, else why not.
 * Kinds without a health rule are healthy once they exist.
 */
export function unhealthyReason(kind: string, live: any): string | undefined {
  const s = live.status ?? {};
  const spec = live.spec ?? {};
  const generationSeen = (live.metadata.generation ?? 0) <= (s.observedGeneration ?? -1);
  switch (kind) {
    case 'Deployment': {
      if (!generationSeen) return 'waiting for the rollout to be observed';
      const want = spec.replicas ?? 1;
      if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} updated replicas`;
      if ((s.replicas ?? 0) > (s.updatedReplicas ?? 0)) return `${s.replicas - s.updatedReplicas} old replicas pending termination`;
      if ((s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0)) return `${s.availableReplicas ?? 0} of ${s.updatedReplicas} updated replicas available`;
      return undefined;
    }
    case 'StatefulSet': {
      if (!generationSeen) return 'waiting for the rollout to be observed';
      const want = spec.replicas ?? 1;
      if ((s.readyReplicas ?? 0) < want) return `${s.readyReplicas ?? 0} of ${want} pods ready`;
      if (spec.updateStrategy?.type !== 'OnDelete' && (s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} pods updated`;
      if (spec.updateStrategy?.type !== 'OnDelete' && s.currentRevision !== s.updateRevision) return `revision ${s.currentRevision} not yet ${s.updateRevision}`;
      return undefined;
    }
    case 'DaemonSet': {
      if (!generationSeen) return 'waiting for the rollout to be observed';
      const want = s.desiredNumberScheduled ?? 0;
      if ((s.updatedNumberScheduled ?? 0) < want) return `${s.updatedNumberScheduled ?? 0} of ${want} pods updated`;
      if ((s.numberAvailable ?? 0) < want) return `${s.numberAvailable ?? 0} of ${want} pods available`;
      return undefined;
    }
    case 'PersistentVolumeClaim':
      return s.phase === 'Bound' ? undefined : `claim ${s.phase ?? 'Pending'}`;
    default:
      return undefined;
  }
}

/** Why pods are not there, not scheduled or not bound: the FailedCreate, FailedScheduling and volume events of the named objects (and of what they own, named after them). */
export async function failureEvents(client: KubeClient, namespace: string, names: string[]): Promise<string[]> {
  const events = await client.list(`/api/v1/namespaces/${namespace}/events`);
  return [
    ...new Set(
      events
        .filter((e: any) => ['FailedCreate', 'FailedScheduling', 'FailedBinding', 'ProvisioningFailed'].includes(e.reason))
        .filter((e: any) => names.some((n) => e.involvedObject.name === n || e.involvedObject.name.startsWith(`${n}-`)))
        // One line per distinct reason: a controller retrying names a new pod each time.
        .map((e: any) => `${e.involvedObject.kind} ${namespace}/${e.involvedObject.name}: ${e.reason}: ${e.message.replace(/^\(combined from similar events\): /, '').replace(/pods "[^"]+"/g, 'pods "…"')}`),
    ),
  ];
}

async function waitHealthy(client: KubeClient, objects: K8sObject[], timeoutMs: number, problems: SyncProblem[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = objects.filter((o) => HEALTH_CHECKED.has(o.kind));
  let reasons = new Map<K8sObject, string>();
  while (pending.length > 0) {
    reasons = new Map();
    for (const o of pending) {
      const res = await client.request('GET', await client.pathOf(o));
      const why = res.status === 200 ? unhealthyReason(o.kind, res.body) : `not found (HTTP ${res.status})`;
      if (why) reasons.set(o, why);
    }
    pending = [...reasons.keys()];
    if (pending.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [o, why] of reasons) {
    const trouble = o.metadata.namespace ? await failureEvents(client, o.metadata.namespace, [o.metadata.name]) : [];
    problems.push({ object: idOf(o), message: `not healthy after ${timeoutMs / 1000} s: ${why}${trouble.length ? `\n${trouble.join('\n')}` : ''}` });
  }
}

export interface SyncOptions {
  /** How long a wave may take to become healthy. */
  readonly waveTimeoutMs?: number;
  /** The objects of the revision synced before, to prune what is gone. */
  readonly previous?: readonly K8sObject[];
}

/** Syncs `objects` like an Argo CD Application with automated sync (prune on). */
export async function syncLikeArgoCd(cp: ControlPlane, objects: readonly K8sObject[], opts: SyncOptions = {}): Promise<SyncReport> {
  const report = { applied: [] as string[], problems: [] as SyncProblem[], warnings: [] as string[], pruned: [] as string[], seconds: {} as Record<string, number> };
  let t = Date.now();
  const lap = (step: string) => {
    report.seconds[step] = Math.round((Date.now() - t) / 100) / 10;
    t = Date.now();
  };
  const ordered = sortForSync(objects);
  const syncPhase = ordered.filter((o) => hookOf(o) === undefined);
  const hooks = ordered.filter((o) => hookOf(o) === 'PostSync');
  const unknownHooks = ordered.filter((o) => hookOf(o) !== undefined && hookOf(o) !== 'PostSync');
  for (const o of unknownHooks) report.problems.push({ object: idOf(o), message: `hook ${hookOf(o)} is not modelled by this test` });

  const waves = [...new Set(syncPhase.map((o) => syncPosition(o)[1]))];
  for (const wave of waves) {
    const inWave = syncPhase.filter((o) => syncPosition(o)[1] === wave);
    // Consecutive objects of the same apply mode go to kubectl together, in order.
    for (let i = 0; i < inWave.length; ) {
      const serverSide = isServerSide(inWave[i]);
      let j = i;
      while (j < inWave.length && isServerSide(inWave[j]) === serverSide) j++;
      await applyRun(cp, inWave.slice(i, j), serverSide, report);
      i = j;
    }
    await waitHealthy(cp.client, inWave, opts.waveTimeoutMs ?? 60_000, report.problems);
    lap(`wave ${wave}`);
  }

  for (const hook of hooks) {
    if ((hook.metadata.annotations?.['argocd.argoproj.io/hook-delete-policy'] ?? 'BeforeHookCreation').split(',').includes('BeforeHookCreation')) {
      const r = await cp.kubectl(['delete', hook.kind.toLowerCase(), '-n', hook.metadata.namespace ?? 'default', hook.metadata.name, '--ignore-not-found', '--wait=true', '--cascade=foreground']);
      if (r.code !== 0) report.problems.push({ object: idOf(hook), message: `deleting the previous hook: ${r.stderr}` });
    }
    await applyRun(cp, [hook], isServerSide(hook), report);
  }
  // The sync operation ends when its hooks have completed.
  for (const hook of hooks.filter((h) => h.kind === 'Job')) {
    const path = await cp.client.pathOf(hook);
    const deadline = Date.now() + (opts.waveTimeoutMs ?? 60_000);
    let conditions: any[] = [];
    while (Date.now() < deadline) {
      conditions = (await cp.client.get(path)).status?.conditions ?? [];
      if (conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (!conditions.some((c) => c.type === 'Complete' && c.status === 'True')) {
      const trouble = await failureEvents(cp.client, hook.metadata.namespace ?? 'default', [hook.metadata.name]);
      report.problems.push({ object: idOf(hook), message: `hook did not complete: ${JSON.stringify(conditions)}${trouble.length ? `\n${trouble.join('\n')}` : ''}` });
    }
  }

  lap('hooks');
  if (opts.previous) {
    const current = new Set(objects.map(idOf));
    for (const old of sortForSync(opts.previous).reverse()) {
      if (current.has(idOf(old)) || hookOf(old) !== undefined) continue;
      if (/(^|,)\s*Prune=false\s*(,|$)/.test(old.metadata.annotations?.[SYNC_OPTIONS_ANNOTATION] ?? '')) continue;
      const r = await cp.kubectl(['delete', '-f', '-', '--ignore-not-found', '--wait=false'], stringify(old));
      if (r.code === 0) report.pruned.push(idOf(old));
      else report.problems.push({ object: idOf(old), message: `pruning: ${r.stderr}` });
    }
  }
  if (opts.previous) lap('prune');
  return report;
}

