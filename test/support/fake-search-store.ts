/**
 * A loopback stand-in for an OpenSearch or Elasticsearch cluster, enough for Jaeger's storage to start, write
 * and read service names: the version ping (`GET /`, `HEAD /`), index templates (`PUT /_template/<name>` for
 * OpenSearch and Elasticsearch 7, `PUT /_index_template/<name>` for Elasticsearch 8), bulk writes kept in memory,
 * and `_search` answering a terms aggregation over the documents of the indices it names.
 *
 * It records every request, so a test can assert which templates and indices the real client used. It
 * proves the requests made and their shape, not the search engine's behaviour: anything it does not know
 * is answered 404 and listed in `unhandled`.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import * as zlib from 'zlib';

export type SearchFlavor = 'opensearch' | 'elasticsearch';

export interface RecordedRequest {
  readonly method: string;
  /** Path with its query string. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface FakeSearchStore {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Index templates by name, as sent. */
  readonly templates: Map<string, Record<string, unknown>>;
  /** Documents written through `_bulk`, by index name. */
  readonly indices: Map<string, Record<string, unknown>[]>;
  /** `METHOD url` of the requests answered 404 because the stand-in does not know them. */
  readonly unhandled: string[];
  close(): Promise<void>;
}

/** What `GET /` answers: the version and tagline the clients read to pick their index mappings. */
function info(flavor: SearchFlavor): Record<string, unknown> {
  return flavor === 'opensearch'
    ? {
        name: 'stand-in',
        cluster_name: 'stand-in',
        version: { distribution: 'opensearch', number: '2.19.1', lucene_version: '9.12.1', minimum_wire_compatibility_version: '7.10.0' },
        tagline: 'The OpenSearch Project: https://opensearch.org/',
      }
    : {
        name: 'stand-in',
        cluster_name: 'stand-in',
        version: { number: '8.17.0', build_flavor: 'default', lucene_version: '9.12.0', minimum_wire_compatibility_version: '7.17.0' },
        tagline: 'You Know, for Search',
      };
}

/** `a-*,b` from a `_search` path matched against an index name. */
function matchesAny(patterns: string[], index: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(index));
}

/** Answers the terms aggregations of a search (Jaeger's service and operation names) over the matching documents. */
function searchResult(body: Record<string, any>, docs: Record<string, unknown>[]): Record<string, unknown> {
  const aggs: Record<string, any> = body.aggregations ?? body.aggs ?? {};
  const term: Record<string, unknown> | undefined = body.query?.term;
  const selected = term
    ? docs.filter((d) => Object.entries(term).every(([field, v]) => d[field] === (typeof v === 'object' && v !== null ? (v as any).value : v)))
    : docs;
  const aggregations: Record<string, unknown> = {};
  for (const [name, agg] of Object.entries(aggs)) {
    const field: string | undefined = agg.terms?.field;
    if (!field) continue;
    const counts = new Map<string, number>();
    for (const d of selected) if (typeof d[field] === 'string') counts.set(d[field] as string, (counts.get(d[field] as string) ?? 0) + 1);
    aggregations[name] = {
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 0,
      buckets: [...counts].map(([key, doc_count]) => ({ key, doc_count })),
    };
  }
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: { total: { value: 0, relation: 'eq' }, max_score: null, hits: [] },
    ...(Object.keys(aggregations).length > 0 ? { aggregations } : {}),
  };
}

export async function startFakeSearchStore(flavor: SearchFlavor): Promise<FakeSearchStore> {
  const requests: RecordedRequest[] = [];
  const templates = new Map<string, Record<string, unknown>>();
  const indices = new Map<string, Record<string, unknown>[]>();
  const unhandled: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip' && raw.length > 0) raw = zlib.gunzipSync(raw);
      const body = raw.toString('utf8');
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      requests.push({ method, url, headers: req.headers, body });
      const pathname = new URL(url, 'http://stand-in').pathname;
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
      // The Elasticsearch 8 client refuses a server that does not name its product.
      if (flavor === 'elasticsearch') headers['x-elastic-product'] = 'Elasticsearch';
      const reply = (status: number, payload?: unknown) => {
        res.writeHead(status, headers);
        res.end(payload === undefined || method === 'HEAD' ? undefined : JSON.stringify(payload));
      };

      if (pathname === '/' && (method === 'GET' || method === 'HEAD')) return reply(200, info(flavor));
      const template = /^\/_(?:index_)?template\/([^/]+)$/.exec(pathname);
      if (template && (method === 'PUT' || method === 'POST')) {
        templates.set(decodeURIComponent(template[1]), JSON.parse(body));
        return reply(200, { acknowledged: true });
      }
      if (/^\/(?:[^/_][^/]*\/)?_bulk$/.test(pathname) && (method === 'POST' || method === 'PUT')) {
        const lines = body.split('\n').filter((l) => l.trim() !== '');
        const items: unknown[] = [];
        for (let i = 0; i < lines.length; i += 2) {
          const action = JSON.parse(lines[i]);
          const [op, meta] = Object.entries(action)[0] as [string, { _index: string; _id?: string }];
          const doc = JSON.parse(lines[i + 1] ?? '{}');
          indices.set(meta._index, [...(indices.get(meta._index) ?? []), doc]);
          items.push({ [op]: { _index: meta._index, _id: meta._id ?? String(i / 2), result: 'created', status: 201 } });
        }
        return reply(200, { took: 1, errors: false, items });
      }
      const search = /^\/([^/_][^/]*)\/_search$/.exec(pathname);
      if (search && (method === 'GET' || method === 'POST')) {
        const patterns = decodeURIComponent(search[1]).split(',');
        const docs = [...indices].filter(([name]) => matchesAny(patterns, name)).flatMap(([, d]) => d);
        return reply(200, searchResult(body ? JSON.parse(body) : {}, docs));
      }
      unhandled.push(`${method} ${url}`);
      return reply(404, { error: { type: 'stand_in_unknown_request', reason: `${method} ${url}` }, status: 404 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    templates,
    indices,
    unhandled,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
