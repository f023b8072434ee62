// Security contexts that make every pod nbv creates pass the `restricted` Pod Security Standard.
import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { RUN_AS_GROUP, RUN_AS_USER } from './pod-layout.ts';

export function restrictedPodSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_GROUP,
    fsGroup: RUN_AS_GROUP,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedContainerSecurityContext(): V1SecurityContext {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}
