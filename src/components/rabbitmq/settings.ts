/** What makes a queue a dead-letter queue, unless the config says otherwise: a `.dlq` or `.dead-letter` suffix. */
export const DEFAULT_DEAD_LETTER_QUEUES = '.+\\.(dlq|dead-letter)';
