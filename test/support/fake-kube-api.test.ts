import * as http from 'http';
import { startFakeKubeApi } from './fake-kube-api';

/** The first `count` lines a watch streams, then the watch is closed. */
function watchLines(url: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buffer = '';
    const req = http.get(url, (res) => {
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          lines.push(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
        }
        if (lines.length >= count) {
          req.destroy();
          resolve(lines.slice(0, count));
        }
      });
    });
    req.on('error', (e) => (lines.length >= count ? undefined : reject(e)));
  });
}

describe('the fake Kubernetes API', () => {
  test('GIVEN objects created by the test and by a client WHEN listed THEN each collection holds its own, across namespaces when unscoped', async () => {
    const api = await startFakeKubeApi();
    try {
      api.create('/api/v1/namespaces/a/events', { metadata: { name: 'e1', namespace: 'a' }, type: 'Warning' });
      const posted = await fetch(`${api.url}/api/v1/namespaces/b/events`, { method: 'POST', body: JSON.stringify({ metadata: { name: 'e2' } }) });
      expect(posted.status).toBe(201);
      const names = async (p: string) => (((await (await fetch(`${api.url}${p}`)).json()) as any).items as any[]).map((i) => i.metadata.name).sort();
      expect(await names('/api/v1/events')).toEqual(['e1', 'e2']);
      expect(await names('/api/v1/namespaces/a/events')).toEqual(['e1']);
      expect(await names('/api/v1/pods')).toEqual([]);
      expect(await names('/apis/events.k8s.io/v1/events')).toEqual([]);
    } finally {
      await api.close();
    }
  });

  test('GIVEN an open watch WHEN an object of its resource is created THEN it receives an ADDED event, and nothing of other resources', async () => {
    const api = await startFakeKubeApi();
    try {
      const lines = watchLines(`${api.url}/api/v1/events?watch=true`, 1);
      // Wait until the watch is registered (its request is recorded).
      while (!api.requests.some((r) => r.startsWith('GET /api/v1/events?watch=true'))) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      api.create('/api/v1/namespaces/a/pods', { metadata: { name: 'p' } });
      api.create('/api/v1/namespaces/a/events', { metadata: { name: 'e', namespace: 'a' }, reason: 'BackOff' });
      const [line] = await lines;
      expect(JSON.parse(line)).toEqual({
        type: 'ADDED',
        object: expect.objectContaining({ kind: 'Event', apiVersion: 'v1', reason: 'BackOff', metadata: expect.objectContaining({ name: 'e' }) }),
      });
    } finally {
      await api.close();
    }
  });
});
