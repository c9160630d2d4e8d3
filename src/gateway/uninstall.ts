import {removeLabelled} from '../kube/cleanup.js'
import {removeNamespaceIfOurs} from '../kube/namespaces.js'
import {labelSelectorFor} from '../render/objects.js'
import {Reporter} from '../ui/reporter.js'
import {Home} from './home.js'
import {requireServerSecrets} from './key-material.js'
import {providerOf} from './providers.js'
import {syncServer} from './sync.js'
import {notFoundError} from '../errors.js'

export interface UninstallResult {
  context: string
  namespace: string
  removed: string[]
  namespaceRemoved: boolean
  remainingClients: string[]
  summary: string
}

export async function uninstallServer(home: Home, dryRun: boolean, reporter: Reporter): Promise<UninstallResult> {
  const stored = await home.store.find()
  const removed = await removeLabelled(home.cluster, home.namespace, labelSelectorFor('server'), dryRun)
  const namespaceResult = dryRun ? {removed: false} : await removeNamespaceIfOurs(home.cluster, home.namespace)
  const namespaceRemoved = namespaceResult.removed
  if (namespaceResult.keptFor) reporter.warn(`kept namespace ${home.namespace}: it holds objects that are not ours (${namespaceResult.keptFor.join(', ')})`)
  const remainingClients = (stored?.registry.clients ?? []).map((c) => `${c.name} (${c.context ?? 'unknown context'})`)
  if (remainingClients.length > 0) {
    reporter.warn(`clients still installed in providers: ${remainingClients.join(', ')}; remove them with "kubectl svcgw client uninstall --to CONTEXT"`)
  }
  const verb = dryRun ? 'would remove' : 'removed'
  return {
    context: home.cluster.context,
    namespace: home.namespace,
    removed,
    namespaceRemoved,
    remainingClients,
    summary:
      removed.length === 0
        ? `no gateway server in namespace ${home.namespace} of ${home.cluster.context}: nothing to remove`
        : `${verb} ${removed.length} objects of the gateway server${namespaceRemoved ? ` and namespace ${home.namespace}` : ''}`,
  }
}

export interface ClientUninstallResult {
  clients: Array<{name: string; context: string; removed: string[]}>
  summary: string
}

/**
 * Removes a client's objects from its provider, then forgets it: its
 * certificate is revoked and the server stops routing to it.
 */
export async function uninstallClients(
  home: Home,
  contexts: string[],
  options: {kubeconfig?: string; name?: string; dryRun: boolean},
  reporter: Reporter,
): Promise<ClientUninstallResult> {
  const {registry} = await home.store.load()
  const results: ClientUninstallResult['clients'] = []
  for (const context of contexts) {
    const client = registry.clients.find((c) => (options.name ? c.name === options.name : c.context === context))
    if (!client) {
      throw notFoundError(`no client registered for context "${context}"`, 'see "kubectl svcgw status" for the registered clients')
    }
    const provider = providerOf(client, options.kubeconfig, context)
    const removed = await removeLabelled(provider.cluster, provider.namespace, labelSelectorFor('client'), options.dryRun)
    results.push({name: client.name, context, removed})
    if (options.dryRun) continue
    const kept = (await removeNamespaceIfOurs(provider.cluster, provider.namespace)).keptFor
    if (kept) reporter.warn(`kept namespace ${provider.namespace} in ${context}: it holds objects that are not ours (${kept.join(', ')})`)
    const {stored} = await home.store.update((reg) => {
      const gone = reg.clients.find((c) => c.name === client.name)
      reg.clients = reg.clients.filter((c) => c.name !== client.name)
      if (gone && !reg.revoked.some((r) => r.serial === gone.serial)) {
        reg.revoked.push({serial: gone.serial, commonName: gone.name, revokedAt: new Date().toISOString()})
      }
      for (const s of reg.services) if (s.clients) s.clients = s.clients.filter((c) => c !== client.name)
    })
    await syncServer(home, stored.registry, stored.settings, await requireServerSecrets(home.cluster, home.namespace), reporter)
  }
  const verb = options.dryRun ? 'would remove' : 'removed'
  return {clients: results, summary: results.map((r) => `${verb} client ${r.name} from ${r.context} (${r.removed.length} objects)`).join('\n')}
}
