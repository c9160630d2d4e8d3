import {AggregateSvcgwError, conflictError, SvcgwError, usageError} from '../errors.js'
import {waitForRollout} from '../kube/wait.js'
import type {KeyPair} from '../pki/certificates.js'
import {daysLeft, inspectCertificate, isIssuedBy, serialToDecimal} from '../pki/inspect.js'
import {forgetClient, registerClient, replaceCertificate} from '../registry/changes.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry, RegisteredClient} from '../registry/types.js'
import {formatEndpoint} from '../registry/validate.js'
import {dirs} from '../dataplane/layout.js'
import {clientKeyMaterial, type ClientSecrets, renderClient} from '../render/client.js'
import {assertWithinLimits} from '../render/limits.js'
import {names} from '../render/names.js'
import type {ServerSecrets} from '../render/server.js'
import type {Reporter} from '../ui/reporter.js'
import {type AppliedSet, applyAll, compensate, rollback, withCompensation} from './apply.js'
import {discoverEndpoint, type Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readClientKeyPair, requireServerSecrets} from './key-material.js'
import {confirmServerFiles, confirmTunnelUp} from './live.js'
import {prepareNamespace, undoPrepare} from './namespaces.js'
import {openProviders, type Provider, type ProviderFlags} from './providers.js'
import {certificateRecord} from './server-install.js'
import {revokeUnused} from './certs/revoke.js'
import {issueClientCert} from './secrets.js'
import {type LiveOptions, makeLive, serverLive, serverProxy, syncServerConfig} from './sync.js'

type State = {registry: Registry; settings: ServerSettings}

/** A certificate this close to expiry is replaced rather than kept on re-install. */
const RENEW_WITHIN_DAYS = 30

export interface ClientInstallOptions extends ProviderFlags {
  address?: string
  certDays: number
  wait: boolean
  timeoutMs: number
  relabelNamespace: boolean
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
  revokedSerial?: string
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

interface Certificate {
  pair: KeyPair
  serial: string
  notAfter: string
  fresh: boolean
}

/** Keeps the provider's certificate when it is the registered one, from our CA and not near expiry; otherwise issues one. */
function certificateFor(held: KeyPair | undefined, secrets: ServerSecrets, registered: RegisteredClient | undefined, name: string, days: number): Certificate {
  if (held && registered) {
    const info = inspectCertificate(held.cert)
    if (info.serial === registered.serial && isIssuedBy(held.cert, secrets.ca.cert) && daysLeft(info.notAfter) > RENEW_WITHIN_DAYS) {
      return {pair: held, serial: info.serial, notAfter: info.notAfter.toISOString(), fresh: false}
    }
  }
  const issued = issueClientCert(secrets.ca, name, days)
  return {pair: {cert: issued.cert, key: issued.key}, ...certificateRecord(issued.cert), fresh: true}
}

/** The client's objects, less its namespace (prepared apart, so it is never relabelled unasked). */
const clientObjects = (secrets: ClientSecrets, provider: Provider, stored: State, endpoint: Endpoint) =>
  renderClient(stored.registry, secrets, stored.settings, {
    clientName: provider.clientName,
    namespace: provider.namespace,
    serverAddress: endpoint.address,
    serverPort: endpoint.port,
  }).slice(1)

/**
 * One client: register it (a new one first, so the server's
 * client-config-dir admits it before it dials), write its objects, wait
 * until it is connected, and only then record a replaced certificate and
 * revoke the old one, in one registry update. A failure before that leaves
 * the previous certificate in place and recorded; undoing is reported,
 * never hidden.
 */
async function installOne(home: Home, secrets: ServerSecrets, provider: Provider, options: ClientInstallOptions, reporter: Reporter): Promise<InstalledClient> {
  const deadline = Date.now() + options.timeoutMs
  const live: LiveOptions = {wait: options.wait, deadline}
  const {settings, registry} = await home.store.load()
  const previous = registry.clients.find((c) => c.name === provider.clientName)
  if (previous?.context && previous.context !== provider.cluster.context) {
    throw conflictError(`client name "${provider.clientName}" is already registered for context "${previous.context}"`, 'pass --name with another name')
  }
  const endpoint = await endpointFor(home, settings, provider, options.address)
  const held = await readClientKeyPair(provider.cluster, provider.namespace)
  const certificate = certificateFor(held, secrets, previous, provider.clientName, options.certDays)
  const prepared = await prepareNamespace(provider.cluster, provider.namespace, {relabel: options.relabelNamespace, flag: '--client-namespace'})
  const applied: AppliedSet = {cluster: provider.cluster, created: []}
  try {
    const {stored} = await home.store.update((reg, current) => {
      registerClient(reg, current.tunnelNetwork, {
        name: provider.clientName,
        context: provider.cluster.context,
        namespace: provider.namespace,
        endpoint: formatEndpoint(endpoint.address, endpoint.port),
        certificate,
      })
      assertWithinLimits(reg, current, home.namespace)
    })
    await syncServerConfig(home, stored, reporter)
    await makeLive([serverLive(home)], live, reporter)
    if (!previous && options.wait) {
      // A client that dials before the server pod sees its client-config-dir entry is refused (AUTH_FAILED).
      await confirmServerFiles(serverProxy(home), {present: [`${dirs.ccd}/${provider.clientName}`]}, deadline)
    }
    const caCert = secrets.ca.cert
    await applyAll(provider.cluster, clientObjects({caCert, client: certificate.pair, tlsCrypt: secrets.tlsCrypt}, provider, stored, endpoint), reporter, applied)
    if (options.wait && !provider.cluster.dryRun) {
      await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, Math.max(0, deadline - Date.now()), (line) => reporter.step(line))
      await confirmTunnelUp(serverProxy(home), provider.clientName, deadline, reporter)
    }
  } catch (error) {
    throw withCompensation(error, await undoInstall(home, provider, {applied, prepared, previous, held, secrets, reporter, ...(certificate.fresh ? {fresh: certificate.serial} : {})}))
  }
  let revokedSerial: string | undefined
  if (certificate.fresh && previous) {
    const {stored, result} = await home.store.update((reg) => replaceCertificate(reg, provider.clientName, certificate))
    revokedSerial = result.revoked
    await syncServerConfig(home, stored, reporter)
    await makeLive([serverLive(home)], live, reporter)
    if (revokedSerial && options.wait) await confirmServerFiles(serverProxy(home), {present: [`${dirs.crl}/${serialToDecimal(revokedSerial)}`]}, deadline)
  }
  const record = (await home.store.load()).registry.clients.find((c) => c.name === provider.clientName)
  return {
    name: provider.clientName,
    context: provider.cluster.context,
    namespace: provider.namespace,
    tunnelIP: record?.tunnelIP ?? '',
    serial: certificate.serial,
    notAfter: certificate.notAfter,
    endpoint: formatEndpoint(endpoint.address, endpoint.port),
    newCertificate: certificate.fresh,
    ...(revokedSerial ? {revokedSerial} : {}),
  }
}

interface Undo {
  applied: AppliedSet
  prepared: Awaited<ReturnType<typeof prepareNamespace>>
  previous?: RegisteredClient
  held?: KeyPair
  /** A certificate this run issued for a registered client: never recorded, so revoked on failure. */
  fresh?: string
  secrets: ServerSecrets
  reporter: Reporter
}

/**
 * After a failed install: the objects this run created go; a new client is
 * forgotten (its fresh certificate revoked, so it can never be used); a
 * re-install puts the previous certificate back in the provider.
 */
async function undoInstall(home: Home, provider: Provider, undo: Undo): Promise<string[]> {
  const leftovers = await rollback(undo.applied, undo.reporter)
  if (undo.previous && undo.held) {
    const pair = undo.held
    leftovers.push(
      ...(await compensate(`the previous certificate of ${provider.clientName} in ${provider.cluster.context}`, () =>
        applyAll(provider.cluster, clientKeyMaterial({caCert: undo.secrets.ca.cert, client: pair, tlsCrypt: undo.secrets.tlsCrypt}, provider.namespace), undo.reporter),
      )),
    )
  }
  if (undo.previous && undo.fresh) {
    const serial = undo.fresh
    leftovers.push(...(await compensate(`revoking the unused serial ${serial}`, () => revokeUnused(home, provider.clientName, serial, undo.reporter))))
  }
  if (!undo.previous) {
    leftovers.push(
      ...(await compensate(`the registration of ${provider.clientName}`, async () => {
        const {stored} = await home.store.update((reg) => forgetClient(reg, provider.clientName))
        await syncServerConfig(home, stored, undo.reporter)
      })),
    )
  }
  leftovers.push(...(await compensate(`namespace ${provider.namespace} in ${provider.cluster.context}`, () => undoPrepare(provider.cluster, undo.prepared))))
  return leftovers
}

/** Installs a client in each provider; failures are collected and reported together. */
export async function installClients(home: Home, contexts: string[], options: ClientInstallOptions, reporter: Reporter): Promise<ClientInstallResult> {
  if (contexts.length === 0) throw usageError('no provider context given', 'pass --to CONTEXT')
  await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const providers = openProviders(home, contexts, options)
  const clients: InstalledClient[] = []
  const errors: SvcgwError[] = []
  for (const provider of providers) {
    try {
      clients.push(await installOne(home, secrets, provider, options, reporter))
    } catch (error) {
      if (!(error instanceof SvcgwError)) throw error
      errors.push(error)
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateSvcgwError(errors)
  const would = home.cluster.dryRun ? 'would be ' : ''
  return {
    clients,
    summary: clients
      .map((c) => `client ${c.name} ${would}installed in ${c.context} (namespace ${c.namespace}), tunnel IP ${c.tunnelIP}, dials ${c.endpoint}${c.revokedSerial ? `; replaced certificate ${c.revokedSerial} revoked` : ''}`)
      .join('\n'),
  }
}
