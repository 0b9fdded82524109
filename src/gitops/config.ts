import { z } from 'zod';
import { dnsLabel, secretKeyRef } from '../config/fields';

export const gitopsConfig = z
  .strictObject({
    argocdNamespace: dnsLabel('a namespace name')
      .default('argocd')
      .describe('Namespace where Argo CD runs and where the Application objects live. Default: argocd.'),
    project: dnsLabel('an Argo CD project name')
      .default('default')
      .describe('Argo CD project (AppProject) of the Applications. Default: default.'),
    destinationServer: z
      .url({ error: 'expected the https URL of a Kubernetes API server, like "https://kubernetes.default.svc"' })
      .default('https://kubernetes.default.svc')
      .describe("Kubernetes API server the environment is deployed to. Default: https://kubernetes.default.svc (Argo CD's own cluster)."),
    manifestsDirectory: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'expected a relative directory like "dist" (no leading or trailing "/")' })
      .default('dist')
      .describe(
        'Directory in the repository that holds the committed synth output (`npm run synth -- --out`); ' +
          'Argo CD reads <manifestsDirectory>/<environment>/. Default: dist.',
      ),
    syncPolicy: z
      .strictObject({
        automated: z
          .boolean()
          .default(true)
          .describe('Sync automatically whenever the revision changes; false means every sync is started by hand. Default: true.'),
        prune: z
          .boolean()
          .default(true)
          .describe('Delete objects that are no longer in dist/ (only with automated). Default: true.'),
        selfHeal: z
          .boolean()
          .default(true)
          .describe('Revert changes made in the cluster by hand (only with automated). Default: true.'),
        retryLimit: z
          .number()
          .int()
          .min(0, { error: 'expected a number of retries from 0 to 20' })
          .max(20, { error: 'expected a number of retries from 0 to 20' })
          .default(5)
          .describe('How often a failed sync is retried, with exponential backoff from 10s up to 3m. Default: 5.'),
      })
      .prefault({})
      .describe('How Argo CD keeps the environment in sync with Git.'),
    deployAnnotation: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe('Post a Grafana annotation after every successful sync, from a PostSync hook Job. Default: true.'),
        tokenSecret: z
          .strictObject({
            name: dnsLabel('the name of an existing Secret')
              .default('grafana-annotation-token')
              .describe(
                'Existing Secret (in namespaces.monitoring) with a Grafana service account token that may create ' +
                  'annotations (Editor role). Never created by the stack. Default: grafana-annotation-token.',
              ),
            key: secretKeyRef.default('token').describe('Key of the token in the Secret. Default: token.'),
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
