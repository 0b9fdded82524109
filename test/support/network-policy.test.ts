import { NetworkPolicy, Pod, PolicyEvaluator } from './network-policy';

/** The evaluator's semantics, on small cases from the Kubernetes NetworkPolicy documentation. */
const web: Pod = { namespace: 'shop', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] };
const db: Pod = { namespace: 'shop', labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }] };
const other: Pod = { namespace: 'elsewhere', labels: { app: 'web' } };

function policy(spec: NetworkPolicy['spec'], namespace = 'shop'): NetworkPolicy {
  return { metadata: { name: 'p', namespace }, spec };
}

describe('PolicyEvaluator', () => {
  test('GIVEN no policy THEN everything is admitted', () => {
    expect(new PolicyEvaluator([]).allowed(other, db, 5432)).toBe(true);
  });

  test('GIVEN a default deny THEN nothing is admitted, in that namespace only', () => {
    const e = new PolicyEvaluator([policy({ podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(e.allowed(web, db, 5432)).toBe(false);
    expect(e.allowed(web, { ...db, namespace: 'elsewhere' }, 5432)).toBe(true);
  });

  test('GIVEN a podSelector peer THEN only pods of the same namespace match', () => {
    const e = new PolicyEvaluator([
      policy({ podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] }),
    ]);
    expect(e.allowed(web, db, 5432)).toBe(true);
    expect(e.allowed(other, db, 5432)).toBe(false);
    expect(e.allowed(web, db, 5433)).toBe(false);
  });

  test('GIVEN namespaceSelector and podSelector in one peer THEN both must match', () => {
    const e = new PolicyEvaluator([
      policy({
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'elsewhere' } }, podSelector: { matchLabels: { app: 'api' } } }] }],
      }),
    ]);
    expect(e.allowed(other, db, 5432)).toBe(false);
    expect(e.allowed({ ...other, labels: { app: 'api' } }, db, 5432)).toBe(true);
  });

  test('GIVEN a named port THEN it is resolved against the destination, and the protocol must match', () => {
    const e = new PolicyEvaluator([policy({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'pg' }] }] })]);
    expect(e.allowed(other, db, 5432)).toBe(true);
    expect(e.allowed(other, db, 5432, 'UDP')).toBe(false);
    expect(e.allowed(other, web, 8080)).toBe(false);
  });

  test('GIVEN an egress policy THEN the source side is checked too', () => {
    const e = new PolicyEvaluator([policy({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [] })]);
    expect(e.allowed(web, db, 5432)).toBe(false);
    expect(e.allowed(db, web, 8080)).toBe(true);
  });

  test('fails if a named port does not exist on the destination', () => {
    expect(() => new PolicyEvaluator([]).allowed(web, db, 'http')).toThrow(/no container port named "http"/);
  });
});
