import {conflictError, usageError} from '../errors.js'
import type {ConfigMap, Secret} from '../kube/object.js'
import {createCA, issueClientCertificate, type KeyPair} from '../pki/certificates.js'
import {daysLeft, inspectCertificate, issuerAmong, normalPem, splitPemBundle} from '../pki/inspect.js'
import {type IssuerRef, type PkiMode, pkiOf, type ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {caSecretNameOf, clientCertificate, cmNames} from '../render/cert-manager.js'
import {names, secretKeys} from '../render/names.js'
import type {Stored} from '../store/registry-store.js'
import type {Reporter} from '../ui/reporter.js'
import {applyAll} from './apply.js'
import {readIssuedSecret, renewCertificate, requireCertManager, requireIssuedSecret, waitCertificate} from './cert-manager/operations.js'
import {Home} from './home.js'
import {missingServerKeys} from './key-material.js'
import {issueClientCert} from './secrets.js'

type State = Pick<Stored, 'registry' | 'settings'>

/**
 * The server side's key material as the plugin sees it, whoever issues it:
 * the plugin (self mode: service-gw-ca holds the CA's key pair) or
 * cert-manager (its Secrets). The CA certificates the gateway trusts are
 * kept in the server's trust ConfigMap (svcgw-server-trust), which is also
 * where a previous CA's certificate stays during a CA rotation.
 */
export interface HomeKeys {
  mode: PkiMode
  /** The CA that issues now: its certificate, and its key in self mode when the CA is ours. */
  ca: {cert: string; key?: string}
  /** Every CA certificate known here (current, and previous during a rotation), by serial. */
  caCerts: Map<string, string>
  server: KeyPair
  tlsCrypt: string
}

const decode = (secret: Secret | undefined, key: string): string | undefined => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
}

const readSecret = (home: Home, name: string) => home.cluster.read<Secret>({apiVersion: 'v1', kind: 'Secret', name, namespace: home.namespace})

/** The issuer of the gateway's leaf certificates in cert-manager mode: the user's, or the CA Issuer of our current CA. */
export function issuerRefOf(state: State): IssuerRef {
  const pki = pkiOf(state.settings)
  return pki.issuer ?? {kind: 'Issuer', name: state.registry.certificates?.ca?.issuer ?? cmNames.ca}
}

/** The CA certificates of the trust ConfigMap, if there is one. */
export async function readTrust(home: Home): Promise<string[] | undefined> {
  const cm = await home.cluster.read<ConfigMap>({apiVersion: 'v1', kind: 'ConfigMap', name: names.serverTrust, namespace: home.namespace})
  const text = cm?.data?.[secretKeys.ca]
  return text === undefined ? undefined : splitPemBundle(text)
}

/** The home side's keys, or undefined before the first install. */
export async function readHomeKeys(home: Home, state: State): Promise<HomeKeys | undefined> {
  const pki = pkiOf(state.settings)
  const [serverSecret, tlsCryptSecret, trust] = await Promise.all([readSecret(home, names.serverCertificates), readSecret(home, names.tlsCrypt), readTrust(home)])
  const server = {cert: decode(serverSecret, secretKeys.cert), key: decode(serverSecret, secretKeys.key)}
  const tlsCrypt = decode(tlsCryptSecret, secretKeys.tlsCrypt)
  if (!server.cert || !server.key || !tlsCrypt) return undefined
  let ca: HomeKeys['ca'] | undefined
  if (pki.mode === 'self') {
    const secret = await readSecret(home, names.ca)
    const cert = decode(secret, secretKeys.cert)
    const key = decode(secret, secretKeys.key)
    if (cert) ca = {cert, ...(key ? {key} : {})}
    // A chart adopted without its CA key: the CA certificate is the trust ConfigMap's (or the server Secret's ca.crt).
    ca ??= pki.noCaKey ? {cert: (trust ?? splitPemBundle(decode(serverSecret, secretKeys.ca) ?? ''))[0]} : undefined
  } else {
    const issuer = state.registry.certificates?.ca?.issuer
    const cert = issuer ? decode(await readSecret(home, caSecretNameOf(issuer)), secretKeys.cert) : undefined
    const published = splitPemBundle(decode(serverSecret, secretKeys.ca) ?? '')[0]
    const current = cert ?? published ?? trust?.[0]
    if (current) ca = {cert: current}
  }
  if (!ca?.cert) return undefined
  const caCerts = new Map<string, string>()
  for (const pem of [ca.cert, ...(trust ?? [])]) caCerts.set(inspectCertificate(pem).serial, pem)
  return {mode: pki.mode, ca, caCerts, server: {cert: server.cert, key: server.key}, tlsCrypt}
}

export async function requireHomeKeys(home: Home, state: State): Promise<HomeKeys> {
  const keys = await readHomeKeys(home, state)
  if (!keys) throw missingServerKeys(home.cluster, home.namespace)
  return keys
}

/** The CA certificates with these serials, in that order (a trust bundle). */
export function pemsOf(keys: HomeKeys, serials: string[]): string[] {
  return serials.map((serial) => {
    const pem = keys.caCerts.get(serial)
    if (!pem) {
      throw conflictError(`the certificate of CA ${serial} is not in the trust ConfigMap ${names.serverTrust}`, 'run "kubectl svcgw server install" again to restore it')
    }
    return normalPem(pem)
  })
}

/** The serial of the CA (among those known) that issued `pem`. */
export function caSerialOf(keys: HomeKeys, pem: string): string | undefined {
  const issuer = issuerAmong(pem, [...keys.caCerts.values()])
  return issuer ? inspectCertificate(issuer).serial : undefined
}

/** A client certificate as issued, with the facts the registry records. */
export interface IssuedClient {
  pair: KeyPair
  serial: string
  notAfter: string
  /** Serial of the CA that issued it. */
  ca: string
}

export function describeIssued(pair: KeyPair, keys: HomeKeys): IssuedClient {
  const info = inspectCertificate(pair.cert)
  const ca = caSerialOf(keys, pair.cert)
  if (!ca) throw conflictError(`the certificate of ${info.commonName} (serial ${info.serial}) was not issued by a CA the gateway trusts`, 'check the issuer, or rotate the CA')
  return {pair, serial: info.serial, notAfter: info.notAfter.toISOString(), ca}
}

/** A certificate this close to expiry is replaced rather than kept. */
export const RENEW_WITHIN_DAYS = 30

/** Whether a certificate may be kept for a client: issued by the current CA, not revoked, not near expiry. */
export function usable(issued: IssuedClient, registry: Registry, avoid: string[] = []): boolean {
  return (
    issued.ca === registry.certificates?.ca?.serial &&
    !registry.revoked.some((r) => r.serial === issued.serial) &&
    !avoid.includes(issued.serial) &&
    daysLeft(new Date(issued.notAfter)) > RENEW_WITHIN_DAYS
  )
}

export interface IssueOptions {
  days: number
  /** Ask for a new certificate even when the one issued is usable (a rotation). */
  renew: boolean
  /** Serials that must not be handed out again (the one the provider holds, for a rotation). */
  avoid?: string[]
  deadline: number
  reporter: Reporter
}

/**
 * The certificate a client should hold now. Self mode: a new one from the
 * current CA (the plugin keeps no copy; the caller keeps a provider's
 * usable one). cert-manager mode: the client's Certificate, applied with
 * the current issuer and Ready; a new issuance is asked for when `renew`, or
 * when what it holds is not usable (revoked, from another CA, avoided).
 */
export async function issueClient(home: Home, state: State, keys: HomeKeys, name: string, options: IssueOptions): Promise<IssuedClient> {
  const pki = pkiOf(state.settings)
  if (pki.mode === 'self') {
    if (!keys.ca.key) {
      throw usageError(
        `the gateway holds no key of its CA (${inspectCertificate(keys.ca.cert).commonName}), so it cannot issue a certificate for ${name}`,
        'adopt again with --ca-key-file, or make a CA of the gateway\'s own with "kubectl svcgw certs rotate --ca"',
      )
    }
    const issued = issueClientCert({cert: keys.ca.cert, key: keys.ca.key}, name, options.days)
    return describeIssued({cert: issued.cert, key: issued.key}, keys)
  }
  const {cluster, namespace} = home
  await requireCertManager(cluster)
  const certificate = clientCertificate(name, namespace, issuerRefOf(state), pki)
  await applyAll(cluster, [certificate], options.reporter)
  let ready = await waitCertificate(cluster, namespace, certificate.metadata.name, options.deadline)
  const secretName = certificate.spec.secretName
  const held = await readIssuedSecret(cluster, namespace, secretName)
  const current = held && !cluster.dryRun ? describeIssued(held, keys) : undefined
  if (!current || options.renew || !usable(current, state.registry, options.avoid)) {
    const before = await renewCertificate(cluster, namespace, certificate.metadata.name, options.reporter)
    ready = await waitCertificate(cluster, namespace, certificate.metadata.name, options.deadline, before)
  }
  void ready
  if (cluster.dryRun) {
    // cert-manager issues nothing in a dry run: the provider's objects are shown with a stand-in
    // certificate (masked unless --show-secrets), so the diff covers every object it would write.
    const standIn = issueClientCertificate(createCA({commonName: 'dry-run-stand-in'}), {commonName: name})
    const info = inspectCertificate(standIn.cert)
    return {pair: {cert: standIn.cert, key: standIn.key}, serial: info.serial, notAfter: info.notAfter.toISOString(), ca: state.registry.certificates?.ca?.serial ?? ''}
  }
  const issued = describeIssued(await requireIssuedSecret(cluster, namespace, secretName, certificate.metadata.name), keys)
  options.reporter.step(`cert-manager issued certificate/${certificate.metadata.name}: serial ${issued.serial}, valid until ${issued.notAfter}`)
  return issued
}

/** cert-manager mode: the certificate cert-manager holds for a client now, if any (what `certs status` compares providers with). */
export async function certManagerHolds(home: Home, keys: HomeKeys, name: string): Promise<IssuedClient | undefined> {
  const held = await readIssuedSecret(home.cluster, home.namespace, cmNames.clientSecret(name))
  if (!held) return undefined
  const info = inspectCertificate(held.cert)
  return {pair: held, serial: info.serial, notAfter: info.notAfter.toISOString(), ca: caSerialOf(keys, held.cert) ?? ''}
}

/** The settings' mode in words, for summaries. */
export const modeWords = (settings: ServerSettings): string => {
  const pki = pkiOf(settings)
  return pki.mode === 'self' ? 'issued by the plugin' : `issued by cert-manager (${pki.issuer ? `${pki.issuer.kind} ${pki.issuer.name}` : 'the gateway\'s CA Issuer'})`
}
