import type { RenderedRuleGroup } from './rule-model';
import type { ScrapeJob } from '../lib/scrape';
import type { Flow } from './flows';

/** What the metrics backend is given: everything the other modules contributed, and where alerts go. */
export interface MetricsBackendInput {
  /** Every module's scrape jobs. */
  readonly scrapeJobs: readonly ScrapeJob[];
  /** The rule groups the backend evaluates (only the recording rules when Grafana evaluates the alerts). */
  readonly ruleGroups: readonly RenderedRuleGroup[];
  /** `host:port` of the Alertmanagers to notify; empty when Grafana evaluates the alerts. */
  readonly alertmanagers: readonly string[];
}

/** The metrics side as the rest of the Stack sees it. */
export interface MetricsBackend {
  /** Prometheus-compatible query URL for Grafana; undefined on an agent cluster, which has no Grafana. */
  readonly queryUrl: string | undefined;
  /** `app.kubernetes.io/name` of the pods that scrape: prometheus or vmagent. */
  readonly scraper: string;
  /** Every scrape job the scraper runs. */
  readonly scrapeJobs: readonly ScrapeJob[];
  /** Connections between the metrics components themselves. */
  readonly flows: readonly Flow[];
}
