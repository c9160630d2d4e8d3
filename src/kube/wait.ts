import {SvcgwError, timeoutError} from '../errors.js'
import {Cluster} from './cluster.js'
import {type Deployment, type Pod, type ReplicaSet, selectorString} from './object.js'
import {listPods} from './pods.js'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** kubectl's rule: the controller has seen this generation and every replica is updated and available. */
export function rolloutDone(d: Deployment): boolean {
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  )
}

/** Keeps a line readable: a pull error's message runs to hundreds of characters. */
const clip = (text: string, max = 120): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** Why the pods are not there yet, in a few words, when a pod or its ReplicaSet says so. */
export function waitingReason(pods: Pod[], replicaSets: ReplicaSet[]): string | undefined {
  const refused = replicaSets.flatMap((rs) => rs.status?.conditions ?? []).find((c) => c.type === 'ReplicaFailure' && c.status === 'True')
  if (refused) return refused.message ?? refused.reason
  for (const pod of pods) {
    for (const c of pod.status?.containerStatuses ?? []) {
      const waiting = c.state?.waiting
      if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
        return `container ${c.name} of ${pod.metadata.name}: ${waiting.reason}${waiting.message ? ` (${clip(waiting.message.split('\n')[0])})` : ''}`
      }
    }
  }
  return undefined
}

/** Reasons no waiting can cure: fail at once instead of at the timeout. */
const HOPELESS = /forbidden|violates PodSecurity|ErrImageNeverPull|InvalidImageName/

/**
 * Polls until the Deployment has rolled out, reporting progress and the
 * pods' own reasons for waiting; a timeout says what was last seen.
 */
export async function waitForRollout(
  cluster: Cluster,
  namespace: string,
  name: string,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  let reason: string | undefined
  const describe = `check "kubectl --context ${cluster.context} -n ${namespace} describe deployment ${name}"`
  for (;;) {
    const d = await cluster.read<Deployment>({apiVersion: 'apps/v1', kind: 'Deployment', name, namespace})
    if (!d) throw new SvcgwError('notFound', `deployment/${name} is missing in namespace ${namespace} of context "${cluster.context}"`, 'run the install again')
    if (rolloutDone(d)) return
    const selector = d.spec?.selector?.matchLabels ? selectorString(d.spec.selector.matchLabels) : ''
    const [pods, replicaSets] = await Promise.all([
      listPods(cluster, namespace, selector),
      cluster.list<ReplicaSet>({apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, labelSelector: selector}),
    ])
    reason = waitingReason(pods, replicaSets)
    if (reason && HOPELESS.test(reason)) throw new SvcgwError('conflict', `deployment/${name} in context "${cluster.context}" cannot start: ${reason}`, describe)
    const line = `waiting for deployment/${name} in ${cluster.context}: ${d.status?.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available${reason ? ` (${reason})` : ''}`
    if (line !== last) progress(line)
    last = line
    if (Date.now() >= deadline) {
      throw timeoutError(`deployment/${name} in context "${cluster.context}" did not become available in time${reason ? ` (${reason})` : ''}`, `${describe}, or raise --timeout`)
    }
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())))
  }
}
