import {CONFIG_ID_PATH} from '../dataplane/config-id.js'
import {files} from '../dataplane/layout.js'
import {type KubeObject, refOf} from '../kube/object.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {parseEndpoint} from '../registry/validate.js'
import {clientConfig, type ClientTarget} from '../render/client.js'
import {names} from '../render/names.js'
import {labelSelectorFor} from '../render/objects.js'
import {EXPOSED_LABEL, serverConfig} from '../render/server.js'
import type {Stored} from '../store/registry-store.js'
import type {Reporter} from '../ui/reporter.js'
import {applyAll} from './apply.js'
import {listExposedServices, notYetLive, pruneExposedServices} from './consumer-services.js'
import {Home} from './home.js'
import {confirmProxyConfig, nudgePods, pollInterval, type ProxyTarget} from './live.js'
import type {Provider} from './providers.js'

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

/** The objects of `after` that differ from `before`'s, and those of `before` that are gone. */
export function difference(before: KubeObject[], after: KubeObject[]): {changed: KubeObject[]; gone: KubeObject[]} {
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`
  const old = new Map(before.map((o) => [key(o), JSON.stringify(o)]))
  const next = new Set(after.map(key))
  return {
    changed: after.filter((o) => old.get(key(o)) !== JSON.stringify(o)),
    gone: before.filter((o) => !next.has(key(o))),
  }
}

/**
 * The server's config (HAProxy, client-config-dir, revocations, consumer
 * Services) for the latest registry. Given the registry version this
 * command replaced, only what changed between the two is applied or
 * deleted: one expose is a new Service and a ConfigMap, whatever the
 * number of services. Without it (install, a first sync), everything is
 * applied and Services no longer exposed are pruned. No Secret is read or
 * written.
 */
export async function syncServerConfig(home: Home, state: State, reporter: Reporter, previous?: State, appliedAlready: KubeObject[] = []): Promise<void> {
  let before = previous
  // Objects this command applied just before (the consumer Services of publish): not again.
  let applied = appliedAlready
  await applyUntilCurrent(home, state, async ({registry, settings}) => {
    const objects = serverConfig(registry, settings, home.namespace)
    if (before) {
      const {changed, gone} = difference([...serverConfig(before.registry, before.settings, home.namespace), ...applied], objects)
      await applyAll(home.cluster, changed, reporter)
      // Everything unexposed at once (unexpose --all): one request for the whole collection.
      if (registry.services.length === 0 && gone.length > 1) await home.cluster.removeServices(home.namespace, `${EXPOSED_LABEL}=true`)
      else await Promise.all(gone.map((o) => home.cluster.remove(refOf(o))))
    } else {
      const live = await listExposedServices(home.cluster, home.namespace)
      await applyAll(home.cluster, notYetLive(difference(applied, objects).changed, live), reporter)
      await pruneExposedServices(home.cluster, live, new Set(registry.services.map((s) => s.name)))
    }
    // A later round (someone wrote meanwhile) applies what changed since this one.
    before = {registry, settings}
    applied = []
  })
}

/**
 * Pushes the latest proxy config to these clients, each of which reloads
 * it in place; one whose config is unchanged is left alone. One registry
 * read per round for all of them: per provider, it was the one request
 * that grew with P on the consumer's apiserver.
 */
export async function syncClientConfigs(home: Home, providers: Provider[], state: State, reporter: Reporter, previous?: State): Promise<void> {
  const render = (provider: Provider, {registry, settings}: State) =>
    clientConfig(registry, settings, clientTarget(registry, provider.clientName, provider.namespace, settings))
  let before = previous
  const updated = new Set<Provider>()
  await applyUntilCurrent(home, state, async (current) => {
    await Promise.all(
      providers.map(async (provider) => {
        const object = render(provider, current)
        if (before && difference([render(provider, before)], [object]).changed.length === 0) return
        await provider.cluster.apply(object)
        updated.add(provider)
      }),
    )
    before = current
  })
  for (const provider of providers.filter((p) => updated.has(p))) {
    reporter.step(`${provider.cluster.dryRun ? 'would update' : 'updated'} the proxy config of client ${provider.clientName} in ${provider.cluster.context}`)
  }
}

/**
 * A proxy to confirm, and the config ID it should answer: that of the
 * config rendered from the registry as it is at each look, since a
 * concurrent command may have moved it on (it includes this command's
 * change unless someone removed it since).
 */
export interface LiveTarget {
  target: ProxyTarget
  expectedId: () => Promise<string | undefined>
}

export const serverLive = (home: Home): LiveTarget => ({
  target: serverProxy(home),
  expectedId: async () => {
    const {registry, settings} = await home.store.load()
    return proxyConfigIdOf(serverConfig(registry, settings, home.namespace).find((o) => o.metadata.name === names.serverHaproxy)!)
  },
})

/** `load` may be shared between providers (sharedLoad), so confirming P clients does not read the registry P times. */
export const clientLive = (home: Home, provider: Provider, load: () => Promise<State> = () => home.store.load()): LiveTarget => ({
  target: clientProxy(provider),
  expectedId: async () => {
    const {registry, settings} = await load()
    return proxyConfigIdOf(clientConfig(registry, settings, clientTarget(registry, provider.clientName, provider.namespace, settings)))
  },
})

/** How long one registry read answers for every client being confirmed: a poll round, no more. */
const SHARED_READ_MS = 250

/**
 * The registry read once for the calls that come together: the clients'
 * confirmations poll side by side and each wants the expected config ID
 * at its start, when a pod loaded another config, and every few seconds.
 */
export function sharedLoad(home: Home, freshMs = SHARED_READ_MS): () => Promise<State> {
  let last: {at: number; state: Promise<State>} | undefined
  return () => {
    if (!last || Date.now() - last.at >= freshMs) {
      const state = home.store.load()
      last = {at: Date.now(), state}
      // A failed read is not kept: the next call reads again.
      state.catch(() => {
        if (last?.state === state) last = undefined
      })
    }
    return last.state
  }
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
export async function makeLive(targets: LiveTarget[], live: LiveOptions, reporter: Reporter): Promise<void> {
  await Promise.all(targets.map(({target}) => nudgePods(target.cluster, target.namespace, target.selector)))
  if (!live.wait) return
  const pollMs = pollInterval(targets.length)
  await Promise.all(targets.map(({target, expectedId}) => confirmProxyConfig(target, expectedId, live.deadline, reporter, pollMs)))
}

/** Which side takes a change first, so the server never routes to a client that does not serve it. */
export type Order = 'clients-first' | 'server-first'

/**
 * Server config and every given provider's proxy config for the latest
 * registry, made live in an order: a service added reaches the clients
 * before the server routes to them (`clients-first`); a service or client
 * removed leaves the server first (`server-first`). Otherwise the server's
 * checks would find a client not serving it yet and take it out, an alert
 * in the logs and a gap for nothing.
 */
export async function publish(
  home: Home,
  state: State,
  providers: Provider[],
  live: LiveOptions,
  reporter: Reporter,
  order: Order = 'clients-first',
  previous?: State,
): Promise<void> {
  let servicesApplied: KubeObject[] = []
  const server = async () => {
    await syncServerConfig(home, state, reporter, previous, servicesApplied)
    await makeLive([serverLive(home)], live, reporter)
  }
  const clients = async () => {
    await syncClientConfigs(home, providers, state, reporter, previous)
    const load = sharedLoad(home)
    await makeLive(providers.map((p) => clientLive(home, p, load)), live, reporter)
  }
  if (order === 'clients-first') {
    // New consumer Services first: they route nowhere until the server binds their ports, and
    // kube-proxy and the cluster's DNS take their moment while the proxies reload.
    const services = (s: State) => serverConfig(s.registry, s.settings, home.namespace).filter((o) => o.kind === 'Service')
    servicesApplied = previous ? difference(services(previous), services(state)).changed : services(state)
    await applyAll(home.cluster, servicesApplied, reporter)
    await clients()
    await server()
  } else {
    await server()
    await clients()
  }
}
