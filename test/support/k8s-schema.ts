/**
 * Strict validation of synthesized Kubernetes objects against the OpenAPI
 * definitions of real Kubernetes releases (copied to test/k8s-schemas so the
 * tests do not depend on anything outside the repository).
 *
 * "Strict" means an unknown field is an error, like `kubectl apply
 * --validate=strict` / kubeconform -strict: a typo such as `spec.replica`
 * would otherwise be silently dropped by the API server.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const DEFAULT_K8S_VERSIONS: readonly string[] = ['v1.28.0', 'v1.36.0'];

const SCHEMA_DIR = path.resolve(__dirname, '..', 'k8s-schemas');
const OBJECT_META_REF = '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

type Json = Record<string, unknown>;

interface VersionSchemas {
  readonly ajv: Ajv;
  /** `$id` under which the version's definitions are registered with ajv. */
  readonly rootId: string;
  /** "apiVersion kind" -> definition name. */
  readonly gvkIndex: Map<string, string>;
  /** Compiled lazily: compiling all ~700 definitions up front costs seconds. */
  readonly validators: Map<string, ValidateFunction>;
}

const versionCache = new Map<string, VersionSchemas>();
/** "apiVersion kind" -> strictified openAPIV3Schema. */
const crdSchemas = new Map<string, Json>();

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

// Formats that appear in the Kubernetes definitions. Anything else (CRDs use
// free-form formats) is dropped by strictify(), because the API server
// ignores unknown formats too and ajv would otherwise warn on every compile.
const FORMATS: Record<string, { type: 'number' | 'string'; validate: (v: never) => boolean }> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  double: { type: 'number', validate: () => true },
  float: { type: 'number', validate: () => true },
  // Secret.data / ConfigMap.binaryData: the API server rejects anything that is
  // not padded standard base64, a classic mistake when writing plain text there.
  byte: {
    type: 'string',
    validate: (s: string) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  },
  'date-time': {
    type: 'string',
    validate: (s: string) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/.test(s),
  },
};

/**
 * Rewrites a schema in place so that unknown fields fail validation.
 *
 * Walks the schema structurally (properties/items/...) rather than every key,
 * because JSONSchemaProps has *fields* named `properties`, `format` etc.
 *
 * `close` is false below allOf/anyOf/oneOf/not: those branches hold partial
 * property lists (e.g. `oneOf: [{properties: {a}}, {properties: {b}}]`) and
 * closing them would reject every object that uses the other properties.
 */
/**
 * The API server checks `pattern` with Go's regexp, whose inline flag `(?i)` JavaScript lacks (the Prometheus
 * Operator writes `^(?i)(abort|warn)?$`): each letter outside a class becomes a class of both cases. Letters inside
 * a class stay as written, stricter than Go; no CRD pattern here has one, and a wrong refusal would show as a failure.
 */
export function goPatternToJs(pattern: string): string {
  if (!pattern.includes('(?i)')) return pattern;
  let out = '';
  let inClass = false;
  const rest = pattern.replace('(?i)', '');
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\') {
      out += c + (rest[i + 1] ?? '');
      i++;
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
    } else if (c === ']' && inClass) {
      inClass = false;
      out += c;
    } else if (!inClass && /[a-z]/i.test(c)) {
      out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    } else {
      out += c;
    }
  }
  return out;
}

function strictify(node: unknown, close = true): void {
  if (!isObject(node)) return;

  if (node['x-kubernetes-int-or-string'] === true || node.format === 'int-or-string') {
    delete node.type;
    delete node.format;
    if (!node.anyOf && !node.oneOf) node.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (typeof node.format === 'string' && !(node.format in FORMATS)) delete node.format;
  if (typeof node.pattern === 'string') node.pattern = goPatternToJs(node.pattern);
  // ajv refuses `nullable` without `type`; the API server treats it as a no-op there.
  if (node.nullable !== undefined && node.type === undefined) delete node.nullable;

  if (isObject(node.properties)) {
    const props = node.properties;
    if (node['x-kubernetes-embedded-resource'] === true) {
      props.apiVersion ??= { type: 'string' };
      props.kind ??= { type: 'string' };
      props.metadata ??= { type: 'object' };
    }
    for (const child of Object.values(props)) strictify(child);
    if (close && node.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
      node.additionalProperties = false;
    }
  }
  if (isObject(node.additionalProperties)) strictify(node.additionalProperties);
  if (isObject(node.patternProperties)) Object.values(node.patternProperties).forEach((s) => strictify(s));
  if (Array.isArray(node.items)) node.items.forEach((s) => strictify(s));
  else strictify(node.items);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = node[key];
    if (Array.isArray(branches)) branches.forEach((s) => strictify(s, false));
  }
  strictify(node.not, false);
}

function newAjv(): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    // `verbose` puts the offending value and sub-schema on each error, which
    // the messages below quote ("got ...", allowed values).
    verbose: true,
    // Validating the 1 MB definitions file against the meta-schema is slow and pointless.
    validateSchema: false,
  });
  for (const [name, def] of Object.entries(FORMATS)) ajv.addFormat(name, def as never);
  return ajv;
}

function loadVersion(version: string): VersionSchemas {
  const cached = versionCache.get(version);
  if (cached) return cached;

  const file = path.join(SCHEMA_DIR, `${version}.json`);
  if (!fs.existsSync(file)) {
    const available = fs.readdirSync(SCHEMA_DIR).map((f) => f.replace(/\.json$/, ''));
    throw new Error(`No Kubernetes schema for ${version} (${file}); available: ${available.join(', ')}`);
  }
  const definitions = (JSON.parse(fs.readFileSync(file, 'utf8')) as { definitions: Record<string, Json> })
    .definitions;

  const gvkIndex = new Map<string, string>();
  for (const [name, def] of Object.entries(definitions)) {
    strictify(def);
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    for (const { group, version: v, kind } of gvks as { group: string; version: string; kind: string }[]) {
      const apiVersion = group ? `${group}/${v}` : v;
      // DeleteOptions/WatchEvent carry one entry per API group; harmless, as
      // no two definitions claim the same group/version/kind.
      gvkIndex.set(gvkKey(apiVersion, kind), name);
    }
  }

  const ajv = newAjv();
  const rootId = `k8s-${version}`;
  ajv.addSchema({ $id: rootId, definitions }, rootId);
  const loaded: VersionSchemas = { ajv, rootId, gvkIndex, validators: new Map() };
  versionCache.set(version, loaded);
  return loaded;
}

/**
 * Registers the openAPIV3Schema of a CRD version so objects of that kind can be
 * validated. Unknown fields fail unless the schema says
 * `x-kubernetes-preserve-unknown-fields: true` at that level.
 */
export function registerCrdSchema(apiVersion: string, kind: string, openApiV3Schema: object): void {
  const schema = structuredClone(openApiV3Schema) as Json;
  const props: Json = isObject(schema.properties) ? schema.properties : {};
  // The API server validates metadata itself (with ObjectMeta), and CRD
  // schemas usually just say `metadata: {type: object}`; we do the same
  // further down, keeping any extra restrictions the CRD puts on it.
  const crdMetadata = props.metadata;
  delete props.metadata;
  schema.properties = props;
  strictify(schema);
  strictify(crdMetadata, false);
  props.apiVersion ??= { type: 'string' };
  props.kind ??= { type: 'string' };
  if (crdMetadata !== undefined) props.metadata = crdMetadata;

  const key = gvkKey(apiVersion, kind);
  crdSchemas.set(key, schema);
  for (const v of versionCache.values()) v.validators.delete(`crd:${key}`);
}

function crdValidator(v: VersionSchemas, key: string): ValidateFunction | undefined {
  const cacheKey = `crd:${key}`;
  const cached = v.validators.get(cacheKey);
  if (cached) return cached;
  const schema = crdSchemas.get(key);
  if (!schema) return undefined;

  const objectMeta = { $ref: `${v.rootId}${OBJECT_META_REF}` };
  const props = schema.properties as Json;
  const metadata = props.metadata ? { allOf: [objectMeta, props.metadata] } : objectMeta;
  const fn = v.ajv.compile({ ...schema, properties: { ...props, metadata } });
  v.validators.set(cacheKey, fn);
  return fn;
}

function builtinValidator(v: VersionSchemas, key: string): ValidateFunction | undefined {
  const definition = v.gvkIndex.get(key);
  if (!definition) return undefined;
  let fn = v.validators.get(definition);
  if (!fn) {
    fn = v.ajv.compile({ $ref: `${v.rootId}#/definitions/${definition}` });
    v.validators.set(definition, fn);
  }
  return fn;
}

/** JSON pointer (ajv instancePath) -> `$.spec.containers[0].name`. */
function jsonPath(pointer: string, extra?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  return (
    '$' +
    segments
      .map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
      .join('')
  );
}

function preview(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeBranches(branches: unknown): string | undefined {
  if (!Array.isArray(branches)) return undefined;
  const types = branches.map((b) => (isObject(b) && typeof b.type === 'string' ? b.type : undefined));
  return types.every((t) => t !== undefined) ? types.join(' or ') : undefined;
}

function describeError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${jsonPath(e.instancePath, String(p.additionalProperty))}: unknown field`;
    case 'required':
      return `${jsonPath(e.instancePath, String(p.missingProperty))}: required field is missing`;
    case 'enum':
      return `${jsonPath(e.instancePath)}: must be one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')} (got ${preview(e.data)})`;
    case 'oneOf':
    case 'anyOf': {
      const types = describeBranches(e.schema);
      const what = types ? `must be ${types}` : e.message ?? 'does not match';
      return `${jsonPath(e.instancePath)}: ${what} (got ${preview(e.data)})`;
    }
    default:
      return `${jsonPath(e.instancePath)}: ${e.message ?? e.keyword} (got ${preview(e.data)})`;
  }
}

/**
 * A failed oneOf/anyOf also reports every failed branch ("must be string",
 * "must be integer"); the combined error already says it all.
 */
function withoutBranchNoise(errors: ErrorObject[]): ErrorObject[] {
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  return errors.filter(
    (e) =>
      !combinators.some(
        (c) => c !== e && e.schemaPath.startsWith(`${c.schemaPath}/`) && e.instancePath.startsWith(c.instancePath),
      ),
  );
}

function objectLabel(obj: Json): string {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const kind = typeof obj.kind === 'string' ? obj.kind : '<no kind>';
  const name = typeof meta.name === 'string' ? meta.name : '<no name>';
  const ns = typeof meta.namespace === 'string' ? ` (namespace ${meta.namespace})` : '';
  return `${kind}/${name}${ns}`;
}

/**
 * Validates objects against every requested Kubernetes version and returns
 * human-readable errors (empty when everything is valid). The same problem in
 * several versions is reported once, listing the versions.
 */
export function validateObjects(objects: unknown[], opts: { versions?: string[] } = {}): string[] {
  const versions = opts.versions ?? [...DEFAULT_K8S_VERSIONS];
  const schemas = versions.map((v) => [v, loadVersion(v)] as const);
  const errors: string[] = [];

  objects.forEach((obj, index) => {
    if (!isObject(obj)) {
      errors.push(`object #${index}: not a mapping (got ${preview(obj)})`);
      return;
    }
    const label = objectLabel(obj);
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      errors.push(`${label} (object #${index}): apiVersion and kind must be strings`);
      return;
    }
    const key = gvkKey(obj.apiVersion, obj.kind);
    // problem -> versions it occurs in, in insertion order
    const problems = new Map<string, string[]>();
    const add = (problem: string, version: string) => {
      const list = problems.get(problem) ?? [];
      list.push(version);
      problems.set(problem, list);
    };

    for (const [version, v] of schemas) {
      const validate = builtinValidator(v, key) ?? crdValidator(v, key);
      if (!validate) {
        add(
          `unknown kind ${obj.kind} in apiVersion ${obj.apiVersion}: not in this Kubernetes version and no CRD schema registered (registerCrdSchema)`,
          version,
        );
        continue;
      }
      if (validate(obj)) continue;
      for (const e of withoutBranchNoise(validate.errors ?? [])) add(describeError(e), version);
    }
    for (const [problem, vs] of problems) errors.push(`${label} [${vs.join(', ')}] ${problem}`);
  });
  return errors;
}

/** Every document of every `*.k8s.yaml` file below `dir` (cdk8s synth output), in a stable order. */
export function loadManifestDir(dir: string): unknown[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.k8s.yaml')) files.push(full);
    }
  };
  walk(dir);

  const objects: unknown[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value: unknown = doc.toJS();
      if (value !== null && value !== undefined) objects.push(value);
    }
  }
  return objects;
}
