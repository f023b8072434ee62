// KWOK plays the kubelet for the fake node. These Stages (kwok.x-k8s.io/v1alpha1) decide what
// happens to a pod bound to it, with no delays:
//
//   bound, no podIP yet        -> nbv-pod-start: IPs, conditions; without init containers the
//                                 pod is Running with every container running; with init
//                                 containers it is Pending with the first one running, as on a
//                                 real node while it initializes.
//   annotation COMPLETE set    -> nbv-pod-complete: every container terminates with the exit code,
//                                 reason and termination message the annotation gives it (exit 0
//                                 when not named). Init containers run in order: after the first
//                                 failing one the rest and the main containers never start. Phase
//                                 Succeeded when all exit 0, else Failed (restartPolicy Never).
//   spec.activeDeadlineSeconds -> nbv-pod-deadline: at startTime + activeDeadlineSeconds, unless
//   passed, not completed         completed first, the pod fails with reason DeadlineExceeded and
//                                 its running containers end with exit code 137, as the kubelet
//                                 does it.
//   deletionTimestamp set      -> nbv-pod-delete: the pod is removed once no finalizer holds it,
//                                 which is what garbage collection and namespace deletion wait for.
//
// The templates are Go text/template with sprig and kwok's helpers, evaluated against the pod.
import { toYaml } from '../../util/yaml.ts';

export const KWOK_NODE_NAME = 'kwok-node-0';
/** Annotation on the Node objects kwok manages (its --manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Annotation a test sets on a pod to finish it; the value is JSON, see completeAnnotation(). */
export const COMPLETE_ANNOTATION = 'kwok.nbv.dev/complete';

export interface ContainerResult {
  exitCode: number;
  /** The termination message (what a container writes to /dev/termination-log). */
  message?: string;
  /** The terminated state's reason; default Completed for exit 0, Error otherwise. */
  reason?: string;
}

/** The annotation value that finishes a pod: results by container name (init containers too). */
export function completeAnnotation(results: Record<string, ContainerResult>): string {
  return JSON.stringify(results);
}

const notDeleted = { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' };

const addresses = `
{{ with NodeIPsWith .spec.nodeName }}
hostIP: {{ index . 0 | Quote }}
hostIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}
{{ with PodIPsWith .spec.nodeName (or .spec.hostNetwork false) (or .metadata.uid "") (or .metadata.name "") (or .metadata.namespace "") }}
podIP: {{ index . 0 | Quote }}
podIPs:
{{ range . }}
- ip: {{ . | Quote }}
{{ end }}
{{ end }}`;

/** A pod condition set at $now; `status` is template text that gives "True" or "False". */
function condition(type: string, status: string, reason?: string): string {
  return `- type: ${type}
  status: ${status}${reason ? `\n  reason: ${reason}` : ''}
  lastTransitionTime: {{ $now | Quote }}`;
}

/** The fields a container status always has; `c` is the container's variable, '' for `.`. */
function containerHead(c: string, ready: string, started: string): string {
  return `- name: {{ ${c}.name | Quote }}
  image: {{ ${c}.image | Quote }}
  imageID: ""
  ready: ${ready}
  restartCount: 0
  started: ${started}`;
}

const ifRunning = '{{ if $running }}"True"{{ else }}"False"{{ end }}';

const podStart = `
{{ $now := Now }}
{{ $init := .spec.initContainers }}
{{ $running := not $init }}
phase: {{ if $init }}Pending{{ else }}Running{{ end }}
startTime: {{ $now | Quote }}
conditions:
${condition('PodReadyToStartContainers', '"True"')}
${condition('Initialized', ifRunning)}
${condition('ContainersReady', ifRunning)}
${condition('Ready', ifRunning)}
{{ with $init }}
initContainerStatuses:
{{ range $i, $c := . }}
${containerHead('$c', 'false', '{{ eq $i 0 }}')}
  state:
{{ if eq $i 0 }}
    running:
      startedAt: {{ $now | Quote }}
{{ else }}
    waiting:
      reason: PodInitializing
{{ end }}
{{ end }}
{{ end }}
containerStatuses:
{{ range .spec.containers }}
${containerHead('', '{{ $running }}', '{{ $running }}')}
  state:
{{ if $running }}
    running:
      startedAt: {{ $now | Quote }}
{{ else }}
    waiting:
      reason: PodInitializing
{{ end }}
{{ end }}
${addresses}`;

// One container's status; expects $c (the container), $want (the parsed annotation), $now,
// and $blocked (an earlier init container failed, so this one never started).
const containerStatus = `
{{ $r := default dict (index $want $c.name) }}
${containerHead('$c', 'false', 'false')}
  state:
{{ if $blocked }}
    waiting:
      reason: PodInitializing
{{ else }}
{{ $code := int (default 0 $r.exitCode) }}
{{ if ne $code 0 }}{{ $failed = true }}{{ end }}
    terminated:
      exitCode: {{ $code }}
      reason: {{ default (ternary "Completed" "Error" (eq $code 0)) $r.reason | Quote }}
{{ with $r.message }}
      message: {{ . | Quote }}
{{ end }}
      startedAt: {{ $now | Quote }}
      finishedAt: {{ $now | Quote }}
{{ end }}`;

const podComplete = `
{{ $now := Now }}
{{ $want := fromJson (index .metadata.annotations "${COMPLETE_ANNOTATION}") }}
{{ $failed := false }}
{{ $blocked := false }}
{{ with .spec.initContainers }}
initContainerStatuses:
{{ range $c := . }}
${containerStatus}
{{ $blocked = $failed }}
{{ end }}
{{ end }}
{{ $initFailed := $blocked }}
containerStatuses:
{{ range $c := .spec.containers }}
${containerStatus}
{{ end }}
phase: {{ if $failed }}Failed{{ else }}Succeeded{{ end }}
conditions:
${condition('PodReadyToStartContainers', '"False"')}
${condition('Initialized', '{{ if $initFailed }}"False"{{ else }}"True"{{ end }}')}
${condition('ContainersReady', '"False"', 'PodCompleted')}
${condition('Ready', '"False"', 'PodCompleted')}`;

const resources = '{ cpu: "32", memory: 256Gi, ephemeral-storage: 1Ti, pods: "110" }';

// A container status as the kubelet leaves it when it kills the pod; `.` is the old status.
const killedStatus = `
${containerHead('', 'false', 'false')}
{{ if .state.running }}
  state:
    terminated:
      exitCode: 137
      reason: Error
      startedAt: {{ .state.running.startedAt | Quote }}
      finishedAt: {{ $now | Quote }}
{{ else }}
  state: {{ toJson .state }}
{{ end }}`;

const podDeadline = `
{{ $now := Now }}
phase: Failed
reason: DeadlineExceeded
message: Pod was active on the node longer than the specified deadline
conditions:
${condition('ContainersReady', '"False"', 'PodFailed')}
${condition('Ready', '"False"', 'PodFailed')}
{{ with .status.initContainerStatuses }}
initContainerStatuses:
{{ range . }}
${killedStatus}
{{ end }}
{{ end }}
containerStatuses:
{{ range .status.containerStatuses }}
${killedStatus}
{{ end }}`;

const nodeReady = `
{{ $now := Now }}
phase: Running
conditions:
{{ range NodeConditions }}
- type: {{ .type | Quote }}
  status: {{ .status | Quote }}
  reason: {{ .reason | Quote }}
  message: {{ .message | Quote }}
  lastHeartbeatTime: {{ $now | Quote }}
  lastTransitionTime: {{ $now | Quote }}
{{ end }}
addresses:
{{ with NodeIP }}
- type: InternalIP
  address: {{ . | Quote }}
{{ end }}
- type: Hostname
  address: {{ .metadata.name | Quote }}
capacity: ${resources}
allocatable: ${resources}
nodeInfo:
  architecture: amd64
  operatingSystem: linux
  kubeletVersion: {{ printf "kwok-%s" Version | Quote }}
  kubeProxyVersion: ""
  containerRuntimeVersion: kwok
  kernelVersion: ""
  osImage: ""
  bootID: ""
  machineID: ""
  systemUUID: ""`;

function stage(
  name: string,
  kind: 'Pod' | 'Node',
  selector: object[],
  next: object,
  delay?: object,
): object {
  const resourceRef = { apiGroup: 'v1', kind };
  return {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name },
    spec: {
      resourceRef,
      selector: { matchExpressions: selector },
      next,
      ...(delay ? { delay } : {}),
    },
  };
}

const completeRequested = `.metadata.annotations["${COMPLETE_ANNOTATION}"]`;
const started = [
  notDeleted,
  { key: '.status.podIP', operator: 'Exists' },
  { key: '.status.phase', operator: 'In', values: ['Pending', 'Running'] },
];

function kwokStages(): object[] {
  return [
    stage(
      'nbv-node-ready',
      'Node',
      [
        {
          key: '.status.conditions.[] | select(.type == "Ready") | .status',
          operator: 'NotIn',
          values: ['True'],
        },
      ],
      { statusTemplate: nodeReady },
    ),
    stage(
      'nbv-pod-start',
      'Pod',
      [notDeleted, { key: '.status.podIP', operator: 'DoesNotExist' }],
      {
        event: { type: 'Normal', reason: 'Started', message: 'Started by kwok' },
        statusTemplate: podStart,
      },
    ),
    stage('nbv-pod-complete', 'Pod', [...started, { key: completeRequested, operator: 'Exists' }], {
      statusTemplate: podComplete,
    }),
    stage(
      'nbv-pod-deadline',
      'Pod',
      [
        ...started,
        { key: completeRequested, operator: 'DoesNotExist' },
        { key: '.spec.activeDeadlineSeconds', operator: 'Exists' },
      ],
      { statusTemplate: podDeadline },
      // An absolute time, so that the deadline does not move when the pod changes meanwhile.
      {
        durationFrom: {
          jq: {
            expression:
              '(.status.startTime | fromdateiso8601) + .spec.activeDeadlineSeconds | todateiso8601',
          },
        },
      },
    ),
    stage(
      'nbv-pod-delete',
      'Pod',
      [
        { key: '.metadata.deletionTimestamp', operator: 'Exists' },
        { key: '.metadata.finalizers', operator: 'DoesNotExist' },
      ],
      { delete: true },
    ),
  ];
}

/** kwok's --config file: the stages as a multi-document YAML stream. */
export function kwokConfig(): string {
  return kwokStages().map(toYaml).join('---\n');
}
