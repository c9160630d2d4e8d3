import {AggregateSvcgwError, conflictError, notFoundError, SvcgwError, usageError} from '../errors.js'
import type {Service} from '../kube/object.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import {addServices, type ExposeRequest, removeServices} from '../registry/changes.js'
import {type ExposedService, type Registry, servedBy} from '../registry/types.js'
import {validateExposedService} from '../registry/validate.js'
import {assertWithinLimits} from '../render/limits.js'
import {names} from '../render/names.js'
import type {Reporter} from '../ui/reporter.js'
import {Home} from './home.js'
import {type Provider, providerOf, reachableProviders} from './providers.js'
import {type LiveOptions, publish} from './sync.js'

export type {ExposeRequest}

const RESERVED_NAMES = new Set<string>([names.serverService])

/**
 * Checks that each provider has the Service and the port; all failures are
 * reported together. Each provider's Service is read once however many
 * requests name it (a chart's values file often exposes one Service under
 * several names).
 */
export async function checkProviderServices(providers: Provider[], requests: ExposeRequest[]): Promise<void> {
  const errors: SvcgwError[] = []
  await Promise.all(
    providers.map(async (provider) => {
      const wanted = new Map<string, {name: string; namespace: string; ports: Set<number>}>()
      for (const request of requests.filter((r) => servedBy(r, provider.clientName))) {
        const {name, namespace, port} = request.clientService
        const key = `${namespace}/${name}`
        if (!wanted.has(key)) wanted.set(key, {name, namespace, ports: new Set()})
        wanted.get(key)!.ports.add(port)
      }
      await Promise.all(
        [...wanted.values()].map(async ({name, namespace, ports}) => {
          try {
            const service = await provider.cluster.read<Service>({apiVersion: 'v1', kind: 'Service', name, namespace})
            if (!service) {
              errors.push(notFoundError(`no Service ${namespace}/${name} in context "${provider.cluster.context}"`, 'check the name and --service-namespace'))
              return
            }
            const has = (service.spec?.ports ?? []).map((p) => p.port)
            for (const port of ports) {
              if (!has.includes(port)) errors.push(usageError(`Service ${namespace}/${name} in context "${provider.cluster.context}" has no port ${port}`, `use one of its ports: ${has.join(', ')}`))
            }
          } catch (error) {
            if (!(error instanceof SvcgwError)) throw error
            errors.push(error)
          }
        }),
      )
    }),
  )
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSvcgwError(errors)
}

export interface ExposeResult {
  services: ExposedService[]
  summary: string
}

/** The providers whose clients serve at least one of these services: only their configs change. */
const servingAny = (providers: Provider[], services: Array<Pick<ExposedService, 'clients'>>) =>
  providers.filter((p) => services.some((s) => servedBy(s, p.clientName)))

/** Registers the services, then makes the server and every client that serves them carry them, live. */
export async function exposeServices(home: Home, requests: ExposeRequest[], live: LiveOptions, reporter: Reporter, options: {overwrite?: boolean} = {}): Promise<ExposeResult> {
  if (requests.length === 0) throw usageError('nothing to expose', 'name a Service, or pass -f values.yaml with a services: list')
  for (const r of requests) {
    if (RESERVED_NAMES.has(r.name)) throw conflictError(`"${r.name}" is the gateway's own Service name`, 'pick another name with --as')
    validateExposedService({...r, internalPort: r.internalPort ?? 1})
  }
  const {registry} = await home.store.load()
  const known = new Set(registry.clients.map((c) => c.name))
  for (const r of requests) {
    for (const c of r.clients ?? []) if (!known.has(c)) throw notFoundError(`no client "${c}" is registered`, 'install it with "kubectl svcgw client install --to CONTEXT"')
  }
  // Check the providers before anything is written, so a bad request changes nothing.
  const reachable = reachableProviders(home, registry, reporter)
  const providers = servingAny(reachable, requests)
  await checkProviderServices(providers, requests)
  // A retargeted service may move away from providers that served it: their configs change too.
  const retargeted = registry.services.filter((s) => requests.some((r) => r.name === s.name))
  const touched = servingAny(reachable, [...requests, ...retargeted])
  const {stored, result, previous} = await home.store.update((reg, settings) => {
    const added = addServices(reg, requests, [settings.port, ...RESERVED_PORTS], options.overwrite)
    assertWithinLimits(reg, settings, home.namespace)
    return added
  })
  await publish(home, stored, touched, live, reporter, 'clients-first', previous)
  return {
    services: result,
    summary: result
      .map((s) => `${s.name}:${s.port} → ${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port} (internalPort ${s.internalPort})`)
      .join('\n'),
  }
}

export async function unexposeServices(home: Home, serviceNames: string[], live: LiveOptions, reporter: Reporter): Promise<ExposeResult> {
  const {registry} = await home.store.load()
  removeServices(structuredClone(registry), serviceNames)
  const {stored, result, previous} = await home.store.update((reg) => removeServices(reg, serviceNames))
  await publish(home, stored, servingAny(reachableProviders(home, registry, reporter), result), live, reporter, 'server-first', previous)
  return {services: result, summary: result.map((s) => `unexposed ${s.name}`).join('\n')}
}

/** The client names behind --to contexts. */
export function servingClientNames(registry: Registry, contexts: string[]): string[] {
  return contexts.map((context) => {
    const client = registry.clients.find((c) => c.context === context)
    if (!client) throw notFoundError(`no client is installed for context "${context}"`, `run "kubectl svcgw client install --to ${context}" first`)
    return client.name
  })
}

/** Service names in a namespace of the first provider, for the interactive picker. */
export async function listProviderServices(home: Home, namespace: string): Promise<string[]> {
  const {registry} = await home.store.load()
  const first = registry.clients.find((c) => c.context)
  if (!first) throw notFoundError('no client is installed yet', 'run "kubectl svcgw client install --to CONTEXT" first')
  const provider = providerOf(home, first)
  return (await provider.cluster.list<Service>({apiVersion: 'v1', kind: 'Service', namespace})).map((s) => s.metadata.name)
}
