import {conflictError, SvcgwError, AggregateSvcgwError} from '../errors.js'
import {applyAll, AppliedSet, rollback} from '../kube/apply-all.js'
import {waitForRollout} from '../kube/wait.js'
import {KeyPair} from '../pki/certificates.js'
import {daysLeft, inspectCertificate, isIssuedBy} from '../pki/inspect.js'
import {allocateTunnelIP} from '../registry/allocate.js'
import {RegisteredClient} from '../registry/types.js'
import {renderClient} from '../render/client.js'
import {names} from '../render/names.js'
import {ServerSecrets} from '../render/server.js'
import {ServerSettings} from '../render/settings.js'
import {Reporter} from '../ui/reporter.js'
import {discoverEndpoint, Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readClientKeyPair, requireServerSecrets} from './key-material.js'
import {openProviders, Provider, ProviderFlags} from './providers.js'
import {issueClientCert} from './secrets.js'
import {syncServer} from './sync.js'
import {usageError} from '../errors.js'

/** A certificate this close to expiry is replaced rather than kept on re-install. */
const RENEW_WITHIN_DAYS = 30

export interface ClientInstallFlags extends ProviderFlags {
  address?: string
  'cert-days': number
  wait: boolean
  timeout: number
}

export interface InstalledClient {
  name: string
  context: string
  namespace: string
  tunnelIP: string
  serial: string
  notAfter: string
  endpoint: string
  newCertificate: boolean
}

export interface ClientInstallResult {
  clients: InstalledClient[]
  summary: string
}

async function endpointFor(home: Home, settings: ServerSettings, provider: Provider, address?: string): Promise<Endpoint> {
  const override = address ? {...settings, address} : settings
  const sameCluster = provider.cluster.server === home.cluster.server
  const endpoint = await discoverEndpoint(home.cluster, home.namespace, override, sameCluster)
  if (!endpoint) {
    throw new SvcgwError(
      'unreachable',
      `the server in context "${home.cluster.context}" has no reachable address yet (its ${settings.serviceType} Service has none)`,
      'wait for the load balancer, or pass --address',
    )
  }
  return endpoint
}

/** Keeps the provider's certificate when it is ours, current and not near expiry; otherwise issues one. */
async function certificateFor(provider: Provider, secrets: ServerSecrets, registered: RegisteredClient | undefined, days: number) {
  const held = await readClientKeyPair(provider.cluster, provider.namespace)
  if (held && registered && reusable(held, secrets, registered)) return {pair: held, serial: registered.serial, fresh: false}
  const issued = issueClientCert(secrets.ca, provider.clientName, days)
  return {pair: {cert: issued.cert, key: issued.key} as KeyPair, serial: issued.serial, fresh: true}
}

function reusable(held: KeyPair, secrets: ServerSecrets, registered: RegisteredClient): boolean {
  const info = inspectCertificate(held.cert)
  return info.serial === registered.serial && isIssuedBy(held.cert, secrets.ca.cert) && daysLeft(info.notAfter) > RENEW_WITHIN_DAYS
}

async function installOne(
  home: Home,
  secrets: ServerSecrets,
  provider: Provider,
  flags: ClientInstallFlags,
  reporter: Reporter,
): Promise<InstalledClient> {
  const {settings, registry} = await home.store.load()
  const previous = registry.clients.find((c) => c.name === provider.clientName)
  if (previous?.context && previous.context !== provider.cluster.context) {
    throw conflictError(
      `client name "${provider.clientName}" is already registered for context "${previous.context}"`,
      'pass --name with another name',
    )
  }
  const endpoint = await endpointFor(home, settings, provider, flags.address)
  const certificate = await certificateFor(provider, secrets, previous, flags['cert-days'])
  const notAfter = inspectCertificate(certificate.pair.cert).notAfter.toISOString()
  const {stored} = await home.store.update((reg) => {
    const existing = reg.clients.find((c) => c.name === provider.clientName)
    const record: RegisteredClient = {
      name: provider.clientName,
      tunnelIP: existing?.tunnelIP ?? allocateTunnelIP(reg, settings.tunnelNetwork),
      serial: certificate.serial,
      notAfter,
      context: provider.cluster.context,
      namespace: provider.namespace,
      endpoint: `${endpoint.address}:${endpoint.port}`,
    }
    // A replaced certificate may still sit somewhere: revoke it.
    if (existing && existing.serial !== record.serial && !reg.revoked.some((r) => r.serial === existing.serial)) {
      reg.revoked.push({serial: existing.serial, commonName: existing.name, revokedAt: new Date().toISOString()})
    }
    reg.clients = [...reg.clients.filter((c) => c.name !== record.name), record]
  })
  const record = stored.registry.clients.find((c) => c.name === provider.clientName)!
  const applied: AppliedSet = {cluster: provider.cluster, created: []}
  try {
    const objects = renderClient(
      stored.registry,
      {caCert: secrets.ca.cert, client: certificate.pair, tlsCrypt: secrets.tlsCrypt},
      stored.settings,
      {clientName: provider.clientName, namespace: provider.namespace, serverAddress: endpoint.address, serverPort: endpoint.port},
    )
    await applyAll(provider.cluster, objects, reporter, applied)
    await syncServer(home, stored.registry, stored.settings, secrets, reporter)
    if (flags.wait) await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, flags.timeout, reporter)
  } catch (error) {
    await rollback(applied, reporter)
    if (!previous) {
      const {stored: after} = await home.store.update((reg) => {
        reg.clients = reg.clients.filter((c) => c.name !== provider.clientName)
      })
      await syncServer(home, after.registry, after.settings, secrets, reporter).catch(() => {})
    }
    throw error
  }
  return {
    name: record.name,
    context: provider.cluster.context,
    namespace: provider.namespace,
    tunnelIP: record.tunnelIP,
    serial: record.serial,
    notAfter: record.notAfter,
    endpoint: record.endpoint ?? '',
    newCertificate: certificate.fresh,
  }
}

/** Installs a client in each provider; failures are collected and reported together. */
export async function installClients(home: Home, contexts: string[], flags: ClientInstallFlags, reporter: Reporter): Promise<ClientInstallResult> {
  if (contexts.length === 0) throw usageError('no provider context given', 'pass --to CONTEXT')
  await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const providers = openProviders(home, contexts, flags)
  const clients: InstalledClient[] = []
  const errors: SvcgwError[] = []
  for (const provider of providers) {
    try {
      clients.push(await installOne(home, secrets, provider, flags, reporter))
    } catch (error) {
      if (!(error instanceof SvcgwError)) throw error
      errors.push(error)
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSvcgwError(errors)
  return {
    clients,
    summary: clients
      .map((c) => `client ${c.name} installed in ${c.context} (namespace ${c.namespace}), tunnel IP ${c.tunnelIP}, dials ${c.endpoint}`)
      .join('\n'),
  }
}
