import {V1Service} from '@kubernetes/client-node'

import {conflictError, notFoundError, SvcgwError, AggregateSvcgwError, usageError} from '../errors.js'
import {allocateInternalPort} from '../registry/allocate.js'
import {ExposedService, Registry, servedBy} from '../registry/types.js'
import {validateExposedService, validateRegistry} from '../registry/validate.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import {names} from '../render/names.js'
import {KubeObject} from '../render/objects.js'
import {registryConfigMap} from '../render/registry-configmap.js'
import {EXPOSED_LABEL, renderServer} from '../render/server.js'
import {ServerSettings} from '../render/settings.js'
import {Reporter} from '../ui/reporter.js'
import {Home} from './home.js'
import {requireServerSecrets} from './key-material.js'
import {Provider, providerOf, reachableProviders} from './providers.js'
import {syncClientProxy, syncServer} from './sync.js'

/** An expose request before an internalPort is allocated (0 = allocate). */
export type ExposeRequest = Omit<ExposedService, 'internalPort'> & {internalPort?: number}

const RESERVED_NAMES = new Set<string>([names.serverService])

const sameTarget = (a: ExposedService, b: ExposeRequest): boolean =>
  a.port === b.port &&
  a.clientService.name === b.clientService.name &&
  a.clientService.namespace === b.clientService.namespace &&
  a.clientService.port === b.clientService.port &&
  (b.internalPort === undefined || a.internalPort === b.internalPort) &&
  JSON.stringify(a.clients ?? null) === JSON.stringify(b.clients ?? null)

/** Checks that each provider has the Service and the port; all failures are reported together. */
export async function checkProviderServices(providers: Provider[], requests: ExposeRequest[]): Promise<void> {
  const errors: SvcgwError[] = []
  await Promise.all(
    providers.flatMap((provider) =>
      requests
        .filter((r) => servedBy(r, provider.clientName))
        .map(async (request) => {
          const {name, namespace, port} = request.clientService
          try {
            const service = await provider.cluster.read<V1Service>({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace}})
            if (!service) {
              errors.push(notFoundError(`no Service ${namespace}/${name} in context "${provider.cluster.context}"`, 'check the name and --service-namespace'))
            } else if (!(service.spec?.ports ?? []).some((p) => p.port === port)) {
              const ports = (service.spec?.ports ?? []).map((p) => p.port).join(', ')
              errors.push(usageError(`Service ${namespace}/${name} in context "${provider.cluster.context}" has no port ${port}`, `use one of its ports: ${ports}`))
            }
          } catch (error) {
            if (!(error instanceof SvcgwError)) throw error
            errors.push(error)
          }
        }),
    ),
  )
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSvcgwError(errors)
}

/** Adds the requests to the registry; an identical re-expose converges, a different one is a clash. */
export function addToRegistry(registry: Registry, settings: ServerSettings, requests: ExposeRequest[]): ExposedService[] {
  const added: ExposedService[] = []
  for (const request of requests) {
    const existing = registry.services.find((s) => s.name === request.name)
    if (existing) {
      if (sameTarget(existing, request)) {
        added.push(existing)
        continue
      }
      throw conflictError(
        `"${request.name}" is already exposed (${existing.clientService.name}.${existing.clientService.namespace}:${existing.clientService.port} as port ${existing.port})`,
        'unexpose it first, or pick another name with --as',
      )
    }
    if (request.internalPort !== undefined && registry.services.some((s) => s.internalPort === request.internalPort)) {
      const owner = registry.services.find((s) => s.internalPort === request.internalPort)!
      throw conflictError(`internalPort ${request.internalPort} of "${request.name}" is used by "${owner.name}"`, 'give another internalPort, or leave it out to allocate one')
    }
    const service: ExposedService = {...request, internalPort: request.internalPort ?? allocateInternalPort(registry)}
    validateExposedService(service)
    registry.services.push(service)
    added.push(service)
  }
  validateRegistry(registry, [settings.port, ...RESERVED_PORTS])
  return added
}

export interface ExposeResult {
  services: ExposedService[]
  summary: string
}

/** Registers the services, then makes the server and every serving client carry them. */
export async function exposeServices(home: Home, requests: ExposeRequest[], kubeconfig: string | undefined, reporter: Reporter): Promise<ExposeResult> {
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
  const providers = reachableProviders(registry, kubeconfig, reporter)
  await checkProviderServices(providers, requests)
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const {stored, result} = await home.store.update((reg, settings) => addToRegistry(reg, settings, requests))
  await Promise.all([
    syncServer(home, stored.registry, stored.settings, secrets, reporter),
    ...providers.map((provider) => syncClientProxy(home, provider, stored.registry, stored.settings, reporter)),
  ])
  return {
    services: result,
    summary: result
      .map((s) => `${s.name}:${s.port} → ${s.clientService.name}.${s.clientService.namespace}:${s.clientService.port} (internalPort ${s.internalPort})`)
      .join('\n'),
  }
}

export async function unexposeServices(home: Home, serviceNames: string[], kubeconfig: string | undefined, reporter: Reporter): Promise<ExposeResult> {
  const {registry} = await home.store.load()
  for (const name of serviceNames) {
    if (!registry.services.some((s) => s.name === name)) {
      throw notFoundError(`"${name}" is not exposed`, 'see "kubectl svcgw list" for the exposed services')
    }
  }
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const {stored, result} = await home.store.update((reg) => {
    const gone = reg.services.filter((s) => serviceNames.includes(s.name))
    reg.services = reg.services.filter((s) => !serviceNames.includes(s.name))
    return gone
  })
  await Promise.all([
    syncServer(home, stored.registry, stored.settings, secrets, reporter),
    ...reachableProviders(stored.registry, kubeconfig, reporter).map((provider) => syncClientProxy(home, provider, stored.registry, stored.settings, reporter)),
  ])
  return {services: result, summary: result.map((s) => `unexposed ${s.name}`).join('\n')}
}

/** The client names behind --to contexts. */
export async function servingClientNames(home: Home, contexts: string[]): Promise<string[]> {
  const {registry} = await home.store.load()
  return contexts.map((context) => {
    const client = registry.clients.find((c) => c.context === context)
    if (!client) throw notFoundError(`no client is installed for context "${context}"`, `run "kubectl svcgw client install --to ${context}" first`)
    return client.name
  })
}

/** What expose would apply on the server side, computed on a copy of the registry. */
export async function planExpose(home: Home, requests: ExposeRequest[]): Promise<KubeObject[]> {
  const {registry, settings} = await home.store.load()
  const next = structuredClone(registry)
  addToRegistry(next, settings, requests)
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  return [
    registryConfigMap(next, settings, home.namespace),
    ...renderServer(next, secrets, settings, home.namespace).filter(
      (o) => o.metadata.name === names.serverHaproxy || o.metadata.labels?.[EXPOSED_LABEL] === 'true',
    ),
  ]
}

/** Service names in a namespace of the first provider, for the interactive picker. */
export async function listProviderServices(home: Home, namespace: string, kubeconfig: string | undefined): Promise<string[]> {
  const {registry} = await home.store.load()
  const first = registry.clients[0]
  if (!first) throw notFoundError('no client is installed yet', 'run "kubectl svcgw client install --to CONTEXT" first')
  const provider = providerOf(first, kubeconfig)
  const listed = await provider.cluster.call('listing services', () => provider.cluster.core.listNamespacedService({namespace}))
  return listed.items.map((s) => s.metadata?.name ?? '').filter(Boolean)
}
