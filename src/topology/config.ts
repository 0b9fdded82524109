import { z } from 'zod';
import { dnsLabel, withDefault } from '../config/fields';

export const topologyConfig = z
  .strictObject({
    role: withDefault(
      z.enum(['all-in-one', 'agent', 'central']),
      'all-in-one',
      'What this cluster runs: "all-in-one" (collectors, backends and Grafana, the single-cluster default); "agent" (only ' +
        'collectors and exporters, shipping everything to topology.central); "central" (backends and Grafana for itself and ' +
        'its agents, with multi-tenant Loki).',
    ),
    central: z
      .strictObject({
        remoteWriteUrl: z
          .url({ error: 'expected the remote-write URL of the central metrics store' })
          .describe('Prometheus remote-write endpoint of the central cluster (its Prometheus /api/v1/write or VictoriaMetrics insert URL).'),
        lokiPushUrl: z
          .url({ error: 'expected the Loki push URL of the central cluster, ending in /loki/api/v1/push' })
          .describe("The central Loki's push URL (…/loki/api/v1/push); OTLP logs go to the same host's /otlp."),
        otlpUrl: z
          .url({ error: 'expected the OTLP/HTTP base URL of the central collector gateway' })
          .describe("The central collector gateway's OTLP/HTTP base URL (traces go to <otlpUrl>/v1/traces)."),
        tenant: dnsLabel('a Loki tenant id')
          .optional()
          .describe('Loki tenant (X-Scope-OrgID) of this cluster\'s logs. Default: the `cluster` name.'),
      })
      .optional()
      .describe('Where an agent cluster ships its telemetry. Required with role agent, refused otherwise.'),
    tenants: z
      .array(dnsLabel('a Loki tenant id'))
      .default([])
      .describe(
        "Central only: the agents' Loki tenants that Grafana reads besides this cluster's own (a multi-tenant query " +
          "X-Scope-OrgID: own|a|b). Default: none.",
      ),
    ingressNamespaces: z
      .array(dnsLabel('a namespace name'))
      .min(1, { error: 'expected at least one namespace; omit the key to admit any namespace' })
      .optional()
      .describe(
        "Central only: namespaces whose pods may reach the agents' endpoints (metrics write, Loki push, OTLP/HTTP), " +
          "normally the ingress controller's that exposes them. Default: any namespace, like Grafana's users.",
      ),
  })
  .prefault({})
  .describe('Topology: one cluster, or agent clusters shipping to a central one.');

export type TopologyConfig = z.output<typeof topologyConfig>;
