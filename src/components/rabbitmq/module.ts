import type { RabbitmqConfig } from './config';
import { ComponentModule } from '../../kit/module';
import { rabbitmqDashboard } from './dashboard';
import { rabbitmqRules } from './rules';
import { rabbitmqScrapeJob } from './scrape';

/**
 * The stack deploys no broker: it watches the ones the config declares, through
 * their own rabbitmq_prometheus endpoint, so this is a scrape job, a rule group
 * and a dashboard.
 */
export const rabbitmqModule: ComponentModule<{ readonly rabbitmq?: RabbitmqConfig }> = {
  name: 'rabbitmq',
  rules: (config) => [rabbitmqRules({ deadLetterQueues: config.rabbitmq?.deadLetterQueues })],
  build(_ctx, config) {
    const r = config.rabbitmq;
    if (!r) return {};
    return {
      scrapeJobs: [rabbitmqScrapeJob({ brokers: r.brokers, vhost: r.vhost })],
      ruleGroups: [rabbitmqRules({ deadLetterQueues: r.deadLetterQueues })],
      dashboards: [rabbitmqDashboard()],
    };
  },
};
