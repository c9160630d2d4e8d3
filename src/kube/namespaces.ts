import {LABEL_MANAGED_BY, MANAGED_BY, KubeObject} from '../render/objects.js'
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

interface Item {
  metadata?: {name?: string; labels?: Record<string, string>}
  type?: string
}

/** Objects in the namespace that are neither ours nor put there by Kubernetes itself. */
export async function foreignObjects(cluster: Cluster, namespace: string): Promise<string[]> {
  const [configMaps, secrets, services, deployments, pods] = await cluster.call(`listing namespace ${namespace}`, () =>
    Promise.all([
      cluster.core.listNamespacedConfigMap({namespace}),
      cluster.core.listNamespacedSecret({namespace}),
      cluster.core.listNamespacedService({namespace}),
      cluster.apps.listNamespacedDeployment({namespace}),
      cluster.core.listNamespacedPod({namespace}),
    ]),
  )
  const foreign = (kind: string, items: Item[], builtIn: (i: Item) => boolean = () => false) =>
    items.filter((i) => i.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY && !builtIn(i)).map((i) => `${kind}/${i.metadata?.name}`)
  return [
    ...foreign('configmap', configMaps.items, (i) => i.metadata?.name === 'kube-root-ca.crt'),
    ...foreign('secret', secrets.items, (i) => i.type === 'kubernetes.io/service-account-token'),
    ...foreign('service', services.items),
    ...foreign('deployment', deployments.items),
    ...foreign('pod', pods.items),
  ]
}

/**
 * Deletes the namespace only if this tool created it and nothing else
 * lives there; otherwise says what keeps it.
 */
export async function removeNamespaceIfOurs(cluster: Cluster, name: string): Promise<{removed: boolean; keptFor?: string[]}> {
  const ns = await cluster.read({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})
  if (ns?.metadata?.annotations?.[CREATED_BY_ANNOTATION] !== 'kubectl-svcgw') return {removed: false}
  const others = await foreignObjects(cluster, name)
  if (others.length > 0) return {removed: false, keptFor: others}
  return {removed: await cluster.remove({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})}
}
