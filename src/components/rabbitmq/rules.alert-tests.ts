import { AlertTests } from '../../kit/alert-tests';

const NS = 'go-ecommerce';
const q = (metric: string, queue: string, vhost = '/') => `${metric}{namespace="${NS}", job="rabbitmq", vhost="${vhost}", queue="${queue}"}`;

export const rabbitmqAlertTests: AlertTests = {
  group: 'rabbitmq',
  cases: [
    {
      name: 'RabbitMQDeadLetterQueueGrowing fires when a DLQ keeps growing for 10 minutes; a DLQ that holds old messages stays silent',
      series: [
        // Grows by 2 a minute from 5m on.
        { series: q('rabbitmq_detailed_queue_messages', 'saga.orders.dlq'), values: '6x5 8+2x40' },
        { series: q('rabbitmq_detailed_queue_messages', 'cart.commands.dlq'), values: '40x45' },
        // Not a DLQ: a growing work queue is not this alert's business.
        { series: q('rabbitmq_detailed_queue_messages', 'saga.orders'), values: '0+5x45' },
      ],
      checks: [
        { at: '12m', alert: 'RabbitMQDeadLetterQueueGrowing', firing: [] },
        {
          at: '25m',
          alert: 'RabbitMQDeadLetterQueueGrowing',
          firing: [{ severity: 'warning', namespace: NS, vhost: '/', queue: 'saga.orders.dlq' }],
        },
      ],
    },
    {
      name: "RabbitMQQueueWithoutConsumers fires for a queue with ready messages and no consumer after 10 minutes; not for a consumed queue or a DLQ, and per vhost (QA's /qa is its own)",
      series: [
        { series: q('rabbitmq_detailed_queue_messages_ready', 'cart.commands', '/qa'), values: '7x20' },
        { series: q('rabbitmq_detailed_queue_consumers', 'cart.commands', '/qa'), values: '0x20' },
        // The same queue name in production's vhost has its consumer.
        { series: q('rabbitmq_detailed_queue_messages_ready', 'cart.commands'), values: '7x20' },
        { series: q('rabbitmq_detailed_queue_consumers', 'cart.commands'), values: '1x20' },
        { series: q('rabbitmq_detailed_queue_messages_ready', 'saga.orders.dlq'), values: '6x20' },
        { series: q('rabbitmq_detailed_queue_consumers', 'saga.orders.dlq'), values: '0x20' },
      ],
      checks: [
        { at: '9m', alert: 'RabbitMQQueueWithoutConsumers', firing: [] },
        {
          at: '15m',
          alert: 'RabbitMQQueueWithoutConsumers',
          firing: [{ severity: 'critical', namespace: NS, vhost: '/qa', queue: 'cart.commands' }],
        },
      ],
    },
    {
      name: 'RabbitMQConsumerUtilisationLow fires when consumers take messages 20% of the time with a backlog, for 15 minutes; not without a backlog',
      series: [
        { series: q('rabbitmq_detailed_queue_consumer_utilisation', 'saga.orders'), values: '0.2x30' },
        { series: q('rabbitmq_detailed_queue_consumers', 'saga.orders'), values: '2x30' },
        { series: q('rabbitmq_detailed_queue_messages_ready', 'saga.orders'), values: '500x30' },
        // Idle consumers on an empty queue report low utilisation too; that is healthy.
        { series: q('rabbitmq_detailed_queue_consumer_utilisation', 'payments'), values: '0.1x30' },
        { series: q('rabbitmq_detailed_queue_consumers', 'payments'), values: '1x30' },
        { series: q('rabbitmq_detailed_queue_messages_ready', 'payments'), values: '0x30' },
      ],
      checks: [
        { at: '10m', alert: 'RabbitMQConsumerUtilisationLow', firing: [] },
        { at: '20m', alert: 'RabbitMQConsumerUtilisationLow', firing: [{ severity: 'warning', namespace: NS, vhost: '/', queue: 'saga.orders' }] },
      ],
    },
  ],
};
