import { z } from 'zod';
import { dnsLabel, withDefault } from '../../config/fields';
import { DEFAULT_DEAD_LETTER_QUEUES } from './settings';

export const rabbitmqConfig = z
  .strictObject({
    vhost: withDefault(
      z.string().regex(/^\/[A-Za-z0-9._\/-]*$/, { error: 'expected a RabbitMQ virtual host starting with "/", like "/" or "/qa"' }),
      '/',
      "The environment's virtual host: only its queues are scraped and stored. Give QA its own (like \"/qa\"); synth refuses " +
        'two environments that watch the same broker and vhost.',
    ),
    brokers: z
      .array(
        z.strictObject({
          name: dnsLabel('an app label').describe('The `app` (or app.kubernetes.io/name) label of the broker pods. Required.'),
          namespace: dnsLabel('a namespace name').describe('Namespace of the broker pods. Required.'),
        }),
      )
      .min(1, { error: 'expected at least one broker' })
      .describe(
        'RabbitMQ brokers to scrape through the rabbitmq_prometheus plugin: pods declaring container port 15692 ' +
          '(the Cluster Operator and the Bitnami chart do). Required.',
      ),
    deadLetterQueues: withDefault(
      z
        .string()
        .min(1)
        .refine(
          (re) => {
            try {
              new RegExp(`^(?:${re})$`);
              return true;
            } catch {
              return false;
            }
          },
          { error: 'expected a regular expression of queue names, like ".+\\.dlq"' },
        ),
      DEFAULT_DEAD_LETTER_QUEUES,
      'Regular expression for dead-letter queue names (RabbitMQDeadLetterQueueGrowing).',
    ),
  })
  .optional()
  .describe('The RabbitMQ brokers your services use (for a saga, say): per-queue metrics, the RabbitMQ dashboard and the dead-letter alerts. Default: none.');

export type RabbitmqConfig = NonNullable<z.output<typeof rabbitmqConfig>>;
