// Admission of any nbv object: schema (types, enums, patterns, bounds, unknown fields), then
// the rules of its kind, then defaulting. The webhook, `nbv validate`, `nbv run` and the
// controllers all call this one function.
import { isDnsSubdomain } from '../api/common.ts';
import { mergeCredentialsIntoEnvFrom } from '../api/defaults.ts';
import type {
  NotebookValidationJob,
  NotebookValidationJobSpecInput,
} from '../api/notebookvalidationjob.ts';
import type { AnyBaseModel, InferenceService, ServingRuntime } from '../api/ome.ts';
import {
  RESOURCES,
  apiVersionOf,
  findResource,
  type ResourceDefinition,
} from '../api/resources.ts';
import {
  validateBaseModel,
  validateInferenceService,
  validateServingRuntimeSpec,
} from './models.ts';
import { validateNotebookValidationJobSpec } from './notebookvalidationjob.ts';
import {
  error,
  hasErrors,
  problemsFromZod,
  type Problem,
  type UnknownFieldReason,
} from './problems.ts';
import { unimplementedFields } from './unimplemented.ts';
import { VOLUME_SOURCES, unsupportedVolumeSource } from './volumes.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface AdmissionOutcome {
  ref: ObjectRef;
  /** The resource definition when the kind is nbv's; undefined for other kinds. */
  resource?: ResourceDefinition;
  /** The parsed and defaulted object; present when there are no errors. */
  object?: unknown;
  problems: Problem[];
}

export function refOf(raw: unknown): ObjectRef {
  const obj = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const metadata = (
    typeof obj.metadata === 'object' && obj.metadata !== null ? obj.metadata : {}
  ) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    apiVersion: str(obj.apiVersion),
    kind: str(obj.kind),
    name: str(metadata.name) || str(metadata.generateName),
    ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
  };
}

const unknownField: UnknownFieldReason = (path, key) => {
  const inVolume = path.length === 4 && path[1] === 'podConfig' && path[2] === 'volumes';
  if (inVolume && !(VOLUME_SOURCES as readonly string[]).includes(key))
    return unsupportedVolumeSource(key);
  return undefined;
};

function kindRules(kind: string, object: unknown, raw: unknown): Problem[] {
  switch (kind) {
    case 'NotebookValidationJob': {
      const spec = (raw as { spec: NotebookValidationJobSpecInput }).spec;
      return [
        ...validateNotebookValidationJobSpec((object as NotebookValidationJob).spec),
        ...unimplementedFields(spec),
      ];
    }
    case 'BaseModel':
    case 'ClusterBaseModel':
      return validateBaseModel(object as AnyBaseModel);
    case 'ServingRuntime':
    case 'ClusterServingRuntime':
      return validateServingRuntimeSpec((object as ServingRuntime).spec);
    case 'InferenceService':
      return validateInferenceService(object as InferenceService);
    default:
      return [];
  }
}

function applyDefaults(kind: string, object: unknown): unknown {
  if (kind !== 'NotebookValidationJob') return object;
  const job = object as NotebookValidationJob;
  return { ...job, spec: mergeCredentialsIntoEnvFrom(job.spec) };
}

function checkMetadata(raw: Record<string, unknown>, resource: ResourceDefinition): Problem[] {
  const metadata = raw.metadata as Record<string, unknown> | undefined;
  const name = metadata?.name;
  if (typeof name !== 'string' || name === '') {
    return typeof metadata?.generateName === 'string'
      ? []
      : [error(['metadata', 'name'], 'required field is missing')];
  }
  const problems: Problem[] = [];
  if (!isDnsSubdomain(name)) {
    problems.push(
      error(
        ['metadata', 'name'],
        'must be a DNS subdomain: lowercase letters, digits, "-" and "."',
      ),
    );
  }
  if (resource.scope === 'Cluster' && metadata?.namespace !== undefined) {
    problems.push(
      error(['metadata', 'namespace'], `${resource.kind} is cluster-scoped and takes no namespace`),
    );
  }
  return problems;
}

/**
 * Whether admission applies: true for objects in an nbv API group, and for an nbv kind with no
 * group (so `apiVersion: v1` on a NotebookValidationJob is an error, not a skip); false for other
 * APIs' objects (a Secret, KServe's InferenceService) and for documents that are not Kubernetes
 * objects at all (no apiVersion and no kind, such as a kustomization).
 */
export function isNbvObject(raw: unknown): boolean {
  const { apiVersion, kind } = refOf(raw);
  if (apiVersion === '' && kind === '') return false;
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  return RESOURCES.some((r) => r.group === group || (group === '' && r.kind === kind));
}

export function admit(raw: unknown): AdmissionOutcome {
  const ref = refOf(raw);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ref,
      problems: [
        error([], 'must be a Kubernetes object (a YAML mapping with apiVersion and kind)'),
      ],
    };
  }
  if (ref.kind === '') return { ref, problems: [error(['kind'], 'required field is missing')] };
  const resource = findResource(ref.kind);
  if (!resource) return { ref, problems: [error(['kind'], `unknown kind "${ref.kind}"`)] };
  const expected = apiVersionOf(resource);
  if (ref.apiVersion !== expected) {
    return {
      ref,
      resource,
      problems: [
        error(['apiVersion'], `must be ${expected} for ${ref.kind} (got "${ref.apiVersion}")`),
      ],
    };
  }
  const parsed = resource.schema.safeParse(raw, { reportInput: true });
  const metadataProblems = checkMetadata(raw as Record<string, unknown>, resource);
  if (!parsed.success) {
    return {
      ref,
      resource,
      problems: [...metadataProblems, ...problemsFromZod(parsed.error.issues, unknownField)],
    };
  }
  const problems = [...metadataProblems, ...kindRules(ref.kind, parsed.data, raw)];
  return {
    ref,
    resource,
    problems,
    ...(hasErrors(problems) ? {} : { object: applyDefaults(ref.kind, parsed.data) }),
  };
}
