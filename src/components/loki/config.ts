import { z } from 'zod';
import { eventExporterConfig } from '../event-exporter/config';
import { logAgentConfig, logAgentResources } from '../log-agent/config';
import { dnsLabel, duration, positiveInt, resources, secretKeyRef, storage } from '../../config/fields';

export const logsConfig = z
  .strictObject({
    agent: logAgentConfig,
    backend: z
      .enum(['loki', 'loki-ha'])
      .default('loki')
      .describe(
        'The log store: "loki", one monolithic Loki on a filesystem volume (the single-node default), or "loki-ha", several ' +
          'monolithic replicas joined by memberlist with replication_factor 3 and chunks in an S3-compatible bucket ' +
          '(logs.objectStore). Default: loki.',
      ),
    ha: z
      .strictObject({
        replicas: z
          .number()
          .int()
          .min(3, { error: 'expected at least 3 replicas (replication_factor is 3)' })
          .max(30, { error: 'expected at most 30 replicas' })
          .default(3)
          .describe('Monolithic Loki replicas; each line is written to 3 of them. Default: 3.'),
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
            region: z.string().min(1).default('us-east-1').describe('S3 region. Default: us-east-1.'),
            insecure: z.boolean().default(false).describe('Plain HTTP to the endpoint (an in-cluster MinIO). Default: false.'),
            forcePathStyle: z
              .boolean()
              .default(true)
              .describe('Path-style bucket URLs (s3forcepathstyle), which MinIO and most non-AWS stores need. Default: true.'),
            credentials: z
              .strictObject({
                secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the access keys.'),
                accessKeyIdKey: secretKeyRef.default('access-key-id').describe('Key of the access key id. Default: access-key-id.'),
                secretAccessKeyKey: secretKeyRef
                  .default('secret-access-key')
                  .describe('Key of the secret access key. Default: secret-access-key.'),
              })
              .describe('Access keys, read from an existing Secret into the environment and expanded by -config.expand-env. Required.'),
          })
          .optional()
          .describe('The S3-compatible object store. Required with backend loki-ha.'),
        resources: resources.optional().describe('Per replica. Default: 500m/1Gi requests, 2 CPU/4Gi limits.'),
      })
      .prefault({})
      .describe('Loki HA settings, used with backend loki-ha.'),
    retention: duration('14d')
      .default('14d')
      .describe("How long Loki keeps log lines (limits_config.retention_period), whole days of at least 1d. Default: 14d."),
    storage: storage('20Gi').describe("Loki's chunk and index volume (filesystem storage). Default: 20Gi."),
    ingestion: z
      .strictObject({
        rateMB: positiveInt('MB/s', 1024)
          .default(8)
          .describe('Sustained ingestion rate for the whole environment (ingestion_rate_mb). Default: 8.'),
        burstMB: positiveInt('MB', 4096)
          .default(16)
          .describe('Ingestion burst above the rate (ingestion_burst_size_mb); at least rateMB. Default: 16.'),
        perStreamRateMB: positiveInt('MB/s', 1024)
          .default(3)
          .describe('Rate of one stream (per_stream_rate_limit), so one noisy pod cannot starve the others. Default: 3.'),
        perStreamBurstMB: positiveInt('MB', 4096)
          .default(15)
          .describe('Burst of one stream (per_stream_rate_limit_burst); at least perStreamRateMB. Default: 15.'),
        maxLineSizeKB: positiveInt('KB', 16384)
          .default(256)
          .describe('Longest accepted line (max_line_size); longer lines are truncated, not rejected. Default: 256.'),
        maxStreams: positiveInt('streams', 1000000)
          .default(10000)
          .describe('Active streams allowed (max_global_streams_per_user): a cardinality fuse. Default: 10000.'),
      })
      .prefault({})
      .describe('Ingestion limits (limits_config), so one noisy pod cannot take Loki down.'),
    postgresApps: z
      .array(dnsLabel('an app label value'))
      .min(1)
      .default(['postgres'])
      .describe(
        'Values of the `app` stream label whose logs are PostgreSQL stderr logs; their auto_explain plans are assembled ' +
          'into one JSON entry with a query_id. Default: ["postgres"].',
      ),
    eventExporter: eventExporterConfig,
    resources: resources.optional().describe("Loki's CPU and memory. Default: 250m/512Mi requests, 1 CPU/2Gi limits."),
    agentResources: logAgentResources,
  })
  .prefault({})
  .describe('The logs pillar: Loki, the node log agent and Kubernetes Warning events.');

export type LogsConfig = z.output<typeof logsConfig>;
