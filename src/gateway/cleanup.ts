import {Cluster} from '../kube/cluster.js'

/** The kinds we create inside a namespace. */
const KINDS = [
  {kind: 'Deployment', apiVersion: 'apps/v1'},
  {kind: 'Service', apiVersion: 'v1'},
  {kind: 'ConfigMap', apiVersion: 'v1'},
  {kind: 'Secret', apiVersion: 'v1'},
  {kind: 'ServiceAccount', apiVersion: 'v1'},
]

/** Deletes every object carrying our labels in the namespace; nothing else. In a dry run, the apiserver's dry run of each. */
export async function removeLabelled(cluster: Cluster, namespace: string, labelSelector: string): Promise<string[]> {
  const removed: string[] = []
  for (const {kind, apiVersion} of KINDS) {
    for (const item of await cluster.list({apiVersion, kind, namespace, labelSelector})) {
      await cluster.remove({apiVersion, kind, name: item.metadata.name, namespace})
      removed.push(`${kind.toLowerCase()}/${item.metadata.name}`)
    }
  }
  return removed
}
