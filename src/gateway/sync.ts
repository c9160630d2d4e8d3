import {applyAll, AppliedSet} from '../kube/apply-all.js'
import {Registry} from '../registry/types.js'
import {names} from '../render/names.js'
import {ClientTarget, renderClientProxyConfig} from '../render/client.js'
import {EXPOSED_LABEL, renderServer, ServerSecrets} from '../render/server.js'
import {ServerSettings} from '../render/settings.js'
import {Reporter} from '../ui/reporter.js'
import {Home} from './home.js'
import {Provider} from './providers.js'

const MAX_ROUNDS = 10

/**
 * Applies what `render` makes of the registry, then reads the registry
 * again: if another command changed it meanwhile, this one may just have
 * applied an older picture over the newer one, so it renders and applies
 * the newest. Every writer does so after its own write, so the last apply
 * of each object is always of the latest registry.
 */
async function applyUntilCurrent(
  home: Home,
  state: {registry: Registry; settings: ServerSettings},
  apply: (registry: Registry, settings: ServerSettings) => Promise<void>,
): Promise<void> {
  let current = state
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await apply(current.registry, current.settings)
    const latest = await home.store.load()
    if (JSON.stringify([latest.registry, latest.settings]) === JSON.stringify([current.registry, current.settings])) return
    current = latest
  }
}

/**
 * Re-renders the server side from the registry and applies it. Only what
 * changed changes: HAProxy reloads in place, the client-config-dir and
 * revocation list are read per connection, so no tunnel drops.
 */
export async function syncServer(
  home: Home,
  registry: Registry,
  settings: ServerSettings,
  secrets: ServerSecrets,
  reporter: Reporter,
  applied?: AppliedSet,
): Promise<void> {
  await applyUntilCurrent(home, {registry, settings}, async (reg, set) => {
    const objects = renderServer(reg, secrets, set, home.namespace).filter((o) => o.kind !== 'Namespace' && o.metadata.name !== names.registry)
    await applyAll(home.cluster, objects, reporter, applied)
    await pruneExposedServices(home, new Set(reg.services.map((s) => s.name)))
  })
}

/** Deletes consumer Services of services no longer exposed; apply alone never removes anything. */
async function pruneExposedServices(home: Home, keep: Set<string>): Promise<void> {
  const listed = await home.cluster.call('listing exposed services', () =>
    home.cluster.core.listNamespacedService({namespace: home.namespace, labelSelector: `${EXPOSED_LABEL}=true`}),
  )
  for (const service of listed.items) {
    const name = service.metadata?.name ?? ''
    if (!keep.has(name)) await home.cluster.remove({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: home.namespace}})
  }
}

/** Where a registered client lives and which server endpoint (stored as host:port) it dials. */
export function clientTarget(registry: Registry, clientName: string, namespace: string, settings: ServerSettings): ClientTarget {
  const endpoint = registry.clients.find((c) => c.name === clientName)?.endpoint ?? ''
  const [serverAddress, port] = endpoint.split(/:(?=\d+$)/)
  return {clientName, namespace, serverAddress, serverPort: Number(port) || settings.port}
}

/** Pushes a new HAProxy config to one client, which reloads it in place. */
export async function syncClientProxy(home: Home, provider: Provider, registry: Registry, settings: ServerSettings, reporter: Reporter): Promise<void> {
  await applyUntilCurrent(home, {registry, settings}, async (reg, set) => {
    await provider.cluster.apply(renderClientProxyConfig(reg, set, clientTarget(reg, provider.clientName, provider.namespace, set)))
  })
  reporter.step(`updated the proxy config of client ${provider.clientName} in ${provider.cluster.context}`)
}
