// BaseModel / ClusterBaseModel -> the metadata Job: `nbv model inspect /model` on the model's
// claim, mounted read-only with the URI's sub-path; the result is the container's JSON
// termination message.
import type { V1Job } from '@kubernetes/client-node';
import type { AnyBaseModel } from '../api/ome.ts';
import type { PvcStorageUri } from '../storage/pvc-uri.ts';
import type { StepImages } from './images.ts';
import { LABEL_MODEL, LABEL_MODEL_KIND, commonLabels, labelValue } from './labels.ts';
import { boundedName, shortHash } from './names.ts';
import { ownerReferences } from './owner.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security.ts';

export const MODEL_MOUNT_PATH = '/model';
export const METADATA_CONTAINER = 'inspect';
/** `nbv model inspect` exits with this when the directory holds no model (src/cli/commands/model.ts). */
export const INSPECT_EXIT_NOT_A_MODEL = 1;

export interface MetadataJobSettings {
  images: StepImages;
  backoffLimit: number;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
}

export const DEFAULT_METADATA_JOB_SETTINGS: Omit<MetadataJobSettings, 'images'> = {
  backoffLimit: 2,
  activeDeadlineSeconds: 600,
  ttlSecondsAfterFinished: 3600,
};

/** Identifies what was (or is to be) inspected: the claim and sub-path. */
export function storageFingerprint(claim: PvcStorageUri, namespace: string): string {
  return shortHash(`${namespace}/${claim.claimName}/${claim.subPath}`, 10);
}

export function metadataJobName(modelName: string, fingerprint: string): string {
  return boundedName(`metadata-${modelName}`, `-${fingerprint}`);
}

export function buildMetadataJob(
  model: AnyBaseModel,
  claim: PvcStorageUri,
  claimNamespace: string,
  settings: MetadataJobSettings,
): V1Job {
  const modelName = model.metadata.name ?? '';
  const fingerprint = storageFingerprint(claim, claimNamespace);
  const labels = {
    ...commonLabels('model-metadata'),
    [LABEL_MODEL]: labelValue(modelName),
    [LABEL_MODEL_KIND]: model.kind,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: metadataJobName(modelName, fingerprint),
      namespace: claimNamespace,
      labels,
      annotations: { 'ome.io/storage-fingerprint': fingerprint },
      ...ownerReferences(model),
    },
    spec: {
      backoffLimit: settings.backoffLimit,
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      // Exit 1 is "not a model": the files will not change by trying again, so the Job fails at
      // once instead of after backoffLimit retries. Other failures (OOM, node loss) still retry.
      podFailurePolicy: {
        rules: [
          {
            action: 'FailJob',
            onExitCodes: {
              containerName: METADATA_CONTAINER,
              operator: 'In',
              values: [INSPECT_EXIT_NOT_A_MODEL],
            },
          },
        ],
      },
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: restrictedPodSecurityContext(),
          containers: [
            {
              name: METADATA_CONTAINER,
              image: settings.images.nbv,
              args: [
                'model',
                'inspect',
                MODEL_MOUNT_PATH,
                '--termination-message',
                '/dev/termination-log',
              ],
              volumeMounts: [
                {
                  name: 'model',
                  mountPath: MODEL_MOUNT_PATH,
                  subPath: claim.subPath,
                  readOnly: true,
                },
              ],
              resources: {
                requests: { cpu: '50m', memory: '64Mi' },
                limits: { cpu: '500m', memory: '512Mi' },
              },
              securityContext: {
                ...restrictedContainerSecurityContext(),
                readOnlyRootFilesystem: true,
              },
              terminationMessagePolicy: 'File',
            },
          ],
          volumes: [
            {
              name: 'model',
              persistentVolumeClaim: { claimName: claim.claimName, readOnly: true },
            },
          ],
        },
      },
    },
  };
}
