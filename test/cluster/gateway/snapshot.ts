import {createHash} from 'node:crypto'

import {type Env, kubectl, kubectlJson} from './harness.js'

interface Item {
  kind: string
  metadata: {name: string; namespace?: string; labels?: unknown; annotations?: unknown}
  data?: unknown
  spec?: unknown
  rules?: unknown
  subjects?: unknown
}

/** What a command could have changed in a namespace: kinds the gateway writes, apart from what controllers write. */
const KINDS = 'configmaps,secrets,services,deployments,serviceaccounts,roles,rolebindings'

/**
 * A digest per object of everything a write by the plugin could change
 * (labels, annotations, data, spec), leaving out what controllers and the
 * kubelet keep moving (status, resourceVersion). Two snapshots equal means
 * the command changed nothing there.
 */
export function snapshot(env: Env, context: string, namespaces: string[]): Map<string, string> {
  // The namespaces a test works in (and they themselves), not the whole cluster: other suites'
  // namespaces come and go meanwhile, and would read as changes.
  const items = [
    // --ignore-not-found prints nothing at all (not an empty list) when none of them exists.
    ...((JSON.parse(kubectl(env, ['--context', context, 'get', 'namespaces', ...namespaces, '--ignore-not-found', '-o', 'json']) || '{"items":[]}') as {items: Item[]}).items),
    ...namespaces.flatMap((ns) => kubectlJson<{items: Item[]}>(env, ['--context', context, 'get', KINDS, '-n', ns]).items),
    ...kubectlJson<{items: Item[]}>(env, ['--context', context, 'get', 'clusterroles,clusterrolebindings', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items,
  ]
  const out = new Map<string, string>()
  for (const item of items) {
    // Controllers add these to every new namespace, in their own time.
    if ((item.kind === 'ServiceAccount' && item.metadata.name === 'default') || (item.kind === 'ConfigMap' && item.metadata.name === 'kube-root-ca.crt')) continue
    const {labels, annotations} = item.metadata
    const content = JSON.stringify([labels, annotations, item.data, item.spec, item.rules, item.subjects])
    out.set(`${item.kind}/${item.metadata.namespace ?? ''}/${item.metadata.name}`, createHash('sha256').update(content).digest('hex'))
  }
  return out
}

/** The objects that differ between two snapshots, for an assertion message. */
export function changedBetween(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()])
  return [...keys].filter((k) => before.get(k) !== after.get(k))
}
