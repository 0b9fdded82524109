import { z } from 'zod';
import { dnsLabel, duration, resources, secretKeyRef, storage, withDefault } from '../../config/fields';
import { JAEGER_DEFAULTS } from './jaeger';

export const jaegerConfig = z
  .strictObject({
    storage: withDefault(
      z.enum(['badger', 'memory', 'opensearch', 'elasticsearch']),
      JAEGER_DEFAULTS.storage,
      'Where Jaeger keeps spans: "badger" on a PersistentVolumeClaim, so traces survive a restart (the single-node default), ' +
        '"memory" for a throwaway install, or an existing "opensearch" / "elasticsearch" cluster (traces.searchStore), ' +
        'which lets Jaeger run several stateless replicas.',
    ),
    searchStore: z
      .strictObject({
        serverUrls: z
          .array(z.url({ error: 'expected an http(s) URL like "https://opensearch.example.com:9200"' }))
          .min(1, { error: 'expected at least one server URL' })
          .describe('Nodes of the OpenSearch or Elasticsearch cluster (server_urls). Required.'),
        indexPrefix: withDefault(
          dnsLabel('an index prefix'),
          JAEGER_DEFAULTS.searchStore.indexPrefix,
          'Prefix of the daily span and service indices, so several environments can share one cluster.',
        ),
        credentials: z
          .strictObject({
            secretName: dnsLabel('the name of an existing Secret').describe('Existing Secret with the user name and password.'),
            usernameKey: withDefault(secretKeyRef, 'username', 'Key of the user name.'),
            passwordKey: withDefault(secretKeyRef, 'password', 'Key of the password.'),
          })
          .optional()
          .describe('Basic-auth credentials, read from an existing Secret into the environment. Default: none (no auth).'),
        replicas: withDefault(
          z.number().int().min(1, { error: 'expected 1 to 10 replicas' }).max(10, { error: 'expected 1 to 10 replicas' }),
          JAEGER_DEFAULTS.searchStore.replicas,
          'Jaeger replicas; with a search store they are stateless.',
        ),
      })
      .optional()
      .describe(
        'The OpenSearch/Elasticsearch cluster, required with storage opensearch or elasticsearch. Retention is the ' +
          "cluster's index lifecycle policy (ISM/ILM) on <indexPrefix>-jaeger-span-*, not traces.retention. Default: none.",
      ),
    retention: withDefault(
      duration(JAEGER_DEFAULTS.retention),
      JAEGER_DEFAULTS.retention,
      'How long Badger keeps spans (its ttl.spans); ignored by memory storage, which keeps maxTraces instead.',
    ),
    maxTraces: withDefault(
      z.number().int().min(1000, { error: 'expected at least 1000 traces' }),
      JAEGER_DEFAULTS.maxTraces,
      'How many traces memory storage keeps before it drops the oldest; ignored by Badger.',
    ),
    volume: storage(JAEGER_DEFAULTS.storageSize, "Badger's volume, unused with memory storage.", 'on the default StorageClass'),
    resources: resources.optional(),
  })
  .prefault({})
  .describe('Jaeger v2, the traces backend.');

export type JaegerConfig = z.output<typeof jaegerConfig>;
