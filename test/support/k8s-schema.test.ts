import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { goPatternToJs, loadManifestDir, registerCrdSchema, validateObjects } from './k8s-schema';

type Obj = Record<string, any>;

function deployment(mutate: (d: Obj) => void = () => {}): Obj {
  const d: Obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: 8080, name: 'http' }],
              resources: { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
  mutate(d);
  return d;
}

function service(targetPort: string | number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'monitoring' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort }] },
  };
}

describe('validateObjects', () => {
  test('GIVEN a valid Deployment WHEN validated THEN there are no errors in either version', () => {
    expect(validateObjects([deployment()])).toEqual([]);
  });

  test('GIVEN a Deployment with spec.replica (typo) WHEN validated THEN the unknown field is reported with kind, name, namespace, versions and path', () => {
    const errors = validateObjects([deployment((d) => (d.spec.replica = 3))]);
    expect(errors).toEqual([
      'Deployment/web (namespace monitoring) [v1.28.0, v1.36.0] $.spec.replica: unknown field',
    ]);
  });

  test('GIVEN a container with imagePullPolicyy WHEN validated THEN the deep unknown field is reported', () => {
    const errors = validateObjects([
      deployment((d) => (d.spec.template.spec.containers[0].imagePullPolicyy = 'Always')),
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$.spec.template.spec.containers[0].imagePullPolicyy: unknown field');
  });

  test('GIVEN a container without name WHEN validated THEN the missing required field is reported', () => {
    const errors = validateObjects([deployment((d) => delete d.spec.template.spec.containers[0].name)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$.spec.template.spec.containers[0].name: required field is missing');
  });

  test('GIVEN a field of the wrong type WHEN validated THEN the type error quotes the value', () => {
    const errors = validateObjects([deployment((d) => (d.spec.replicas = 'two'))]);
    expect(errors).toEqual([
      'Deployment/web (namespace monitoring) [v1.28.0, v1.36.0] $.spec.replicas: must be integer (got "two")',
    ]);
  });

  test('GIVEN an unknown kind WHEN validated THEN it is an error', () => {
    const errors = validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Widget\/w \[v1\.28\.0, v1\.36\.0\] unknown kind Widget in apiVersion example\.com\/v1/);
  });

  test('GIVEN a known kind under the wrong apiVersion WHEN validated THEN it is an error', () => {
    const errors = validateObjects([deployment((d) => (d.apiVersion = 'extensions/v1beta1'))]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('unknown kind Deployment in apiVersion extensions/v1beta1');
  });

  test('GIVEN Services with targetPort "http" and 8080 WHEN validated THEN both pass (IntOrString)', () => {
    expect(validateObjects([service('http'), service(8080)])).toEqual([]);
  });

  test('GIVEN a targetPort that is neither string nor integer WHEN validated THEN it fails', () => {
    const errors = validateObjects([service(80.5)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$.spec.ports[0].targetPort: must be string or integer (got 80.5)');
  });

  test('GIVEN resource quantities "500m" and 1 WHEN validated THEN both pass (Quantity)', () => {
    const d = deployment((x) => {
      x.spec.template.spec.containers[0].resources = { requests: { cpu: '500m' }, limits: { cpu: 1 } };
    });
    expect(validateObjects([d])).toEqual([]);
  });

  test('GIVEN a ConfigMap WHEN validated THEN it passes', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'a.yaml': 'x: 1' } };
    expect(validateObjects([cm])).toEqual([]);
  });

  test('GIVEN a Secret whose data is not base64 WHEN validated THEN the byte format fails', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'hunter2!' } };
    expect(validateObjects([secret])).toEqual(['Secret/s [v1.28.0, v1.36.0] $.data.password: must match format "byte" (got "hunter2!")']);
  });

  test('GIVEN a kind that only exists in a newer version WHEN validated against both THEN only the old version fails', () => {
    // ValidatingAdmissionPolicy went GA (admissionregistration.k8s.io/v1) in 1.30.
    const vap = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'p' },
      spec: { validations: [{ expression: 'true' }] },
    };
    const errors = validateObjects([vap]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^ValidatingAdmissionPolicy\/p \[v1\.28\.0\] unknown kind/);
  });

  test('GIVEN a non-object WHEN validated THEN it is reported instead of crashing', () => {
    expect(validateObjects([null])).toEqual(['object #0: not a mapping (got null)']);
  });

  test('GIVEN many objects WHEN validated THEN compiled validators are reused and it is fast', () => {
    validateObjects([deployment()]); // warm the cache
    const objects = Array.from({ length: 500 }, (_, i) => deployment((d) => (d.metadata.name = `web-${i}`)));
    const start = Date.now();
    expect(validateObjects(objects)).toEqual([]);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  test('GIVEN an unknown Kubernetes version WHEN validating THEN it throws', () => {
    expect(() => validateObjects([], { versions: ['v1.99.0'] })).toThrow(/No Kubernetes schema for v1.99.0/);
  });
});

describe('registerCrdSchema', () => {
  // A trimmed-down ArgoCD Application schema, enough to exercise the transform.
  const applicationSchema = {
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: {
        type: 'object',
        required: ['destination', 'project'],
        properties: {
          project: { type: 'string' },
          destination: { type: 'object', properties: { namespace: { type: 'string' }, server: { type: 'string' } } },
          source: {
            type: 'object',
            properties: {
              repoURL: { type: 'string' },
              targetRevision: { type: 'string' },
              helm: {
                type: 'object',
                properties: {
                  valuesObject: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
          syncPolicy: { type: 'object', properties: { retry: { type: 'object', properties: { limit: { type: 'integer', format: 'int64' } } } } },
          ignoreDifferences: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' } } } },
          extra: {
            type: 'object',
            properties: { a: { type: 'string' }, b: { type: 'string' } },
            oneOf: [{ required: ['a'] }, { required: ['b'] }],
          },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        },
      },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };

  function application(mutate: (a: Obj) => void = () => {}): Obj {
    const a: Obj = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'obs', namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'default',
        destination: { namespace: 'monitoring', server: 'https://kubernetes.default.svc' },
        source: { repoURL: 'https://example.com/repo.git', targetRevision: 'HEAD', helm: { valuesObject: { any: { thing: 1 } } } },
        syncPolicy: { retry: { limit: 5 } },
        extra: { a: 'x' },
        port: 'http',
      },
    };
    mutate(a);
    return a;
  }

  beforeAll(() => registerCrdSchema('argoproj.io/v1alpha1', 'Application', applicationSchema));

  test('GIVEN a registered CRD WHEN a valid object is validated THEN it passes, including preserve-unknown-fields subtrees', () => {
    expect(validateObjects([application()])).toEqual([]);
  });

  test('GIVEN a registered CRD WHEN an object has an unknown field THEN it fails', () => {
    const errors = validateObjects([application((a) => (a.spec.syncPolicy.automated = { prune: true }))]);
    expect(errors).toEqual([
      'Application/obs (namespace argocd) [v1.28.0, v1.36.0] $.spec.syncPolicy.automated: unknown field',
    ]);
  });

  test('GIVEN a registered CRD WHEN metadata has a typo THEN ObjectMeta validation catches it', () => {
    const errors = validateObjects([application((a) => (a.metadata.label = { x: 'y' }))]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$.metadata.label: unknown field');
  });

  test('GIVEN a CRD with oneOf branches listing partial properties WHEN validated THEN the branches are not closed', () => {
    expect(validateObjects([application((a) => (a.spec.extra = { b: 'y' }))])).toEqual([]);
    expect(validateObjects([application((a) => (a.spec.extra = { a: 'x', b: 'y' }))])).toHaveLength(1);
  });

  test('GIVEN a registered CRD WHEN a required field is missing THEN it fails', () => {
    const errors = validateObjects([application((a) => delete a.spec.project)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('$.spec.project: required field is missing');
  });
});

describe('loadManifestDir', () => {
  test('GIVEN nested *.k8s.yaml files with empty documents WHEN loaded THEN every non-empty document is returned and other files ignored', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-schema-'));
    try {
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'a.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\n');
      fs.writeFileSync(
        path.join(dir, 'sub', 'b.k8s.yaml'),
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n',
      );
      fs.writeFileSync(path.join(dir, 'ignored.yaml'), 'apiVersion: v1\nkind: Bogus\n');
      const objects = loadManifestDir(dir) as Obj[];
      expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'Namespace/b', 'ConfigMap/c']);
      expect(validateObjects(objects)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('goPatternToJs', () => {
  test("GIVEN Go's case-insensitive flag (the Prometheus Operator's ^(?i)(abort|warn)?$) THEN any case matches and nothing else", () => {
    const re = new RegExp(goPatternToJs('^(?i)(abort|warn)?$'), 'u');
    expect(['', 'abort', 'Abort', 'WARN'].filter((s) => !re.test(s))).toEqual([]);
    expect(['aborted', 'warning', 'fail'].filter((s) => re.test(s))).toEqual([]);
  });

  test('GIVEN a pattern without flags THEN it is unchanged; under (?i), escapes and classes are copied as written', () => {
    expect(goPatternToJs('^[a-z]+\\d$')).toBe('^[a-z]+\\d$');
    expect(goPatternToJs('(?i)x[a-c]\\d')).toBe('[xX][a-c]\\d');
  });
});
