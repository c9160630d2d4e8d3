import {forgetClient} from '../registry/changes.js'
import {names} from '../render/names.js'
import {labelSelectorFor} from '../render/objects.js'
import type {Reporter} from '../ui/reporter.js'
import {removeLabelled} from './cleanup.js'
import {Home} from './home.js'
import {releaseNamespace} from './namespaces.js'
import {providerOf} from './providers.js'
import {type LiveOptions, makeLive, serverLive, syncServerConfig} from './sync.js'
import {notFoundError} from '../errors.js'
import {pkiOf} from '../registry/settings.js'
import {CERT_MANAGER_API, cmNames} from '../render/cert-manager.js'

export interface UninstallResult {
  context: string
  namespace: string
  removed: string[]
  namespaceRemoved: boolean
  namespaceRestored: boolean
  remainingClients: string[]
  summary: string
}

/** What happened to a namespace, in words; undefined when nothing did. */
function namespaceNote(namespace: string, released: {removed: boolean; restored: boolean}, dryRun: boolean): string | undefined {
  if (released.removed) return `${dryRun ? 'would delete' : 'deleted'} namespace ${namespace}`
  if (released.restored) return `${dryRun ? 'would put back' : 'put back'} the Pod Security labels of namespace ${namespace}`
  return undefined
}

/** During a chart's take-over its pods mount the certificate Secret the plugin's share: it stays. */
function chartMounts(secret: string | undefined, reporter: Reporter): string[] {
  if (!secret) return []
  reporter.warn(`kept Secret ${secret}: the chart's workloads, whose take-over is pending, mount it`)
  return [`secret/${secret}`]
}

export async function uninstallServer(home: Home, reporter: Reporter): Promise<UninstallResult> {
  const stored = await home.store.find()
  const keep = chartMounts(stored?.registry.takeover ? names.serverCertificates : undefined, reporter)
  const removed = await removeLabelled(home.cluster, home.namespace, labelSelectorFor('server'), stored ? pkiOf(stored.settings).mode === 'cert-manager' : 'maybe', keep)
  const released = await releaseNamespace(home.cluster, home.namespace)
  if (released.keptFor) reporter.warn(`kept namespace ${home.namespace}: it holds objects that are not ours (${released.keptFor.join(', ')})`)
  const remainingClients = (stored?.registry.clients ?? []).map((c) => `${c.name} (${c.context ?? 'exported'})`)
  if (remainingClients.length > 0) {
    reporter.warn(`clients still installed in providers: ${remainingClients.join(', ')}; remove them with "kubectl svcgw client uninstall --to CONTEXT"`)
  }
  const dry = home.cluster.dryRun
  const note = namespaceNote(home.namespace, released, dry)
  return {
    context: home.cluster.context,
    namespace: home.namespace,
    removed,
    namespaceRemoved: released.removed,
    namespaceRestored: released.restored,
    remainingClients,
    summary:
      removed.length === 0 && !note
        ? `no gateway server in namespace ${home.namespace} of ${home.cluster.context}: nothing to remove`
        : `${dry ? 'would remove' : 'removed'} ${removed.length} objects of the gateway server${note ? `; ${note}` : ''}`,
  }
}

export interface ClientUninstallResult {
  clients: Array<{name: string; context: string; removed: string[]; namespaceRemoved: boolean; namespaceRestored: boolean}>
  summary: string
}

/**
 * Removes a client's objects from its provider, then forgets it: every
 * certificate it held is revoked and the server stops routing to it.
 */
export async function uninstallClients(home: Home, contexts: string[], options: {name?: string} & LiveOptions, reporter: Reporter): Promise<ClientUninstallResult> {
  const {registry} = await home.store.load()
  const results: ClientUninstallResult['clients'] = []
  for (const context of contexts) {
    const client = registry.clients.find((c) => (options.name ? c.name === options.name : c.context === context))
    if (!client) throw notFoundError(`no client registered for context "${context}"`, 'see "kubectl svcgw status" for the registered clients')
    const provider = providerOf(home, client, context)
    const keep = chartMounts(registry.takeover?.clients.some((c) => c.name === client.name) ? names.clientCertificates : undefined, reporter)
    const removed = await removeLabelled(provider.cluster, provider.namespace, labelSelectorFor('client'), false, keep)
    const released = await releaseNamespace(provider.cluster, provider.namespace)
    if (released.keptFor) reporter.warn(`kept namespace ${provider.namespace} in ${context}: it holds objects that are not ours (${released.keptFor.join(', ')})`)
    results.push({name: client.name, context, removed, namespaceRemoved: released.removed, namespaceRestored: released.restored})
    const {stored, previous} = await home.store.update((reg) => forgetClient(reg, client.name))
    if (pkiOf(stored.settings).mode === 'cert-manager') {
      // Its certificate, issued into the server's namespace: revoked above, now gone.
      await home.cluster.remove({apiVersion: CERT_MANAGER_API, kind: 'Certificate', name: cmNames.client(client.name), namespace: home.namespace})
      await home.cluster.remove({apiVersion: 'v1', kind: 'Secret', name: cmNames.clientSecret(client.name), namespace: home.namespace})
    }
    await syncServerConfig(home, stored, reporter, previous)
    await makeLive([serverLive(home)], options, reporter)
  }
  const verb = home.cluster.dryRun ? 'would remove' : 'removed'
  return {
    clients: results,
    summary: results.map((r) => `${verb} client ${r.name} from ${r.context} (${r.removed.length} objects) and revoked its certificate`).join('\n'),
  }
}
