import type { App } from 'cdk8s';
import { BuildContext, SyncWave } from '../kit/module';
import { EnvironmentApplications } from './applications';
import type { GitopsConfig } from './config';
import { DeployAnnotation } from './deploy-annotation';

/**
 * Argo CD: the environment's Applications (in their own App, so they land in
 * dist/<env>/argocd/) and the PostSync Job that posts the deploy annotation.
 * An agent cluster has no Grafana to annotate (`grafanaUrl` undefined): the
 * central cluster's deploys are annotated there.
 */
export function gitOps(
  ctx: BuildContext,
  config: { readonly gitops: GitopsConfig; readonly repository: { readonly url: string; readonly revision: string } },
  options: { readonly argocd: App; readonly sourceIdentity: string; readonly grafanaUrl: string | undefined },
): void {
  const gitops = config.gitops;
  const monitoring = ctx.namespaces.monitoring;
  new EnvironmentApplications(options.argocd, 'argocd', {
    environment: ctx.environment,
    repoURL: config.repository.url,
    targetRevision: config.repository.revision,
    project: gitops.project,
    destinationServer: gitops.destinationServer,
    argocdNamespace: gitops.argocdNamespace,
    defaultNamespace: monitoring,
    manifestsPath: `${gitops.manifestsDirectory}/${ctx.environment}`,
    syncPolicy: gitops.syncPolicy,
  });
  if (gitops.deployAnnotation.enabled && options.grafanaUrl) {
    new DeployAnnotation(ctx.chart('deploy-annotation', monitoring, SyncWave.GRAFANA), 'deploy-annotation', {
      namespace: monitoring,
      grafanaUrl: options.grafanaUrl,
      environment: ctx.environment,
      deployedNamespace: monitoring,
      sourceIdentity: options.sourceIdentity,
      tokenSecret: gitops.deployAnnotation.tokenSecret,
    });
  }
}
