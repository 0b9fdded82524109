import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSpecSyncPolicy } from '../../imports/argoproj.io';
import { PART_OF } from '../lib/labels';

export interface GitOpsSyncPolicy {
  /** Sync whenever the revision changes; otherwise every sync is started by hand. */
  readonly automated: boolean;
  /** Delete objects that left dist/ (only with automated). */
  readonly prune: boolean;
  /** Revert changes made in the cluster by hand (only with automated). */
  readonly selfHeal: boolean;
  /** Retries of a failed sync, with backoff from 10s to 3m. */
  readonly retryLimit: number;
}

export interface EnvironmentApplicationsProps {
  readonly environment: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly project: string;
  readonly destinationServer: string;
  /** Where Argo CD runs; the Application objects live there. */
  readonly argocdNamespace: string;
  /** Namespace for objects that set none (the stack's objects all set theirs). */
  readonly defaultNamespace: string;
  /** Repository path of the environment's synth output, e.g. `dist/prod`. */
  readonly manifestsPath: string;
  readonly syncPolicy: GitOpsSyncPolicy;
}

/** Name of the file (in `<manifestsPath>/argocd/`) holding the child Applications. */
export const APPLICATIONS_FILE = 'applications.k8s.yaml';
/** Name of the file (in `<manifestsPath>/argocd/`) holding the root Application, applied once by hand. */
export const ROOT_FILE = 'root.k8s.yaml';
/** Subdirectory of `<manifestsPath>` that holds the Argo CD objects. */
export const ARGOCD_DIRECTORY = 'argocd';

/**
 * The Argo CD Applications of one environment, as an app of apps:
 *
 *     <part-of>-<env>-root          dist/<env>/argocd/root.k8s.yaml (kubectl apply once)
 *     └── <part-of>-<env>           dist/<env>/argocd/applications.k8s.yaml
 *         └── every object          dist/<env>/*.k8s.yaml, in sync waves, then the PostSync hook
 *
 * `scope` must be an App whose outdir is `<manifestsPath>/argocd`, so each
 * chart becomes one file there.
 *
 * Why the files are laid out like this:
 * - The environment Application reads `dist/<env>/` without recursion and only
 *   `*.k8s.yaml`: `rules/*.yaml` and `dashboards/*.json` beside the manifests
 *   are plain files, not objects, and `argocd/` is not part of the environment.
 * - The root reads only `argocd/applications.k8s.yaml`, not its own
 *   `root.k8s.yaml`: it never manages itself, so no Application can ever
 *   prune or rewrite the one that manages it. A change to the root (rare:
 *   repository URL or revision) is applied by hand again.
 * - No `resources-finalizer`: deleting an Application by mistake orphans the
 *   platform instead of deleting Prometheus' and Grafana's volumes with it.
 */
export class EnvironmentApplications extends Construct {
  public readonly rootName: string;
  public readonly applicationName: string;

  constructor(scope: App, id: string, props: EnvironmentApplicationsProps) {
    super(scope, id);
    if (props.manifestsPath.startsWith('/') || props.manifestsPath.endsWith('/')) {
      throw new Error(`manifestsPath must be relative to the repository root without a trailing "/", got "${props.manifestsPath}"`);
    }
    this.applicationName = `${PART_OF}-${props.environment}`;
    this.rootName = `${this.applicationName}-root`;
    const labels = {
      'app.kubernetes.io/name': 'argocd-application',
      'app.kubernetes.io/component': 'gitops',
      'app.kubernetes.io/part-of': PART_OF,
      'app.kubernetes.io/managed-by': 'cdk8s',
      environment: props.environment,
    };
    const source = (path: string, include: string) => ({
      repoUrl: props.repoURL,
      targetRevision: props.targetRevision,
      path,
      directory: { include, recurse: false },
    });

    new Application(new Chart(scope, 'applications'), 'environment', {
      metadata: { name: this.applicationName, namespace: props.argocdNamespace, labels },
      spec: {
        project: props.project,
        source: source(props.manifestsPath, '*.k8s.yaml'),
        destination: { server: props.destinationServer, namespace: props.defaultNamespace },
        // PruneLast: objects that left dist/ are deleted only after every wave is healthy,
        // so a rename never leaves a gap (old object gone, new one not ready yet).
        syncPolicy: syncPolicy(props.syncPolicy, ['PruneLast=true']),
      },
    });

    new Application(new Chart(scope, 'root'), 'root', {
      metadata: { name: this.rootName, namespace: props.argocdNamespace, labels },
      spec: {
        project: props.project,
        source: source(`${props.manifestsPath}/${ARGOCD_DIRECTORY}`, APPLICATIONS_FILE),
        destination: { server: props.destinationServer, namespace: props.argocdNamespace },
        syncPolicy: syncPolicy(props.syncPolicy, []),
      },
    });
  }
}

function syncPolicy(policy: GitOpsSyncPolicy, syncOptions: string[]): ApplicationSpecSyncPolicy {
  return {
    automated: policy.automated ? { prune: policy.prune, selfHeal: policy.selfHeal } : undefined,
    syncOptions: syncOptions.length > 0 ? syncOptions : undefined,
    // The first sync of a fresh cluster can race admission webhooks or a slow API server; retry before failing.
    retry: { limit: policy.retryLimit, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
  };
}
