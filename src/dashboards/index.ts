import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { ServiceConfig, SloTargets } from '../catalog/config';
import { agentLoopDashboard } from './agent-loop';
import { grpcClientsDashboard } from './grpc-clients';
import { kafkaConsumersDashboard } from './kafka-consumers';
import { kubernetesDashboard } from './kubernetes';
import { runtimesDashboard } from './runtimes';
import { sagaDashboard } from './saga';
import { serviceOverviewDashboard } from './service-overview';
import { sloOverviewDashboard } from './slo-overview';

/** The AI service, whose agent loop gets its own dashboard. */
export const AGENT_SERVICE = 'ai-service';

/**
 * The platform's dashboards, generated from the service catalogue. Dashboards
 * that need a kind of service (saga, Kafka consumers, agent loop) appear only
 * when the catalogue has one.
 */
export function platformDashboards(opts: { services: readonly ServiceConfig[]; slo: SloTargets }): DashboardBuilder[] {
  const webhooks = opts.services.filter((s) => s.webhookEvents);
  const out: DashboardBuilder[] = [serviceOverviewDashboard({ webhooks, buildInfo: opts.services.filter((s) => s.buildInfo) }), sloOverviewDashboard(opts), kubernetesDashboard(), runtimesDashboard()];
  if (opts.services.some((s) => s.grpcClientTargets.length > 0)) out.push(grpcClientsDashboard());
  const saga = opts.services.filter((s) => s.saga);
  if (saga.length > 0) out.push(sagaDashboard({ namespaces: [...new Set(saga.map((s) => s.namespace))] }));
  if (opts.services.some((s) => s.kafkaConsumers.length > 0)) {
    out.push(kafkaConsumersDashboard({ services: opts.services, lagTargetMessages: opts.slo.kafkaLagMessages }));
  }
  const agent = opts.services.find((s) => s.name === AGENT_SERVICE);
  if (agent) out.push(agentLoopDashboard({ service: agent.name, namespace: agent.namespace }));
  return out;
}
