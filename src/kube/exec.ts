import {Writable} from 'node:stream'
import {Exec, V1Pod, V1Status} from '@kubernetes/client-node'

import {SvcgwError} from '../errors.js'
import {Cluster} from './cluster.js'

/** The first Running pod matching the selector, or undefined. */
export async function runningPod(cluster: Cluster, namespace: string, labelSelector: string): Promise<V1Pod | undefined> {
  const pods = await cluster.call('listing pods', () => cluster.core.listNamespacedPod({namespace, labelSelector}))
  return pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
}

/** Runs a command in a container and returns its stdout; a non-zero exit is an error. */
export async function execCapture(cluster: Cluster, namespace: string, pod: string, container: string, command: string[], timeoutMs = 10_000): Promise<string> {
  const chunks: Buffer[] = []
  const errors: Buffer[] = []
  const sink = (into: Buffer[]) =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(Buffer.from(chunk))
        done()
      },
    })
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SvcgwError('timeout', `exec in ${pod}/${container} of context "${cluster.context}" timed out`, 'raise --timeout')),
      timeoutMs,
    )
    const finish = (status: V1Status) => {
      clearTimeout(timer)
      if (status.status === 'Success') resolve(Buffer.concat(chunks).toString('utf8'))
      else reject(new SvcgwError('internal', `exec in ${pod}/${container} failed: ${status.message ?? Buffer.concat(errors).toString('utf8').trim()}`))
    }
    new Exec(cluster.kc)
      .exec(namespace, pod, container, command, sink(chunks), sink(errors), null, false, finish)
      .catch((error: unknown) => {
        clearTimeout(timer)
        reject(new SvcgwError('unreachable', `cannot exec in ${pod}/${container} of context "${cluster.context}": ${(error as Error).message}`))
      })
  })
}
