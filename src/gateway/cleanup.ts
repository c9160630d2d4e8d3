import {Cluster} from '../kube/cluster.js'

/** The kinds we create inside a namespace. */
const KINDS = [
  {kind: 'Deployment', apiVersion: 'apps/v1'},
  {kind: 'Service', apiVersion: 'v1'},
  {kind: 'ConfigMap', apiVersion: 'v1'},
  {kind: 'Secret', apiVersion: 'v1'},
  {kind: 'ServiceAccount', apiVersion: 'v1'},
]

/** cert-manager's kinds, where its CRDs are installed: removed first, so it does not write their Secrets again. */
const CERT_MANAGER_KINDS = [
  {kind: 'Certificate', apiVersion: 'cert-manager.io/v1'},
  {kind: 'Issuer', apiVersion: 'cert-manager.io/v1'},
]

/** Deletes every object carrying our labels in the namespace; nothing else. In a dry run, the apiserver's dry run of each. */
export async function removeLabelled(cluster: Cluster, namespace: string, labelSelector: string): Promise<string[]> {
  const removed: string[] = []
  const certManager = await cluster.serves('cert-manager.io/v1', 'Certificate')
  for (const {kind, apiVersion} of [...(certManager ? CERT_MANAGER_KINDS : []), ...KINDS]) {
    for (const item of await cluster.list({apiVersion, kind, namespace, labelSelector})) {
      await cluster.remove({apiVersion, kind, name: item.metadata.name, namespace})
      removed.push(`${kind.toLowerCase()}/${item.metadata.name}`)
    }
  }
  return removed
}
