import { z } from 'zod';
import { dnsLabel, duration, resources, secretKeyRef, storage } from '../../config/fields';

export const jaegerConfig = z
  .strictObject({
    storage: z
      .enum(['badger', 'memory', 'opensearch', 'elasticsearch'])
      .default('badger')
      .describe(
        'Where Jaeger keeps spans: "badger" on a PersistentVolumeClaim, so traces survive a restart (the single-node default), ' +
          '"memory" for a throwaway install, or an existing "opensearch" / "elasticsearch" cluster (traces.searchStore), ' +
          'which lets Jaeger run several stateless replicas. Default: badger.',
      ),
    searchStore: z
      .strictObject({
        serverUrls: z
          .array(z.url({ error: 'expected an http(s) URL like "https://opensearch.example.com:9200"' }))
          .min(1, { error: 'expected at least one server URL' })
          .describe('Nodes of the OpenSearch or Elasticsearch cluster (server_urls). Required.'),
        indexPrefix: dnsLabel('an index prefix')
          .default('jaeger')
          .describe('Prefix of the daily span and service indices, so several environments can share one cluster. Default: jaeger.'),
        credentials: z
          .strictObject({
            secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the user name and password.'),
            usernameKey: secretKeyRef.default('username').describe('Key of the user name. Default: username.'),
            passwordKey: secretKeyRef.default('password').describe('Key of the password. Default: password.'),
          })
          .optional()
          .describe('Basic-auth credentials, read from an existing Secret into the environment. Default: none (no auth).'),
        replicas: z
          .number()
          .int()
          .min(1, { error: 'expected 1 to 10 replicas' })
          .max(10, { error: 'expected 1 to 10 replicas' })
          .default(2)
          .describe('Jaeger replicas; with a search store they are stateless. Default: 2.'),
      })
      .optional()
      .describe(
        'The OpenSearch/Elasticsearch cluster, required with storage opensearch or elasticsearch. Retention is the ' +
          "cluster's index lifecycle policy (ISM/ILM) on <indexPrefix>-jaeger-span-*, not traces.retention. Default: none.",
      ),
    retention: duration('7d')
      .default('7d')
      .describe('How long Badger keeps spans (its ttl.spans); ignored by memory storage, which keeps maxTraces instead. Default: 7d.'),
    maxTraces: z
      .number()
      .int()
      .min(1000, { error: 'expected at least 1000 traces' })
      .default(100000)
      .describe('How many traces memory storage keeps before it drops the oldest; ignored by Badger. Default: 100000.'),
    volume: storage('10Gi').describe("Badger's volume, unused with memory storage. Default: 10Gi on the default StorageClass."),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Jaeger v2, the traces backend.');

export type JaegerConfig = z.output<typeof jaegerConfig>;
