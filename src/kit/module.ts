import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Chart } from 'cdk8s';
import type { k8s } from 'cdk8s-plus-28';
import type { RuleGroupSpec } from './rule-model';
import type { ScrapeJob } from '../lib/scrape';
import type { Flow } from './flows';
import type { GrafanaDatasource } from './grafana-datasource';
import type { RbacWriteException } from './policy';

/**
 * The Argo CD sync wave of a component's chart. Argo CD applies wave by wave
 * and waits for each to be healthy before the next, so a component declares
 * the wave of what it needs before it:
 * 1. the foundation: namespaces, CRDs, PriorityClasses, ServiceAccounts, RBAC, NetworkPolicies;
 * 2. storage and backends (Prometheus, Loki, Jaeger, the shared PostgreSQL);
 * 3. collectors and agents, which need a backend to send to;
 * 4. Grafana and its dashboards, which need the backends as datasources.
 */
export enum SyncWave {
  FOUNDATION = 1,
  BACKENDS = 2,
  COLLECTORS = 3,
  GRAFANA = 4,
}

/** A cluster's part in a multi-cluster topology. */
export type ClusterRole = 'all-in-one' | 'central' | 'agent';

/**
 * Where this cluster's telemetry goes and what it is tagged with, computed once
 * from the config (src/topology/links.ts) from the components' own endpoint
 * functions. All-in-one and central clusters send to their own in-cluster
 * backends; an agent cluster sends to the central endpoints.
 */
export interface TelemetryLinks {
  readonly role: ClusterRole;
  /** Whether this cluster runs backends, rules and Grafana. */
  readonly runsBackends: boolean;
  /** Prometheus remote-write URL every metrics sender uses. */
  readonly metricsWriteUrl: string;
  readonly lokiPushUrl: string;
  /** Loki's OTLP base URL (the collector's otlp_http exporter appends /v1/logs). */
  readonly lokiOtlpUrl: string;
  /** X-Scope-OrgID of this cluster's logs; undefined for a single-tenant Loki. */
  readonly lokiTenant?: string;
  /** Loki tenants Grafana reads (central only): this cluster's own, then the agents'. */
  readonly grafanaLokiTenants: readonly string[];
  /** Jaeger's OTLP/gRPC endpoint (host:port); undefined on an agent cluster, which keeps no traces. */
  readonly jaegerOtlpEndpoint?: string;
  /** The central collector's OTLP/HTTP base URL (agent only). */
  readonly centralOtlpUrl?: string;
}

/** What every module is given: the environment's names and links, and a way to open its own chart. */
export interface BuildContext {
  readonly environment: string;
  readonly cluster: string;
  readonly namespaces: { readonly monitoring: string; readonly nodeAgents: string };
  /**
   * Prefix of cluster-scoped objects (ClusterRoles, PriorityClasses), the monitoring namespace,
   * so two environments can share a cluster without overwriting each other's.
   */
  readonly clusterScopedPrefix: string;
  /** PriorityClass of the node agents (DaemonSets), created with the namespaces. */
  readonly nodeAgentPriorityClass: string;
  readonly links: TelemetryLinks;
  /** Base URL of the runbooks every alert links to. */
  readonly runbookBaseUrl: string;
  /** How often every target is scraped (metrics.scrapeInterval), whichever backend scrapes. */
  readonly scrapeInterval: string;
  /** How often rule groups are evaluated (metrics.evaluationInterval), whichever engine evaluates. */
  readonly evaluationInterval: string;
  /** Latency above which a trace counts as slow: the services' default latency objective. */
  readonly slowTraceThresholdMs: number;
  /**
   * Opens the chart `name` (one `dist/<env>/<name>.k8s.yaml`) in `namespace`; every object in it
   * syncs in `wave`, except the foundation kinds, which always go first.
   */
  chart(name: string, namespace: string | undefined, wave: SyncWave): Chart;
}

/** What a module hands to the platform's shared consumers; every list is optional. */
export interface Contribution {
  /** Scrape jobs for the metrics backend (Prometheus or vmagent). */
  readonly scrapeJobs?: readonly ScrapeJob[];
  /** Rule groups, evaluated by the metrics backend or Grafana; an agent cluster evaluates none. */
  readonly ruleGroups?: readonly RuleGroupSpec[];
  /** Dashboards Grafana provisions; an agent cluster draws none. */
  readonly dashboards?: readonly DashboardBuilder[];
  /** Grafana datasources; each also gets its NetworkPolicy flow from Grafana. */
  readonly datasources?: readonly GrafanaDatasource[];
  /** Environment variables Grafana needs for those datasources (Secret references only). */
  readonly grafanaEnv?: readonly k8s.EnvVar[];
  /** Connections its pods open to the stack's other pods; the NetworkPolicies admit exactly these and the platform's. */
  readonly flows?: readonly Flow[];
  /** Plain files for `dist/<env>/`, by relative path. */
  readonly files?: ReadonlyMap<string, string>;
}

/**
 * A component as the Stack sees it: one folder's module. It reads the config
 * sections it owns (`C`, a structural slice of the whole config), opens its
 * own charts, and returns what it contributes. A module that is switched off
 * returns an empty contribution.
 */
export interface ComponentModule<C> {
  /** The component's folder name. */
  readonly name: string;
  /**
   * Every rule group the module can contribute for this config, whether or not it is switched on:
   * the alert names `alerting.rules` may override (an override for the GPU alerts of an environment
   * without GPUs does nothing, while a misspelt name is an error).
   */
  readonly rules?: (config: C) => RuleGroupSpec[];
  /** Reviewed writes of its Roles, keyed by `Role/<name>` (test/policy.test.ts lets only these through). */
  readonly rbacWrites?: Readonly<Record<string, RbacWriteException>>;
  build(ctx: BuildContext, config: C): Contribution;
}
