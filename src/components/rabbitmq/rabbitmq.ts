import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { RuleGroupSpec } from '../../kit/rule-model';
import type { StackConfig } from '../../config/schema';
import { ScrapeJob } from '../../lib/scrape';
import { rabbitmqDashboard } from './dashboard';
import { rabbitmqRules } from './rules';
import { rabbitmqScrapeJob } from './scrape';

/**
 * The stack deploys no broker: it watches the ones the config declares, through
 * their own rabbitmq_prometheus endpoint, so this is a scrape job, a rule group
 * and a dashboard.
 */
export function rabbitmqParts(config: Pick<StackConfig, 'rabbitmq'>): {
  scrapeJobs: ScrapeJob[];
  ruleGroups: RuleGroupSpec[];
  dashboards: DashboardBuilder[];
} {
  const r = config.rabbitmq;
  if (!r) return { scrapeJobs: [], ruleGroups: [], dashboards: [] };
  return {
    scrapeJobs: [rabbitmqScrapeJob({ brokers: r.brokers, vhost: r.vhost })],
    ruleGroups: [rabbitmqRules({ deadLetterQueues: r.deadLetterQueues })],
    dashboards: [rabbitmqDashboard()],
  };
}
