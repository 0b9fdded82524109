import { RuleGroupSpec } from '../../kit/rule-model';
import { RABBITMQ_METRICS as M } from './scrape';
import { DEFAULT_DEAD_LETTER_QUEUES } from './settings';

const QUEUE = 'namespace, vhost, queue';

/** A PromQL double-quoted string: its backslashes (the regex's `\.`) and quotes escaped. */
const promqlString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * The saga's broker: a stuck order shows up on RabbitMQ before it
 * shows up anywhere else, as dead letters piling up, a queue nobody consumes,
 * or consumers that cannot keep up.
 */
export function rabbitmqRules(opts: { deadLetterQueues?: string } = {}): RuleGroupSpec {
  const dlq = promqlString(opts.deadLetterQueues ?? DEFAULT_DEAD_LETTER_QUEUES);
  return {
    name: 'rabbitmq',
    rules: [
      {
        alert: 'RabbitMQDeadLetterQueueGrowing',
        expr: `sum by (${QUEUE}) (delta(${M.depth}{queue=~${dlq}}[15m])) > %{messages}`,
        // Messages keep arriving in the dead-letter queue for 10 more minutes: not one poisoned message but a failing step.
        for: '10m',
        severity: 'warning',
        thresholds: { messages: { value: 0, description: 'growth of the dead-letter queue over 15 minutes, in messages' } },
        summary: 'A dead-letter queue keeps growing.',
        description:
          'Dead-letter queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, {{ $labels.namespace }}) grew by {{ $value | humanize }} messages in 15 minutes, for %{for}; messages of a saga step are being rejected.',
      },
      {
        alert: 'RabbitMQQueueWithoutConsumers',
        // Dead-letter queues are read by hand, so they have no consumer by design.
        expr: `sum by (${QUEUE}) (${M.ready}{queue!~${dlq}}) > 0
  and on (${QUEUE}) sum by (${QUEUE}) (${M.consumers}) == 0`,
        // Longer than a rolling deploy of the consumer: its pods reconnect within a few minutes.
        for: '10m',
        severity: 'critical',
        summary: 'A queue has messages and no consumer.',
        description:
          'Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}, {{ $labels.namespace }}) has held {{ $value | humanize }} ready messages with no consumer for %{for}; the saga step it feeds has stopped.',
      },
      {
        alert: 'RabbitMQConsumerUtilisationLow',
        // Utilisation is the share of time the queue could hand a message to a consumer at once; it only means
        // something while messages wait. Low with a backlog: consumers are too slow or their prefetch too small.
        expr: `avg by (${QUEUE}) (${M.utilisation}) < %{ratio}
  and on (${QUEUE}) sum by (${QUEUE}) (${M.consumers}) > 0
  and on (${QUEUE}) sum by (${QUEUE}) (${M.ready}) > %{backlog}`,
        for: '15m',
        severity: 'warning',
        thresholds: {
          ratio: { value: 0.5, description: 'consumer utilisation, 0-1' },
          backlog: { value: 100, description: 'ready messages waiting in the queue' },
        },
        summary: 'Consumers of a queue cannot keep up.',
        description:
          'Consumers of {{ $labels.queue }} (vhost {{ $labels.vhost }}, {{ $labels.namespace }}) could take messages only {{ $value | humanizePercentage }} of the time for %{for} (limit %{ratio}) while more than %{backlog} waited; add consumers or raise their prefetch.',
      },
    ],
  };
}
