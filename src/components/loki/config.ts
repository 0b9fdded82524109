import { z } from 'zod';
import { eventExporterConfig } from '../event-exporter/config';
import { logAgentConfig, logAgentResources } from '../log-agent/config';
import { dnsLabel, duration, positiveInt, resources, secretKeyRef, storage, withDefault } from '../../config/fields';
import { LOG_AGENT_DEFAULTS } from '../log-agent/log-agent';
import { DEFAULT_INGESTION_LIMITS, LOKI_DEFAULTS } from './loki';
import { LOKI_HA_DEFAULTS } from './loki-ha';

export const logsConfig = z
  .strictObject({
    agent: logAgentConfig,
    backend: withDefault(
      z.enum(['loki', 'loki-ha']),
      'loki',
      'The log store: "loki", one monolithic Loki on a filesystem volume (the single-node default), or "loki-ha", several ' +
        'monolithic replicas joined by memberlist with replication_factor 3 and chunks in an S3-compatible bucket ' +
        '(logs.objectStore).',
    ),
    ha: z
      .strictObject({
        replicas: withDefault(
          z
            .number()
            .int()
            .min(3, { error: 'expected at least 3 replicas (replication_factor is 3)' })
            .max(30, { error: 'expected at most 30 replicas' }),
          LOKI_HA_DEFAULTS.replicas,
          'Monolithic Loki replicas; each line is written to 3 of them.',
        ),
        objectStore: z
          .strictObject({
            bucket: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name (3-63 lower-case letters, digits, "." and "-")' })
              .describe('Bucket for chunks and the index (bucketnames). Required.'),
            endpoint: z
              .string()
              .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, { error: 'expected a host[:port] like "s3.eu-west-1.amazonaws.com" or "minio.storage:9000"' })
              .describe('S3 endpoint, host[:port] without scheme. Required.'),
            region: withDefault(z.string().min(1), 'us-east-1', 'S3 region.'),
            insecure: withDefault(z.boolean(), false, 'Plain HTTP to the endpoint (an in-cluster MinIO).'),
            forcePathStyle: withDefault(
              z.boolean(),
              true,
              'Path-style bucket URLs (s3forcepathstyle), which MinIO and most non-AWS stores need.',
            ),
            credentials: z
              .strictObject({
                secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the access keys.'),
                accessKeyIdKey: withDefault(secretKeyRef, 'access-key-id', 'Key of the access key id.'),
                secretAccessKeyKey: withDefault(secretKeyRef, 'secret-access-key', 'Key of the secret access key.'),
              })
              .describe('Access keys, read from an existing Secret into the environment and expanded by -config.expand-env. Required.'),
          })
          .optional()
          .describe('The S3-compatible object store. Required with backend loki-ha.'),
        resources: resources.optional().describe('Per replica. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('Loki HA settings, used with backend loki-ha.'),
    retention: withDefault(
      duration(LOKI_DEFAULTS.retention),
      LOKI_DEFAULTS.retention,
      'How long Loki keeps log lines (limits_config.retention_period), whole days of at least 1d.',
    ),
    storage: storage(LOKI_DEFAULTS.storageSize, "Loki's chunk and index volume (filesystem storage)."),
    ingestion: z
      .strictObject({
        rateMB: withDefault(
          positiveInt('MB/s', 1024),
          DEFAULT_INGESTION_LIMITS.rateMB,
          'Sustained ingestion rate for the whole environment (ingestion_rate_mb).',
        ),
        burstMB: withDefault(
          positiveInt('MB', 4096),
          DEFAULT_INGESTION_LIMITS.burstMB,
          'Ingestion burst above the rate (ingestion_burst_size_mb); at least rateMB.',
        ),
        perStreamRateMB: withDefault(
          positiveInt('MB/s', 1024),
          DEFAULT_INGESTION_LIMITS.perStreamRateMB,
          'Rate of one stream (per_stream_rate_limit), so one noisy pod cannot starve the others.',
        ),
        perStreamBurstMB: withDefault(
          positiveInt('MB', 4096),
          DEFAULT_INGESTION_LIMITS.perStreamBurstMB,
          'Burst of one stream (per_stream_rate_limit_burst); at least perStreamRateMB.',
        ),
        maxLineSizeKB: withDefault(
          positiveInt('KB', 16384),
          DEFAULT_INGESTION_LIMITS.maxLineSizeKB,
          'Longest accepted line (max_line_size); longer lines are truncated, not rejected.',
        ),
        maxStreams: withDefault(
          positiveInt('streams', 1000000),
          DEFAULT_INGESTION_LIMITS.maxStreams,
          'Active streams allowed (max_global_streams_per_user): a cardinality fuse.',
        ),
      })
      .prefault({})
      .describe('Ingestion limits (limits_config), so one noisy pod cannot take Loki down.'),
    postgresApps: withDefault(
      z.array(dnsLabel('an app label value')).min(1),
      [...LOG_AGENT_DEFAULTS.postgresApps],
      'Values of the `app` stream label whose logs are PostgreSQL stderr logs; their auto_explain plans are assembled ' +
        'into one JSON entry with a query_id.',
    ),
    eventExporter: eventExporterConfig,
    resources: resources.optional().describe("Loki's CPU and memory. Default: 250m/512Mi requests, 1 CPU/2Gi limits."),
    agentResources: logAgentResources,
  })
  .prefault({})
  .describe('The logs pillar: Loki, the node log agent and Kubernetes Warning events.');

export type LogsConfig = z.output<typeof logsConfig>;
