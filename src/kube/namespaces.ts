import {KubeObject} from '../render/objects.js'
import {Cluster} from './cluster.js'

/** Set only on namespaces this tool created, so uninstall deletes those and no other. */
export const CREATED_BY_ANNOTATION = 'svcgw.dev/created-by'

/**
 * Creates the namespace if it is absent (marked as ours), then applies its
 * labels. Returns whether it was created, for rollback.
 */
export async function ensureNamespace(cluster: Cluster, namespace: KubeObject): Promise<boolean> {
  const existing = await cluster.read(namespace)
  if (!existing) {
    const body = structuredClone(namespace)
    body.metadata.annotations = {...body.metadata.annotations, [CREATED_BY_ANNOTATION]: 'kubectl-svcgw'}
    await cluster.call(`creating namespace ${namespace.metadata.name}`, () => cluster.core.createNamespace({body}))
  }
  await cluster.apply(namespace)
  return !existing
}

/** Deletes the namespace only if this tool created it. */
export async function removeNamespaceIfOurs(cluster: Cluster, name: string): Promise<boolean> {
  const ns = await cluster.read({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  if (ns?.metadata?.annotations?.[CREATED_BY_ANNOTATION] !== 'kubectl-svcgw') return false
  return cluster.remove({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
}
