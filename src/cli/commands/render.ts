import { readManifestFile } from '../../api/manifest-file.ts';
import type { NotebookValidationJob } from '../../api/notebookvalidationjob.ts';
import type { AnyBaseModel, AnyServingRuntime, InferenceService } from '../../api/ome.ts';
import { imagesFromEnv } from '../../builders/images.ts';
import { buildServingObjects } from '../../builders/inference-service.ts';
import { DEFAULT_METADATA_JOB_SETTINGS, buildMetadataJob } from '../../builders/metadata-job.ts';
import { buildValidationPod } from '../../builders/validation-pod.ts';
import { selectRuntime } from '../../controllers/inferenceservice/runtime-selection.ts';
import { UserError } from '../../errors.ts';
import { isPvcUri } from '../../storage/pvc-uri.ts';
import { admit, isNbvObject } from '../../validation/admission.ts';
import { formatProblem } from '../../validation/problems.ts';
import { resolveModelClaim } from '../../validation/models.ts';
import { toYaml } from '../../util/yaml.ts';
import { parseCommandLine } from '../args.ts';
import { writeLine, type CliIo } from '../io.ts';

type Rendered = { comment: string; objects: object[] };

const USAGE = 'Usage: nbv render FILE [--namespace NS]';

/**
 * `nbv render FILE`: the objects the operator would create for each nbv object in FILE, as YAML.
 * An InferenceService is rendered with the model and runtimes found in the same file.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const { positionals, values } = parseCommandLine(
    argv,
    { namespace: { type: 'string', short: 'n', default: 'default' } },
    USAGE,
    true,
  );
  if (values.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UserError(USAGE);
  const stream = await readManifestFile(file);
  if (stream.syntaxErrors.length > 0)
    throw new UserError(`${file}:${stream.syntaxErrors[0]} (malformed YAML)`);

  const admitted = stream.documents
    .filter((d) => isNbvObject(d.object))
    .map((d) => admit(d.object));
  const invalid = admitted.filter((a) => !a.object);
  for (const a of invalid) {
    for (const p of a.problems.filter((x) => x.severity === 'error')) {
      writeLine(io.stderr, `${file}: ${a.ref.kind}/${a.ref.name}: ${formatProblem(p)}`);
    }
  }
  if (invalid.length > 0) return 1;

  const withNamespace = <T extends { metadata: { namespace?: string } }>(
    o: T,
    scoped: boolean,
  ): T =>
    scoped && !o.metadata.namespace
      ? { ...o, metadata: { ...o.metadata, namespace: values.namespace } }
      : o;
  type Admitted = { kind: string; metadata: { name?: string; namespace?: string } };
  const objects = admitted.map((a) =>
    withNamespace(a.object as Admitted, a.resource?.scope === 'Namespaced'),
  );
  const ofKind = <T>(...kinds: string[]) =>
    objects.filter((o) => kinds.includes(o.kind)) as unknown as T[];
  const models = ofKind<AnyBaseModel>('BaseModel', 'ClusterBaseModel');
  const runtimes = ofKind<AnyServingRuntime>('ServingRuntime', 'ClusterServingRuntime');
  const images = imagesFromEnv(io.env);

  const render = (object: { kind: string }): Rendered | undefined => {
    switch (object.kind) {
      case 'NotebookValidationJob': {
        const job = object as unknown as NotebookValidationJob;
        return {
          comment: `NotebookValidationJob/${job.metadata.name}: validation pod, attempt 1`,
          objects: [buildValidationPod(job, { images, attempt: 1 })],
        };
      }
      case 'BaseModel':
      case 'ClusterBaseModel': {
        const model = object as unknown as AnyBaseModel;
        if (!isPvcUri(model.spec.storage.storageUri))
          return {
            comment: `${model.kind}/${model.metadata.name}: not a pvc:// model; nothing to create`,
            objects: [],
          };
        const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
        if (!resolved.ok) return undefined;
        const ns = resolved.claim.namespace ?? model.metadata.namespace ?? values.namespace;
        const job = buildMetadataJob(model, resolved.claim, ns, {
          images,
          ...DEFAULT_METADATA_JOB_SETTINGS,
        });
        return { comment: `${model.kind}/${model.metadata.name}: metadata Job`, objects: [job] };
      }
      case 'InferenceService': {
        const isvc = object as unknown as InferenceService;
        const label = `InferenceService/${isvc.metadata.name}`;
        const model = models.find(
          (m) =>
            m.metadata.name === isvc.spec.model.name &&
            m.kind === (isvc.spec.model.kind ?? 'BaseModel'),
        );
        if (!model)
          return {
            comment: `${label}: model ${isvc.spec.model.name} is not in ${file}; nothing rendered`,
            objects: [],
          };
        const resolved = resolveModelClaim(model.kind, model.spec.storage.storageUri);
        if (!resolved.ok) return { comment: `${label}: ${resolved.error}`, objects: [] };
        const choice = selectRuntime(model, runtimes, isvc.spec.runtime?.name);
        if (!choice.ok) return { comment: `${label}: ${choice.message}`, objects: [] };
        const { deployment, service } = buildServingObjects(isvc, choice.runtime, resolved.claim);
        return { comment: `${label}: ${choice.message}`, objects: [deployment, service] };
      }
      default:
        return { comment: `${object.kind}: used by other objects; nothing to create`, objects: [] };
    }
  };

  for (const object of objects) {
    const rendered = render(object);
    if (!rendered) continue;
    io.stdout.write(`# ${rendered.comment}\n`);
    for (const child of rendered.objects) io.stdout.write(`---\n${toYaml(child)}`);
  }
  return 0;
}
