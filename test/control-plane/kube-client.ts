/**
 * A small client for the test's API server: JSON over HTTPS with the admin's client certificate (or a bearer
 * token), and the API server's warnings (`Warning` headers) returned with every answer.
 */
import * as fs from 'fs';
import * as https from 'https';

export interface KubeResponse<T = any> {
  readonly status: number;
  readonly body: T;
  /** The `Warning` headers' texts (deprecations, Pod Security warnings, unknown fields). */
  readonly warnings: string[];
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly what: string,
    readonly body: any,
  ) {
    super(`${what}: HTTP ${status}: ${typeof body === 'object' && body?.message ? body.message : JSON.stringify(body)}`);
  }
}

export interface Credentials {
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

/** `299 - "text"` → `text`. */
function warningTexts(header: string | string[] | undefined): string[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.flatMap((v) => [...v.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1')));
}

export class KubeClient {
  private readonly agent: https.Agent;

  constructor(
    readonly server: string,
    private readonly credentials: Credentials,
  ) {
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 16,
      ca: fs.readFileSync(credentials.ca),
      cert: credentials.cert ? fs.readFileSync(credentials.cert) : undefined,
      key: credentials.key ? fs.readFileSync(credentials.key) : undefined,
    });
  }

  /** Any request; resolves with every status, so callers can assert refusals. */
  request<T = any>(method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string | string[]> = {}): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
            ...(this.credentials.token ? { authorization: `Bearer ${this.credentials.token}` } : {}),
            ...headers,
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* not JSON: keep the text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings: warningTexts(res.headers.warning) });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A request that must succeed (2xx); throws a KubeError with the API server's message otherwise. */
  async must<T = any>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request<T>(method, path, body, contentType);
    if (res.status < 200 || res.status > 299) throw new KubeError(res.status, `${method} ${path}`, res.body);
    return res.body;
  }

  get<T = any>(path: string): Promise<T> {
    return this.must<T>('GET', path);
  }

  async list<T = any>(path: string): Promise<T[]> {
    return (await this.must<{ items: T[] }>('GET', path)).items;
  }

  create<T = any>(path: string, body: unknown): Promise<T> {
    return this.must<T>('POST', path, body);
  }

  /** Deletes; an object already gone is fine. */
  async delete(path: string, gracePeriodSeconds?: number): Promise<void> {
    const query = gracePeriodSeconds === undefined ? '' : `${path.includes('?') ? '&' : '?'}gracePeriodSeconds=${gracePeriodSeconds}`;
    const res = await this.request('DELETE', `${path}${query}`);
    if (res.status !== 404 && (res.status < 200 || res.status > 299)) throw new KubeError(res.status, `DELETE ${path}`, res.body);
  }

  private readonly discovered = new Map<string, Promise<Array<{ name: string; kind: string; namespaced: boolean }>>>();

  /** The URL path of an object (`/apis/apps/v1/namespaces/monitoring/statefulsets/prometheus`), by discovery. */
  async pathOf(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<string> {
    const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
    if (!this.discovered.has(base)) this.discovered.set(base, this.get(base).then((list) => list.resources));
    const resource = (await this.discovered.get(base)!).find((r) => r.kind === o.kind && !r.name.includes('/'));
    if (!resource) throw new Error(`the API server serves no ${o.kind} in ${o.apiVersion}`);
    const ns = resource.namespaced ? `/namespaces/${o.metadata.namespace ?? 'default'}` : '';
    return `${base}${ns}/${resource.name}/${o.metadata.name}`;
  }

  close(): void {
    this.agent.destroy();
  }
}
