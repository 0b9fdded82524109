/**
 * A loopback stand-in for Loki's JSON push API (`POST /loki/api/v1/push`): records each request and answers
 * 204 as Loki does. Loki is AGPL and not built here; what a client sends is what these tests check.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface LokiPush {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

export interface LokiPushStandIn {
  readonly url: string;
  readonly pushes: LokiPush[];
  close(): Promise<void>;
}

export async function startLokiPushStandIn(): Promise<LokiPushStandIn> {
  const pushes: LokiPush[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      pushes.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body || 'null') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pushes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
