import {CONFIG_ID_PATH} from '../dataplane/config-id.js'
import {files} from '../dataplane/layout.js'
import {KubeObject, refOf, Service} from '../kube/object.js'
import {ServerSettings} from '../registry/settings.js'
import {Registry} from '../registry/types.js'
import {parseEndpoint} from '../registry/validate.js'
import {clientConfig, ClientTarget} from '../render/client.js'
import {names} from '../render/names.js'
import {labelSelectorFor} from '../render/objects.js'
import {EXPOSED_LABEL, serverConfig} from '../render/server.js'
import {Stored} from '../store/registry-store.js'
import {Reporter} from '../ui/reporter.js'
import {applyAll} from './apply.js'
import {Home} from './home.js'
import {confirmProxyConfig, nudgePods, ProxyTarget} from './live.js'
import {Provider} from './providers.js'

const MAX_ROUNDS = 10

type State = Pick<Stored, 'registry' | 'settings'>

/**
 * Applies what `render` makes of the registry, then reads the registry
 * again: if another command changed it meanwhile, this one may just have
 * applied an older picture over the newer one, so it renders and applies
 * the newest. Every writer does so after its own write, so the last apply
 * of each object is always of the latest registry. Returns the state last
 * applied.
 */
async function applyUntilCurrent(home: Home, state: State, apply: (state: State) => Promise<void>): Promise<State> {
  let current = state
  for (let round = 0; round < MAX_ROUNDS; round++) {
    await apply(current)
    const latest = await home.store.load()
    if (JSON.stringify([latest.registry, latest.settings]) === JSON.stringify([current.registry, current.settings])) return current
    current = latest
  }
  return current
}

/** The ID HAProxy answers at /config-id once it runs this rendered config. */
export function proxyConfigIdOf(configMap: KubeObject): string | undefined {
  const cfg = (configMap.data as Record<string, string> | undefined)?.[files.haproxyCfg] ?? ''
  return new RegExp(`string ([0-9a-f]+) if \\{ path ${CONFIG_ID_PATH} \\}`).exec(cfg)?.[1]
}

/** Where the server's proxy runs, for confirmations. */
export const serverProxy = (home: Home): ProxyTarget => ({cluster: home.cluster, namespace: home.namespace, selector: labelSelectorFor('server'), what: 'the server'})

export const clientProxy = (provider: Provider): ProxyTarget => ({
  cluster: provider.cluster,
  namespace: provider.namespace,
  selector: labelSelectorFor('client'),
  what: `client ${provider.clientName}`,
})

/** Where a registered client lives and which server endpoint (stored as host:port) it dials. */
export function clientTarget(registry: Registry, clientName: string, namespace: string, settings: ServerSettings): ClientTarget {
  const endpoint = registry.clients.find((c) => c.name === clientName)?.endpoint
  const {address, port} = parseEndpoint(endpoint ?? `${settings.address ?? ''}:${settings.port}`)
  return {clientName, namespace, serverAddress: address, serverPort: port}
}

/**
 * The server's config (HAProxy, client-config-dir, revocations, consumer
 * Services) for the latest registry; Services no longer exposed are
 * deleted. No Secret is read or written. Returns the proxy's config ID.
 */
export async function syncServerConfig(home: Home, state: State, reporter: Reporter): Promise<string | undefined> {
  let proxyId: string | undefined
  await applyUntilCurrent(home, state, async ({registry, settings}) => {
    const objects = serverConfig(registry, settings, home.namespace)
    await applyAll(home.cluster, objects, reporter)
    await pruneExposedServices(home, new Set(registry.services.map((s) => s.name)))
    proxyId = proxyConfigIdOf(objects.find((o) => o.metadata.name === names.serverHaproxy)!)
  })
  return proxyId
}

/** Deletes consumer Services of services no longer exposed; apply alone never removes anything. */
async function pruneExposedServices(home: Home, keep: Set<string>): Promise<void> {
  const listed = await home.cluster.list<Service>({apiVersion: 'v1', kind: 'Service', namespace: home.namespace, labelSelector: `${EXPOSED_LABEL}=true`})
  for (const service of listed.filter((s) => !keep.has(s.metadata.name))) await home.cluster.remove(refOf(service))
}

/** Pushes the latest proxy config to one client, which reloads it in place. Returns its config ID. */
export async function syncClientConfig(home: Home, provider: Provider, state: State, reporter: Reporter): Promise<string | undefined> {
  let proxyId: string | undefined
  await applyUntilCurrent(home, state, async ({registry, settings}) => {
    const object = clientConfig(registry, settings, clientTarget(registry, provider.clientName, provider.namespace, settings))
    await provider.cluster.apply(object)
    proxyId = proxyConfigIdOf(object)
  })
  reporter.step(`${provider.cluster.dryRun ? 'would update' : 'updated'} the proxy config of client ${provider.clientName} in ${provider.cluster.context}`)
  return proxyId
}

export interface LiveOptions {
  /** Confirm that the pods run the change before returning (--wait). */
  wait: boolean
  /** Epoch ms by which it must be live (--timeout). */
  deadline: number
}

/**
 * Makes config changes reach the pods now: nudges their kubelets to
 * refresh the mounted ConfigMaps and, with --wait, confirms each proxy
 * runs the config with the ID it was given.
 */
export async function makeLive(targets: Array<{target: ProxyTarget; proxyId?: string}>, live: LiveOptions, reporter: Reporter): Promise<void> {
  await Promise.all(targets.map(({target}) => nudgePods(target.cluster, target.namespace, target.selector)))
  if (!live.wait) return
  await Promise.all(targets.filter((t) => t.proxyId).map(({target, proxyId}) => confirmProxyConfig(target, proxyId!, live.deadline, reporter)))
}

/**
 * Server config and every given provider's proxy config for the latest
 * registry, applied side by side and then made live.
 */
export async function publish(home: Home, state: State, providers: Provider[], live: LiveOptions, reporter: Reporter): Promise<void> {
  const [serverId, ...clientIds] = await Promise.all([
    syncServerConfig(home, state, reporter),
    ...providers.map((provider) => syncClientConfig(home, provider, state, reporter)),
  ])
  await makeLive(
    [{target: serverProxy(home), proxyId: serverId}, ...providers.map((p, i) => ({target: clientProxy(p), proxyId: clientIds[i]}))],
    live,
    reporter,
  )
}
