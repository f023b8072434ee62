// Container statuses as the kubelet reports them, for the unit tests of pod readings.
import type { V1ContainerState, V1ContainerStatus } from '@kubernetes/client-node';

export function containerStatus(
  name: string,
  image: string,
  state: V1ContainerState,
): V1ContainerStatus {
  return { name, image, imageID: '', ready: false, restartCount: 0, state };
}
