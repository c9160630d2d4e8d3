import {SvcgwError} from '../errors.js'
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

/**
 * Deletes every object carrying our labels in the namespace; nothing else. In a dry run, the
 * apiserver's dry run of each. cert-manager's kinds are looked at only where the gateway uses
 * cert-manager (`true`), or may (`'maybe'`: no registry left to say), where a Role without
 * cert-manager access is no reason to stop: the admin Role of a self-issuing gateway has none.
 */
export async function removeLabelled(cluster: Cluster, namespace: string, labelSelector: string, certManager: boolean | 'maybe' = false, keep: string[] = []): Promise<string[]> {
  const removed: string[] = []
  const served = certManager !== false && (await cluster.serves('cert-manager.io/v1', 'Certificate'))
  const remove = async ({kind, apiVersion}: {kind: string; apiVersion: string}) => {
    for (const item of await cluster.list({apiVersion, kind, namespace, labelSelector})) {
      if (keep.includes(`${kind.toLowerCase()}/${item.metadata.name}`)) continue
      await cluster.remove({apiVersion, kind, name: item.metadata.name, namespace})
      removed.push(`${kind.toLowerCase()}/${item.metadata.name}`)
    }
  }
  for (const kind of served ? CERT_MANAGER_KINDS : []) {
    try {
      await remove(kind)
    } catch (error) {
      if (!(certManager === 'maybe' && error instanceof SvcgwError && error.errorClass === 'forbidden')) throw error
    }
  }
  for (const kind of KINDS) await remove(kind)
  return removed
}
