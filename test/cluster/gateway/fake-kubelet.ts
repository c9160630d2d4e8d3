import {CoreV1Api, KubeConfig, V1Pod} from '@kubernetes/client-node'

/**
 * FAKE KUBELET. The test control planes have no nodes, so Pods stay
 * Pending and no Deployment ever becomes available. This loop marks the
 * Pods of chosen namespaces Running and Ready through the status
 * subresource, as a kubelet would, so that the real deployment and
 * replicaset controllers compute availability and `--wait` can be tested.
 * No container runs: live data (exec) stays unavailable.
 */
export class FakeKubelet {
  private timer?: NodeJS.Timeout
  private stopped = false
  private readonly namespaces = new Set<string>()
  private readonly core: CoreV1Api

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api)
  }

  serve(namespace: string): void {
    this.namespaces.add(namespace)
  }

  start(intervalMs = 300): void {
    const tick = async () => {
      for (const namespace of this.namespaces) await this.markReady(namespace).catch(() => {})
      // stop() may have come while a pass was in flight: schedule no other.
      if (!this.stopped) this.timer = setTimeout(tick, intervalMs)
    }
    this.timer = setTimeout(tick, 0)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private async markReady(namespace: string): Promise<void> {
    const pods = await this.core.listNamespacedPod({namespace})
    for (const pod of pods.items) {
      if (pod.status?.phase === 'Running' || pod.metadata?.deletionTimestamp) continue
      await this.core.replaceNamespacedPodStatus({name: pod.metadata!.name!, namespace, body: running(pod)})
    }
  }
}

function running(pod: V1Pod): V1Pod {
  const now = new Date()
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Running',
      podIP: '10.244.0.10',
      startTime: now,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({type, status: 'True', lastTransitionTime: now})),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: {running: {startedAt: now}},
      })),
    },
  }
}
