// NotebookValidationJob -> the validation Pod. A pure function: the same job and attempt always
// give the same Pod, so the controller can apply it idempotently and `nbv run` can interpret it.
import type {
  V1Affinity,
  V1Container,
  V1EnvVar,
  V1Pod,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type {
  GitSource,
  NotebookValidationJob,
  Volume,
  VolumeMount,
} from '../api/notebookvalidationjob.ts';
import {
  ENV_NOTEBOOK,
  ENV_PARAMETERS,
  ENV_REPORT_CONFIG,
  EXECUTE_SCRIPT,
  REPORT_ARGS,
  goldenPathInPod,
  type ReportConfig,
} from '../notebook/steps.ts';
import { parseGoDuration } from '../util/duration.ts';
import {
  ENV_GIT_CREDENTIALS_DIR,
  ENV_GIT_DEST,
  ENV_GIT_EXPECT,
  ENV_GIT_PASSWORD,
  ENV_GIT_REF,
  ENV_GIT_URL,
  ENV_GIT_USERNAME,
  GIT_CLONE_SCRIPT,
} from './git-clone.ts';
import type { StepImages } from './images.ts';
import { LABEL_ATTEMPT, LABEL_JOB, commonLabels, labelValue } from './labels.ts';
import { boundedName } from './names.ts';
import { ownerReferences } from './owner.ts';
import {
  CREDENTIALS_DIR,
  GIT_CREDENTIALS_VOLUME,
  GOLDEN_CREDENTIALS_DIR,
  GOLDEN_DIR,
  GOLDEN_GIT_CREDENTIALS_VOLUME,
  HOME_DIR,
  REPO_DIR,
  STEP_EXECUTE,
  STEP_GIT_CLONE,
  STEP_GOLDEN_GIT_CLONE,
  STEP_REPORT,
  WORKSPACE_DIR,
  WORKSPACE_VOLUME,
} from './pod-layout.ts';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from './security.ts';

export interface ValidationPodOptions {
  images: StepImages;
  /** 1 for the first run; each retry gets the next number and its own pod. */
  attempt: number;
}

/** Small, fixed resources of nbv's own steps (quota-friendly; the user's step gets theirs). */
const STEP_RESOURCES: V1ResourceRequirements = {
  requests: { cpu: '50m', memory: '64Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

export function validationPodName(jobName: string, attempt: number): string {
  return boundedName(jobName, `-validation-${attempt}`);
}

const workspaceMount = (readOnly = false): V1VolumeMount => ({
  name: WORKSPACE_VOLUME,
  mountPath: WORKSPACE_DIR,
  ...(readOnly ? { readOnly } : {}),
});

const homeEnv: V1EnvVar = { name: 'HOME', value: HOME_DIR };

/** Credentials by reference: env from secretKeyRef for https, a secret volume for ssh keys. */
function gitCredentials(secret: string | undefined, volumeName: string, dir: string) {
  if (!secret)
    return { env: [] as V1EnvVar[], mounts: [] as V1VolumeMount[], volumes: [] as V1Volume[] };
  const key = (k: string, name: string): V1EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key: k, optional: true } },
  });
  return {
    env: [
      key('username', ENV_GIT_USERNAME),
      key('password', ENV_GIT_PASSWORD),
      { name: ENV_GIT_CREDENTIALS_DIR, value: dir },
    ],
    mounts: [{ name: volumeName, mountPath: dir, readOnly: true }],
    volumes: [
      { name: volumeName, secret: { secretName: secret, defaultMode: 0o440, optional: true } },
    ],
  };
}

function cloneStep(
  name: string,
  image: string,
  git: GitSource,
  dest: string,
  expect: string,
  credentials: ReturnType<typeof gitCredentials>,
): V1Container {
  return {
    name,
    image,
    command: ['/bin/sh', '-c', GIT_CLONE_SCRIPT],
    env: [
      { name: ENV_GIT_URL, value: git.url },
      { name: ENV_GIT_REF, value: git.ref },
      { name: ENV_GIT_DEST, value: dest },
      { name: ENV_GIT_EXPECT, value: expect },
      homeEnv,
      ...credentials.env,
    ],
    volumeMounts: [workspaceMount(), ...credentials.mounts],
    resources: STEP_RESOURCES,
    securityContext: restrictedContainerSecurityContext(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** The user's volumes, converted to core/v1 (the API's subset maps one to one). */
export function toCoreVolume(volume: Volume): V1Volume {
  const out: V1Volume = { name: volume.name };
  if (volume.persistentVolumeClaim) out.persistentVolumeClaim = { ...volume.persistentVolumeClaim };
  if (volume.configMap) out.configMap = { ...volume.configMap };
  if (volume.secret) out.secret = { ...volume.secret };
  if (volume.emptyDir) out.emptyDir = { ...volume.emptyDir };
  return out;
}

export function toCoreVolumeMount(mount: VolumeMount): V1VolumeMount {
  return {
    name: mount.name,
    mountPath: mount.mountPath,
    ...(mount.subPath ? { subPath: mount.subPath } : {}),
    ...(mount.readOnly !== undefined ? { readOnly: mount.readOnly } : {}),
  };
}

function executeStep(job: NotebookValidationJob, image: string): V1Container {
  const pod = job.spec.podConfig;
  return {
    name: STEP_EXECUTE,
    image,
    command: ['/bin/sh', '-c', EXECUTE_SCRIPT],
    env: [
      // The user's variables first; nbv's own come last so that they win.
      ...(pod.env ?? []),
      { name: ENV_NOTEBOOK, value: job.spec.notebook.path },
      { name: ENV_PARAMETERS, value: JSON.stringify(job.spec.notebook.parameters ?? {}) },
      homeEnv,
    ],
    ...(pod.envFrom && pod.envFrom.length > 0 ? { envFrom: pod.envFrom } : {}),
    ...(pod.resources ? { resources: pod.resources as V1ResourceRequirements } : {}),
    volumeMounts: [workspaceMount(), ...(pod.volumeMounts ?? []).map(toCoreVolumeMount)],
    securityContext: restrictedContainerSecurityContext(),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export function reportConfig(job: NotebookValidationJob): ReportConfig {
  return {
    notebookPath: job.spec.notebook.path,
    ...(job.spec.goldenNotebook
      ? { goldenPath: goldenPathInPod(job.spec.goldenNotebook.path) }
      : {}),
    ...(job.spec.comparisonConfig ? { comparisonConfig: job.spec.comparisonConfig } : {}),
    ...(job.spec.validationConfig ? { validationConfig: job.spec.validationConfig } : {}),
  };
}

function reportStep(job: NotebookValidationJob, image: string): V1Container {
  return {
    name: STEP_REPORT,
    image,
    args: REPORT_ARGS,
    env: [{ name: ENV_REPORT_CONFIG, value: JSON.stringify(reportConfig(job)) }, homeEnv],
    volumeMounts: [workspaceMount(true)],
    resources: STEP_RESOURCES,
    securityContext: restrictedContainerSecurityContext(),
    terminationMessagePolicy: 'File',
  };
}

/** activeDeadlineSeconds from spec.timeout (whole seconds, at least 1). */
export function deadlineSeconds(timeout: string): number {
  return Math.max(1, Math.ceil((parseGoDuration(timeout) ?? 30 * 60_000) / 1000));
}

/** `job` as admit() returns it: defaulted, with podConfig.credentials merged into envFrom. */
export function buildValidationPod(
  job: NotebookValidationJob,
  options: ValidationPodOptions,
): V1Pod {
  const name = job.metadata.name ?? '';
  const pod = job.spec.podConfig;
  const golden = job.spec.goldenNotebook;
  const notebookCreds = gitCredentials(
    job.spec.notebook.git.credentialsSecret,
    GIT_CREDENTIALS_VOLUME,
    CREDENTIALS_DIR,
  );
  const goldenCreds = gitCredentials(
    golden?.git.credentialsSecret,
    GOLDEN_GIT_CREDENTIALS_VOLUME,
    GOLDEN_CREDENTIALS_DIR,
  );

  const initContainers: V1Container[] = [
    cloneStep(
      STEP_GIT_CLONE,
      options.images.git,
      job.spec.notebook.git,
      REPO_DIR,
      job.spec.notebook.path,
      notebookCreds,
    ),
    ...(golden
      ? [
          cloneStep(
            STEP_GOLDEN_GIT_CLONE,
            options.images.git,
            golden.git,
            GOLDEN_DIR,
            golden.path,
            goldenCreds,
          ),
        ]
      : []),
    executeStep(job, pod.containerImage),
  ];
  // A user who names a service account wants its token; the default account's is not needed.
  const usesDefaultAccount = pod.serviceAccountName === 'default';

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: validationPodName(name, options.attempt),
      ...(job.metadata.namespace ? { namespace: job.metadata.namespace } : {}),
      labels: {
        ...commonLabels('validation'),
        [LABEL_JOB]: labelValue(name),
        [LABEL_ATTEMPT]: String(options.attempt),
      },
      ...ownerReferences(job),
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: deadlineSeconds(job.spec.timeout),
      serviceAccountName: pod.serviceAccountName,
      ...(usesDefaultAccount ? { automountServiceAccountToken: false } : {}),
      securityContext: restrictedPodSecurityContext(),
      initContainers,
      containers: [reportStep(job, options.images.nbv)],
      volumes: [
        { name: WORKSPACE_VOLUME, emptyDir: {} },
        ...notebookCreds.volumes,
        ...goldenCreds.volumes,
        ...(pod.volumes ?? []).map(toCoreVolume),
      ],
      ...(pod.nodeSelector ? { nodeSelector: pod.nodeSelector } : {}),
      ...(pod.tolerations ? { tolerations: pod.tolerations } : {}),
      ...(pod.affinity ? { affinity: pod.affinity as V1Affinity } : {}),
    },
  };
}
