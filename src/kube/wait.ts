import {V1Deployment} from '@kubernetes/client-node'

import {timeoutError} from '../errors.js'
import {Reporter} from '../ui/reporter.js'
import {Cluster} from './cluster.js'

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** kubectl's rule: the controller has seen this generation and every replica is updated and available. */
export function rolloutDone(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1
  const s = d.status ?? {}
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  )
}

/** Polls until the Deployment has rolled out, reporting progress; a timeout names what to look at. */
export async function waitForRollout(cluster: Cluster, namespace: string, name: string, timeoutMs: number, reporter: Reporter): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    const d = await cluster.call(`reading deployment/${name}`, () => cluster.apps.readNamespacedDeployment({name, namespace}))
    if (rolloutDone(d)) return
    const s = d.status ?? {}
    const line = `waiting for deployment/${name} in ${cluster.context}: ${s.availableReplicas ?? 0}/${d.spec?.replicas ?? 1} available`
    if (line !== last) reporter.step(line)
    last = line
    if (Date.now() >= deadline) {
      throw timeoutError(
        `deployment/${name} in context "${cluster.context}" did not become available in time`,
        `check "kubectl --context ${cluster.context} -n ${namespace} describe deployment ${name}", or raise --timeout`,
      )
    }
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())))
  }
}
