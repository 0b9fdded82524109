import { z } from 'zod';
import { dnsLabel, secretKeyRef, withDefault } from '../config/fields';

export const gitopsConfig = z
  .strictObject({
    argocdNamespace: withDefault(
      dnsLabel('a namespace name'),
      'argocd',
      'Namespace where Argo CD runs and where the Application objects live.',
    ),
    project: withDefault(dnsLabel('an Argo CD project name'), 'default', 'Argo CD project (AppProject) of the Applications.'),
    destinationServer: withDefault(
      z.url({ error: 'expected the https URL of a Kubernetes API server, like "https://kubernetes.default.svc"' }),
      'https://kubernetes.default.svc',
      'Kubernetes API server the environment is deployed to.',
      "(Argo CD's own cluster)",
    ),
    manifestsDirectory: withDefault(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'expected a relative directory like "dist" (no leading or trailing "/")' }),
      'dist',
      'Directory in the repository that holds the committed synth output (`npm run synth -- --out`); ' +
        'Argo CD reads <manifestsDirectory>/<environment>/.',
    ),
    syncPolicy: z
      .strictObject({
        automated: withDefault(
          z.boolean(),
          true,
          'Sync automatically whenever the revision changes; false means every sync is started by hand.',
        ),
        prune: withDefault(z.boolean(), true, 'Delete objects that are no longer in dist/ (only with automated).'),
        selfHeal: withDefault(z.boolean(), true, 'Revert changes made in the cluster by hand (only with automated).'),
        retryLimit: withDefault(
          z
            .number()
            .int()
            .min(0, { error: 'expected a number of retries from 0 to 20' })
            .max(20, { error: 'expected a number of retries from 0 to 20' }),
          5,
          'How often a failed sync is retried, with exponential backoff from 10s up to 3m.',
        ),
      })
      .prefault({})
      .describe('How Argo CD keeps the environment in sync with Git.'),
    deployAnnotation: z
      .strictObject({
        enabled: withDefault(z.boolean(), true, 'Post a Grafana annotation after every successful sync, from a PostSync hook Job.'),
        tokenSecret: z
          .strictObject({
            name: withDefault(
              dnsLabel('the name of an existing Secret'),
              'grafana-annotation-token',
              'Existing Secret (in namespaces.monitoring) with a Grafana service account token that may create ' +
                'annotations (Editor role). Never created by the stack.',
            ),
            key: withDefault(secretKeyRef, 'token', 'Key of the token in the Secret.'),
          })
          .prefault({})
          .describe('Where the annotation Job reads its Grafana token.'),
      })
      .prefault({})
      .describe('Deploy annotations in Grafana, so every dashboard marks each sync; posted by Argo CD instead of CI.'),
  })
  .prefault({})
  .describe('GitOps with Argo CD: the Applications that deploy dist/<environment>/, and the deploy annotation.');

export type GitopsConfig = z.output<typeof gitopsConfig>;
