import {dirs} from '../../dataplane/layout.js'
import {usageError} from '../../errors.js'
import {inspectCertificate, serialToDecimal} from '../../pki/inspect.js'
import {clientTrustNow, recordClientKeys, recordServerCertificate, serverTrustOf} from '../../registry/ca-rotation.js'
import {replaceCertificate, supersedeCertificate} from '../../registry/changes.js'
import {pkiOf} from '../../registry/settings.js'
import type {RegisteredClient} from '../../registry/types.js'
import {cmNames} from '../../render/cert-manager.js'
import {names, SERVER_COMMON_NAME} from '../../render/names.js'
import type {Reporter} from '../../ui/reporter.js'
import {withCompensation, compensate} from '../apply.js'
import {type HomeKeys, type IssuedClient, issueClient, pemsOf, requireHomeKeys} from '../authority.js'
import {renewCertificate, requireIssuedSecret, waitCertificate} from '../cert-manager/operations.js'
import {distribute, providerKeys, type ProviderKeys} from '../distribute.js'
import {Home} from '../home.js'
import {readClientKeys} from '../key-material.js'
import {confirmServerFiles} from '../live.js'
import {type Provider, providerOf} from '../providers.js'
import {certificateRecord} from '../server-install.js'
import {applyServerKeys} from '../server-keys.js'
import {issueServerCert} from '../secrets.js'
import {type LiveOptions, makeLive, serverLive, serverProxy, syncServerConfig} from '../sync.js'
import {clientBySelector, revokeUnused} from './revoke.js'

export interface RotateResult {
  name: string
  context?: string
  oldSerial: string
  newSerial: string
  notAfter: string
  /** Whether the old certificate is revoked (after the reconnect was seen) or left valid, superseded. */
  oldRevoked: boolean
  summary: string
}

/** One client's part of a rotation: a RotateResult without its summary. */
export interface ClientMove extends Omit<RotateResult, 'summary'> {
  /** Whether a new certificate reached the provider (false: only its trusted CAs changed, or nothing). */
  newCertificate: boolean
}

/**
 * Brings one provider to `issued` (a certificate) and `trust` (the CAs of
 * its ca.crt): written there, the client seen connected with them (its new
 * pod Ready, and Ready means connected), and only then one registry update:
 * the new serial recorded, the old one revoked, what it holds and trusts
 * noted. A failure before that puts the previous keys back in the provider
 * and revokes the certificate it would have received (nobody is meant to
 * hold it). Without --wait nothing is seen, so the old certificate stays
 * valid and is listed as superseded.
 */
export async function moveClient(
  home: Home,
  client: RegisteredClient,
  provider: Provider,
  keys: HomeKeys,
  issued: IssuedClient,
  trust: string[],
  live: LiveOptions,
  reporter: Reporter,
): Promise<ClientMove> {
  const state = await home.store.load()
  const held = await readClientKeys(provider.cluster, provider.namespace)
  const previous: ProviderKeys | undefined = held ? providerKeys(held) : undefined
  const newCertificate = issued.serial !== client.serial
  const result = await distribute(state, provider, {pair: issued.pair, trust: pemsOf(keys, trust)}, previous, keys.tlsCrypt, live, reporter)
  if (result.error) {
    const leftovers = [...result.leftovers]
    if (newCertificate) leftovers.push(...(await compensate(`revoking the unused serial ${issued.serial}`, () => revokeUnused(home, client.name, issued.serial, reporter))))
    throw withCompensation(result.error, leftovers)
  }
  const record = {serial: issued.serial, notAfter: issued.notAfter}
  if (!live.wait && newCertificate) {
    await home.store.update((reg) => {
      supersedeCertificate(reg, client.name, record)
      recordClientKeys(reg, client.name, {ca: issued.ca, trust})
    })
    reporter.warn(`not waiting for the reconnect (--no-wait): serial ${client.serial} stays valid; revoke it with "kubectl svcgw certs revoke --client ${client.name} --superseded" once the client runs the new one`)
  } else {
    const {stored} = await home.store.update((reg) => {
      const {revoked} = replaceCertificate(reg, client.name, record)
      recordClientKeys(reg, client.name, {ca: issued.ca, trust})
      return revoked
    })
    if (newCertificate) {
      await syncServerConfig(home, stored, reporter)
      await makeLive([serverLive(home)], live, reporter)
      if (live.wait) await confirmServerFiles(serverProxy(home), {present: [`${dirs.crl}/${serialToDecimal(client.serial)}`]}, live.deadline)
    }
  }
  return {
    name: client.name,
    ...(client.context ? {context: client.context} : {}),
    oldSerial: client.serial,
    newSerial: issued.serial,
    notAfter: issued.notAfter,
    oldRevoked: newCertificate && live.wait,
    newCertificate,
  }
}

/**
 * A new client certificate (self mode: from the plugin's CA; cert-manager
 * mode: asked of cert-manager as `cmctl renew` does), distributed to the
 * provider, the client seen connected with it, then the old serial revoked.
 */
export async function rotateClient(home: Home, selector: {client?: string; context?: string}, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<RotateResult> {
  const state = await home.store.load()
  const client = clientBySelector(state.registry, selector)
  const provider = providerOf(home, client, selector.context)
  const keys = await requireHomeKeys(home, state)
  const issued = await issueClient(home, state, keys, client.name, {days: options.certDays, renew: true, avoid: [client.serial], deadline: options.deadline, reporter})
  const moved = await moveClient(home, client, provider, keys, issued, clientTrustNow(state.registry), options, reporter)
  const verb = home.cluster.dryRun ? 'would rotate' : 'rotated'
  return {
    ...moved,
    summary: `${verb} the certificate of client ${client.name}: serial ${issued.serial} valid until ${issued.notAfter}; old serial ${client.serial} ${moved.oldRevoked ? 'revoked' : 'still valid (superseded)'}`,
  }
}

/**
 * A new server certificate from the current CA (self mode: the plugin's;
 * cert-manager mode: asked of cert-manager), loaded by the running server in
 * place: no new pod; clients reconnect within about a second.
 */
export async function rotateServer(home: Home, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<RotateResult> {
  const state = await home.store.load()
  const keys = await requireHomeKeys(home, state)
  const old = inspectCertificate(keys.server.cert)
  const server = await newServerCertificate(home, state, keys, options.certDays, options.deadline, reporter)
  const trust = pemsOf(keys, serverTrustOf(state.registry))
  await applyServerKeys(home, state.settings, {server, trust, tlsCrypt: keys.tlsCrypt, ownSecret: pkiOf(state.settings).mode === 'self'}, options, reporter)
  const record = certificateRecord(server.cert)
  await home.store.update((reg) => recordServerCertificate(reg, record, reg.certificates?.ca?.serial ?? ''))
  return {
    name: state.settings.serverName ?? SERVER_COMMON_NAME,
    oldSerial: old.serial,
    newSerial: record.serial,
    notAfter: record.notAfter,
    oldRevoked: false,
    summary: `${home.cluster.dryRun ? 'would rotate' : 'rotated'} the server certificate: serial ${record.serial} valid until ${record.notAfter}; the server loaded it in place and its clients reconnected`,
  }
}

/** The server's next certificate from the current CA: issued here (self) or by cert-manager. */
export async function newServerCertificate(
  home: Home,
  state: Parameters<typeof requireHomeKeys>[1],
  keys: HomeKeys,
  certDays: number,
  deadline: number,
  reporter: Reporter,
): Promise<{cert: string; key: string}> {
  if (pkiOf(state.settings).mode === 'self') {
    if (!keys.ca.key) throw usageError('the gateway holds no key of its CA, so it cannot issue a server certificate', 'make a CA of its own with "kubectl svcgw certs rotate --ca"')
    const issued = issueServerCert({cert: keys.ca.cert, key: keys.ca.key}, certDays, state.settings.serverName ? {commonName: state.settings.serverName} : {})
    return {cert: issued.cert, key: issued.key}
  }
  const {cluster, namespace} = home
  const before = await renewCertificate(cluster, namespace, cmNames.server, reporter)
  await waitCertificate(cluster, namespace, cmNames.server, deadline, before)
  if (cluster.dryRun) return keys.server
  const issued = await requireIssuedSecret(cluster, namespace, names.serverCertificates, cmNames.server)
  return {cert: issued.cert, key: issued.key}
}
