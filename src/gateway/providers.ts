import {usageError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {Registry, RegisteredClient} from '../registry/types.js'
import {validateClientName, validateNamespaceName} from '../registry/validate.js'
import {DEFAULT_NAMESPACE} from '../render/names.js'
import type {Reporter} from '../ui/reporter.js'
import {Home} from './home.js'

/** A provider cluster as one client sees it. */
export interface Provider {
  cluster: Cluster
  clientName: string
  namespace: string
}

/** Context names often hold characters a CN and object name cannot: "arn:aws:…/prod" → "prod". */
export function clientNameFromContext(context: string): string {
  const tail = context.split(/[/:@]/).filter(Boolean).pop() ?? context
  const name = tail
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '')
  return name || 'client'
}

export interface ProviderFlags {
  name?: string
  'client-namespace'?: string
}

/**
 * Opens each --to context and decides the client's name and namespace there
 * (default svcgw, never the context's; for a client an adopted chart runs
 * there, `adopted` gives its name and namespace).
 */
export function openProviders(home: Home, contexts: string[], flags: ProviderFlags, adopted: (context: string) => {name: string; namespace: string} | undefined = () => undefined): Provider[] {
  if (flags.name && contexts.length > 1) {
    throw usageError('--name names one client but several --to contexts were given', 'install them one at a time, or drop --name')
  }
  if (flags['client-namespace'] !== undefined) validateNamespaceName(flags['client-namespace'], '--client-namespace')
  const providers = contexts.map((context) => {
    const cluster = home.session.open(context)
    const chart = adopted(context)
    const clientName = flags.name ?? chart?.name ?? clientNameFromContext(context)
    const namespace = flags['client-namespace'] ?? chart?.namespace ?? DEFAULT_NAMESPACE
    validateClientName(clientName)
    if (cluster.server === home.cluster.server && namespace === home.namespace) {
      throw usageError(
        `context "${context}" is the server's cluster and namespace "${namespace}" is the server's`,
        'pass --client-namespace with another namespace',
      )
    }
    return {cluster, clientName, namespace}
  })
  const seen = new Set<string>()
  for (const p of providers) {
    if (seen.has(p.clientName)) throw usageError(`two contexts give the client name "${p.clientName}"`, 'install one of them with --name')
    seen.add(p.clientName)
  }
  return providers
}

/** Re-opens a registered client's provider through its context hint (or an explicit context). */
export function providerOf(home: Home, client: RegisteredClient, context?: string): Provider {
  const ctx = context ?? client.context
  if (!ctx) throw usageError(`client "${client.name}" has no known context (it was exported)`, 'pass --to CONTEXT, or re-export it with "kubectl svcgw certs export"')
  return {cluster: home.session.open(ctx), clientName: client.name, namespace: client.namespace ?? DEFAULT_NAMESPACE}
}

/**
 * Providers of every client that has a context; a client exported for an
 * unreachable provider has none, and its operator must carry the change over.
 */
export function reachableProviders(home: Home, registry: Registry, reporter: Reporter): Provider[] {
  for (const client of registry.clients.filter((c) => !c.context)) {
    reporter.warn(`client ${client.name} has no context here: carry this change over with "kubectl svcgw certs export --client ${client.name} --config-only"`)
  }
  return registry.clients.filter((c) => c.context).map((c) => providerOf(home, c))
}
