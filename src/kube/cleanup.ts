import {Cluster} from './cluster.js'

interface Listed {
  items: Array<{metadata?: {name?: string}}>
}

/** The kinds we create inside a namespace, with how to list and delete each. */
function kinds(cluster: Cluster, namespace: string, labelSelector: string): Array<{kind: string; apiVersion: string; list: () => Promise<Listed>}> {
  const core = cluster.core
  const apps = cluster.apps
  return [
    {kind: 'Deployment', apiVersion: 'apps/v1', list: () => apps.listNamespacedDeployment({namespace, labelSelector})},
    {kind: 'Service', apiVersion: 'v1', list: () => core.listNamespacedService({namespace, labelSelector})},
    {kind: 'ConfigMap', apiVersion: 'v1', list: () => core.listNamespacedConfigMap({namespace, labelSelector})},
    {kind: 'Secret', apiVersion: 'v1', list: () => core.listNamespacedSecret({namespace, labelSelector})},
    {kind: 'ServiceAccount', apiVersion: 'v1', list: () => core.listNamespacedServiceAccount({namespace, labelSelector})},
  ]
}

/** Deletes (or, dry, only names) every object carrying our labels in the namespace; nothing else. */
export async function removeLabelled(cluster: Cluster, namespace: string, labelSelector: string, dryRun: boolean): Promise<string[]> {
  const removed: string[] = []
  for (const {kind, apiVersion, list} of kinds(cluster, namespace, labelSelector)) {
    const listed: Listed = await cluster.call(`listing ${kind}s`, list)
    for (const item of listed.items) {
      const name = item.metadata?.name ?? ''
      if (!dryRun) await cluster.remove({apiVersion, kind, metadata: {name, namespace}})
      removed.push(`${kind.toLowerCase()}/${name}`)
    }
  }
  return removed
}
