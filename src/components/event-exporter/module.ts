import type { EventExporterConfig } from './config';
import { urlFlow } from '../../kit/flows';
import { ComponentModule, SyncWave } from '../../kit/module';
import { EventExporter, LEADER_ELECTION_ID } from './event-exporter';
import { eventExporterRules } from './rules';

const NAME = 'kube-event-exporter';

/** The Kubernetes event exporter: Warning events to Loki, when logs.eventExporter.enabled. */
export const eventExporterModule: ComponentModule<{ readonly logs: { readonly eventExporter: EventExporterConfig } }> = {
  name: 'event-exporter',
  rules: () => [eventExporterRules()],
  rbacWrites: {
    [`Role/${NAME}-leader-election`]: {
      reason:
        'two replicas elect a leader through a Lease (and, on older client-go, a ConfigMap) in their own namespace, so exactly one ships ' +
        'each event; create makes the lock, get/update renew only the lock named after the exporter',
      rules: [
        { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['create'] },
        { apiGroup: 'coordination.k8s.io', resource: 'leases', verbs: ['update'], resourceNames: [LEADER_ELECTION_ID] },
        { apiGroup: '', resource: 'configmaps', verbs: ['create'] },
        { apiGroup: '', resource: 'configmaps', verbs: ['update'], resourceNames: [LEADER_ELECTION_ID] },
      ],
    },
  },
  build(ctx, config) {
    const settings = config.logs.eventExporter;
    if (!settings.enabled) return {};
    const ns = ctx.namespaces.monitoring;
    const links = ctx.links;
    const exporter = new EventExporter(ctx.chart(NAME, ns, SyncWave.COLLECTORS), NAME, {
      namespace: ns,
      clusterScopedPrefix: ctx.clusterScopedPrefix,
      lokiPushUrl: links.lokiPushUrl,
      lokiTenant: links.lokiTenant,
      replicas: settings.replicas,
      resources: settings.resources,
    });
    return {
      scrapeJobs: [exporter.scrapeJob],
      ruleGroups: [eventExporterRules()],
      // An agent cluster pushes to the central Loki: egress is not restricted, so it needs no flow.
      flows: links.runsBackends ? [urlFlow({ pods: { namespace: ns, app: NAME } }, links.lokiPushUrl, 'event exporter pushes Warning events')] : [],
    };
  },
};
