import {AggregateSvcgwError, conflictError, SvcgwError, usageError} from '../errors.js'
import {waitForRollout} from '../kube/wait.js'
import type {KeyPair} from '../pki/certificates.js'
import {inspectCertificate, serialToDecimal} from '../pki/inspect.js'
import {forgetClient, registerClient, replaceCertificate} from '../registry/changes.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry, RegisteredClient} from '../registry/types.js'
import {formatEndpoint} from '../registry/validate.js'
import {dirs} from '../dataplane/layout.js'
import {clientKeyMaterial, type ClientSecrets, renderClient} from '../render/client.js'
import {assertWithinLimits} from '../render/limits.js'
import {names} from '../render/names.js'
import type {Reporter} from '../ui/reporter.js'
import {type AppliedSet, applyAll, compensate, rollback, withCompensation} from './apply.js'
import {discoverEndpoint, type Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readClientKeys} from './key-material.js'
import {caSerialOf, describeIssued, type HomeKeys, type IssuedClient, issueClient, pemsOf, requireHomeKeys, usable} from './authority.js'
import {clientTrustNow, recordClientKeys} from '../registry/ca-rotation.js'
import {pkiOf} from '../registry/settings.js'
import {confirmServerFiles, confirmTunnelUp} from './live.js'
import {prepareNamespace, undoPrepare} from './namespaces.js'
import {openProviders, type Provider, type ProviderFlags} from './providers.js'
import {revokeUnused} from './certs/revoke.js'
import {type LiveOptions, makeLive, serverLive, serverProxy, syncServerConfig} from './sync.js'

type State = {registry: Registry; settings: ServerSettings}

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

interface Certificate extends IssuedClient {
  fresh: boolean
}

/**
 * Keeps the provider's certificate when it is the registered one and still
 * usable (from the current CA, not revoked, not near expiry); otherwise the
 * authority issues one (cert-manager mode: the one cert-manager holds now,
 * if usable).
 */
async function certificateFor(home: Home, state: State, keys: HomeKeys, held: KeyPair | undefined, registered: RegisteredClient | undefined, name: string, options: ClientInstallOptions, deadline: number, reporter: Reporter): Promise<Certificate> {
  if (held && registered && pkiOf(state.settings).mode === 'self') {
    const kept = caSerialOf(keys, held.cert) ? describeIssued(held, keys) : undefined
    if (kept && kept.serial === registered.serial && usable(kept, state.registry)) return {...kept, fresh: false}
  }
  const issued = await issueClient(home, state, keys, name, {days: options.certDays, renew: false, deadline, reporter})
  return {...issued, fresh: !(held && inspectCertificate(held.cert).serial === issued.serial && registered?.serial === issued.serial)}
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
async function installOne(home: Home, keys: HomeKeys, provider: Provider, options: ClientInstallOptions, reporter: Reporter): Promise<InstalledClient> {
  const deadline = Date.now() + options.timeoutMs
  const live: LiveOptions = {wait: options.wait, deadline}
  const state = await home.store.load()
  const {settings, registry} = state
  const previous = registry.clients.find((c) => c.name === provider.clientName)
  if (previous?.context && previous.context !== provider.cluster.context) {
    throw conflictError(`client name "${provider.clientName}" is already registered for context "${previous.context}"`, 'pass --name with another name')
  }
  const endpoint = await endpointFor(home, settings, provider, options.address)
  const heldKeys = await readClientKeys(provider.cluster, provider.namespace)
  const held = heldKeys?.pair
  const certificate = await certificateFor(home, state, keys, held, previous, provider.clientName, options, deadline, reporter)
  const trust = clientTrustNow(registry)
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
      // A new client holds and trusts what it is given; a re-installed one, once it runs it (below).
      if (!previous) recordClientKeys(reg, provider.clientName, {ca: certificate.ca, trust})
      assertWithinLimits(reg, current, home.namespace)
    })
    await syncServerConfig(home, stored, reporter)
    await makeLive([serverLive(home)], live, reporter)
    if (!previous && options.wait) {
      // A client that dials before the server pod sees its client-config-dir entry is refused (AUTH_FAILED).
      await confirmServerFiles(serverProxy(home), {present: [`${dirs.ccd}/${provider.clientName}`]}, deadline)
    }
    const caCert = pemsOf(keys, trust).join('')
    await applyAll(provider.cluster, clientObjects({caCert, client: certificate.pair, tlsCrypt: keys.tlsCrypt}, provider, stored, endpoint), reporter, applied)
    if (options.wait && !provider.cluster.dryRun) {
      await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, Math.max(0, deadline - Date.now()), (line) => reporter.step(line))
      await confirmTunnelUp(serverProxy(home), provider.clientName, deadline, reporter)
    }
  } catch (error) {
    throw withCompensation(error, await undoInstall(home, provider, {applied, prepared, previous, held: heldKeys, tlsCrypt: keys.tlsCrypt, reporter, ...(certificate.fresh ? {fresh: certificate.serial} : {})}))
  }
  let revokedSerial: string | undefined
  if (previous) {
    const {stored, result} = await home.store.update((reg) => {
      const replaced = certificate.fresh ? replaceCertificate(reg, provider.clientName, certificate) : {}
      recordClientKeys(reg, provider.clientName, {ca: certificate.ca, trust})
      return replaced
    })
    revokedSerial = result.revoked
    if (revokedSerial) {
      await syncServerConfig(home, stored, reporter)
      await makeLive([serverLive(home)], live, reporter)
      if (options.wait) await confirmServerFiles(serverProxy(home), {present: [`${dirs.crl}/${serialToDecimal(revokedSerial)}`]}, deadline)
    }
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
  held?: {pair: KeyPair; ca?: string}
  /** A certificate this run issued for a registered client: never recorded, so revoked on failure. */
  fresh?: string
  tlsCrypt: string
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
        applyAll(provider.cluster, clientKeyMaterial({caCert: pair.ca ?? '', client: pair.pair, tlsCrypt: undo.tlsCrypt}, provider.namespace), undo.reporter),
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
  const state = await home.store.load()
  const keys = await requireHomeKeys(home, state)
  // A provider whose chart client is being taken over: the plugin's client goes beside it, under the same name.
  const providers = openProviders(home, contexts, options, (context) => state.registry.takeover?.clients.find((c) => c.context === context))
  const clients: InstalledClient[] = []
  const errors: SvcgwError[] = []
  for (const provider of providers) {
    try {
      clients.push(await installOne(home, keys, provider, options, reporter))
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
