import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGES } from '../lib/images';
import { standardLabels } from '../lib/labels';
import { checkName } from '../lib/names';
import { restrictedPodSecurity, secureContainer } from '../lib/workload';

export interface DeployAnnotationProps {
  /** Namespace of the Job: Grafana's, where the token Secret lives too. */
  readonly namespace: string;
  /** Base URL of Grafana inside the cluster, e.g. `http://grafana.monitoring.svc:3000`. */
  readonly grafanaUrl: string;
  readonly environment: string;
  /** The namespace named in the annotation's tags: where the platform runs. */
  readonly deployedNamespace: string;
  /** Deterministic identity of the sources (see sourceIdentity()). */
  readonly sourceIdentity: string;
  /** Existing Secret holding a Grafana service account token allowed to create annotations. */
  readonly tokenSecret: { readonly name: string; readonly key: string };
}

/** Every deploy annotation carries this tag; dashboards show annotations by it. */
export const DEPLOY_ANNOTATION_TAG = 'deploy';
/** The Job's fixed name: stable, and recreated at every sync through BeforeHookCreation. */
export const DEPLOY_ANNOTATION_JOB = 'deploy-annotation';
/** The curl image's own non-root user and group (`curl_user`). */
const CURL_UID = 100;
const CURL_GID = 101;

/** The tags of a deploy annotation: filterable in Grafana as `deploy`, `namespace:<ns>`, `source:<id>`. */
export function deployAnnotationTags(props: Pick<DeployAnnotationProps, 'environment' | 'deployedNamespace' | 'sourceIdentity'>): string[] {
  return [
    DEPLOY_ANNOTATION_TAG,
    `environment:${props.environment}`,
    `namespace:${props.deployedNamespace}`,
    `source:${props.sourceIdentity}`,
  ];
}

/**
 * Deploy annotations on every dashboard, GitOps-native: instead of CI posting
 * at rollout, an Argo CD PostSync hook posts to Grafana's `/api/annotations`
 * once every object of the sync is healthy, so the annotation marks the moment
 * the new version actually runs.
 *
 * - Fixed name plus `hook-delete-policy: BeforeHookCreation`: a hook with a
 *   fixed name runs only once unless deleted, so Argo CD deletes the previous
 *   Job before each sync creates it again. The finished Job stays until then,
 *   for `kubectl logs`. (generateName would run too, but leave a Job per sync
 *   and give the object an unstable name.)
 * - The token comes from an existing Secret, referenced as optional: on an
 *   empty cluster the first sync runs before anyone could create a Grafana
 *   token, so without the Secret the Job logs that it skipped and succeeds,
 *   instead of failing the sync. With it, the token reaches curl on its stdin
 *   (`--header @-`), never on a command line or in dist/.
 * - curl retries while Grafana is still starting; `activeDeadlineSeconds`
 *   bounds the whole Job, so a dead Grafana fails the hook instead of hanging the sync.
 */
export class DeployAnnotation extends Construct {
  constructor(scope: Construct, id: string, props: DeployAnnotationProps) {
    super(scope, id);
    if (!/^[0-9a-f]{7,64}$/.test(props.sourceIdentity)) {
      throw new Error(`sourceIdentity must be 7 to 64 lower-case hex digits, got "${props.sourceIdentity}"`);
    }
    // Both go into the script's log line, so they must be plain names.
    checkName('DeployAnnotation', 'namespace', props.namespace, 'label');
    checkName('DeployAnnotation', 'tokenSecret.name', props.tokenSecret.name, 'subdomain');
    checkName('DeployAnnotation', 'tokenSecret.key', props.tokenSecret.key, 'key');
    const labels = standardLabels({ name: DEPLOY_ANNOTATION_JOB, component: 'gitops', image: IMAGES.curl });
    const body = JSON.stringify({
      tags: deployAnnotationTags(props),
      text: `observability-platform ${props.environment} synced by Argo CD (source ${props.sourceIdentity})`,
    });

    // Its own account rather than the namespace's default, so nothing bound to "default" ever reaches this pod.
    new k8s.KubeServiceAccount(this, 'service-account', {
      metadata: { name: DEPLOY_ANNOTATION_JOB, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeJob(this, 'job', {
      metadata: {
        name: DEPLOY_ANNOTATION_JOB,
        namespace: props.namespace,
        labels,
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: 180,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: DEPLOY_ANNOTATION_JOB,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurity({ runAsUser: CURL_UID, runAsGroup: CURL_GID }),
            containers: [
              secureContainer({
                name: 'post-annotation',
                image: IMAGES.curl,
                runToCompletion: true,
                command: ['sh', '-c', skipWithoutToken(props), DEPLOY_ANNOTATION_JOB],
                // curl's arguments, as "$@" of the script.
                args: [
                  '--silent',
                  '--show-error',
                  '--fail-with-body',
                  '--max-time',
                  '10',
                  '--retry',
                  '6',
                  '--retry-connrefused',
                  '--retry-delay',
                  '10',
                  '--request',
                  'POST',
                  '--header',
                  'Content-Type: application/json',
                  '--data',
                  body,
                  `${props.grafanaUrl.replace(/\/+$/, '')}/api/annotations`,
                ],
                env: [
                  {
                    name: 'GRAFANA_TOKEN',
                    valueFrom: { secretKeyRef: { name: props.tokenSecret.name, key: props.tokenSecret.key, optional: true } },
                  },
                ],
                resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
              }),
            ],
          },
        },
      },
    });
  }
}

/**
 * The Job's script: without a token (its Secret is not there yet) it says so and succeeds; with one it runs curl with
 * the script's arguments and the Authorization header on stdin, so the token is in no process's command line.
 */
export function skipWithoutToken(props: Pick<DeployAnnotationProps, 'namespace' | 'tokenSecret'>): string {
  const secret = `Secret ${props.tokenSecret.name} (key ${props.tokenSecret.key}) in namespace ${props.namespace}`;
  return [
    'if [ -z "${GRAFANA_TOKEN:-}" ]; then',
    `  echo "deploy annotation skipped: no Grafana token yet (${secret} is missing or empty). Create it with a Grafana service account token (Editor role); the next sync posts the annotation."`,
    '  exit 0',
    'fi',
    `printf 'Authorization: Bearer %s\\n' "$GRAFANA_TOKEN" | curl --header @- "$@"`,
  ].join('\n');
}
