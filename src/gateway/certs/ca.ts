import {randomBytes} from 'node:crypto'

import {SvcgwError, usageError} from '../../errors.js'
import type {Secret} from '../../kube/object.js'
import {createCA, newCaCommonName} from '../../pki/certificates.js'
import {inspectCertificate} from '../../pki/inspect.js'
import {beginCaRotation, caRotation, finishCaRotation, moveServer} from '../../registry/ca-rotation.js'
import {pkiOf} from '../../registry/settings.js'
import type {CaRecord, RegisteredClient} from '../../registry/types.js'
import {CERT_MANAGER_API, caCertificate, caIssuer, caSecretNameOf, cmNames, serverCertificate} from '../../render/cert-manager.js'
import {names, secretKeys} from '../../render/names.js'
import {caSecret, serverTrust} from '../../render/server.js'
import type {Reporter} from '../../ui/reporter.js'
import {applyAll} from '../apply.js'
import {describeIssued, type HomeKeys, issueClient, pemsOf, readHomeKeys, requireHomeKeys} from '../authority.js'
import {readCertificate, requireCertManager, requireIssuedSecret, waitCertificate, waitIssuer} from '../cert-manager/operations.js'
import {Home} from '../home.js'
import {readClientKeys} from '../key-material.js'
import {providerOf} from '../providers.js'
import {certificateRecord} from '../server-install.js'
import {applyServerKeys} from '../server-keys.js'
import {issueServerCert} from '../secrets.js'
import {type LiveOptions, makeLive, serverLive, syncServerConfig} from '../sync.js'
import {type ClientMove, moveClient} from './rotate.js'

/** Where a new CA waits in self mode between its making and the registry naming it (a rerun finds it there). */
const NEXT_CA_SECRET = `${names.ca}-next`

export interface CaRotateResult {
  ca: string
  previousCa: string
  /** Steps done by this run, in order. */
  done: string[]
  clients: ClientMove[]
  /** Clients that could not be reached: still on the previous CA. */
  pending: Array<{name: string; reason: string}>
  finished: boolean
  summary: string
}

const secretRef = (home: Home, name: string) => ({apiVersion: 'v1', kind: 'Secret', name, namespace: home.namespace})

const decode = (secret: Secret | undefined, key: string) => {
  const value = secret?.data?.[key]
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
}

/**
 * Makes the new CA and starts the rotation: the registry names it, the
 * server trusts both CAs (trust bundle, loaded in place). Self mode: a new
 * CA key pair in service-gw-ca (kept first in service-gw-ca-next, so a run
 * that dies halfway is finished by the next). cert-manager mode: a new CA
 * Certificate and CA Issuer of our chain, each Ready first.
 */
async function begin(home: Home, options: {caDays: number; deadline: number}, reporter: Reporter): Promise<void> {
  const state = await home.store.load()
  const pki = pkiOf(state.settings)
  const {cluster, namespace} = home
  let next: CaRecord
  let nextCert: string
  if (pki.mode === 'self') {
    const staged = await cluster.read<Secret>(secretRef(home, NEXT_CA_SECRET))
    const stagedPair = {cert: decode(staged, secretKeys.cert), key: decode(staged, secretKeys.key)}
    const ca = stagedPair.cert && stagedPair.key ? {cert: stagedPair.cert, key: stagedPair.key} : createCA({commonName: newCaCommonName(), validityDays: options.caDays})
    if (!staged) await applyAll(cluster, [caSecret(ca, namespace, NEXT_CA_SECRET)], reporter)
    next = certificateRecord(ca.cert)
    nextCert = ca.cert
  } else {
    if (pki.issuer) {
      throw usageError(
        `the gateway's certificates come from ${pki.issuer.kind} ${pki.issuer.name}, whose CA the gateway does not manage`,
        `rotate that issuer's CA with its own tooling; "certs rotate --ca" rotates the CA chain the gateway made itself`,
      )
    }
    await requireCertManager(cluster)
    const name = `${cmNames.ca}-${randomBytes(3).toString('hex')}`
    await applyAll(cluster, [caCertificate(name, newCaCommonName(), namespace)], reporter)
    await waitCertificate(cluster, namespace, name, options.deadline)
    await applyAll(cluster, [caIssuer(name, namespace)], reporter)
    await waitIssuer(cluster, {kind: 'Issuer', name}, namespace, options.deadline)
    if (cluster.dryRun) {
      const standIn = createCA({commonName: 'dry-run-stand-in'})
      nextCert = standIn.cert
    } else {
      nextCert = (await requireIssuedSecret(cluster, namespace, caSecretNameOf(name), name)).cert
    }
    next = {...certificateRecord(nextCert), issuer: name}
  }
  const keys = await requireHomeKeys(home, state)
  const {stored} = await home.store.update((reg) => beginCaRotation(reg, next))
  // The trust bundle first: it keeps the previous CA's certificate, which service-gw-ca is about to lose.
  const trust = [nextCert, ...pemsOf(keys, [stored.registry.certificates!.previousCa!.serial])]
  await applyAll(cluster, [serverTrust(trust, namespace)], reporter)
  if (pki.mode === 'self') {
    const staged = await cluster.read<Secret>(secretRef(home, NEXT_CA_SECRET))
    const cert = decode(staged, secretKeys.cert)
    const key = decode(staged, secretKeys.key)
    if (cert && key) await applyAll(cluster, [caSecret({cert, key}, namespace)], reporter)
    await cluster.remove(secretRef(home, NEXT_CA_SECRET))
  }
  reporter.step(`${cluster.dryRun ? 'would start' : 'started'} the CA rotation: new CA ${next.serial}, previous ${keys.ca.cert ? inspectCertificate(keys.ca.cert).serial : '?'}`)
}

/** The server trusts both CAs: its bundle written and loaded in place. */
async function serverTrustsBoth(home: Home, live: LiveOptions, reporter: Reporter): Promise<void> {
  const state = await home.store.load()
  const keys = await requireHomeKeys(home, state)
  const rotation = caRotation(state.registry)!
  const trust = pemsOf(keys, [rotation.current.serial, rotation.previous.serial])
  await applyServerKeys(home, state.settings, {server: keys.server, trust, tlsCrypt: keys.tlsCrypt, ownSecret: pkiOf(state.settings).mode === 'self'}, live, reporter)
}

/**
 * Step 3: the server's certificate from the new CA, the new CA alone
 * trusted, and the previous CA's serial revoked (refused at every depth):
 * loaded in place, then the revocation made live.
 */
async function moveTheServer(home: Home, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<void> {
  const state = await home.store.load()
  const keys = await requireHomeKeys(home, state)
  const rotation = caRotation(state.registry)!
  const {cluster, namespace} = home
  let server = keys.server
  if (pkiOf(state.settings).mode === 'self') {
    if (!keys.ca.key) throw usageError('the gateway holds no key of its new CA', 'run "kubectl svcgw certs rotate --ca" again')
    const issued = issueServerCert({cert: keys.ca.cert, key: keys.ca.key}, options.certDays)
    server = {cert: issued.cert, key: issued.key}
  } else if (!keys.server.cert || caOf(keys, keys.server.cert) !== rotation.current.serial) {
    const issuer = {kind: 'Issuer' as const, name: rotation.current.issuer ?? cmNames.ca}
    const before = (await readCertificate(cluster, namespace, cmNames.server))?.status?.revision ?? 0
    // A new issuerRef makes cert-manager issue at once.
    await applyAll(cluster, [serverCertificate(namespace, issuer, pkiOf(state.settings))], reporter)
    await waitCertificate(cluster, namespace, cmNames.server, options.deadline, before)
    if (!cluster.dryRun) {
      const issued = await requireIssuedSecret(cluster, namespace, names.serverCertificates, cmNames.server)
      server = {cert: issued.cert, key: issued.key}
    }
  }
  const trust = pemsOf(keys, [rotation.current.serial])
  await applyServerKeys(home, state.settings, {server, trust, tlsCrypt: keys.tlsCrypt, ownSecret: pkiOf(state.settings).mode === 'self'}, options, reporter)
  const {stored} = await home.store.update((reg) => moveServer(reg, certificateRecord(server.cert)))
  await syncServerConfig(home, stored, reporter)
  await makeLive([serverLive(home)], options, reporter)
}

const caOf = (keys: HomeKeys, pem: string): string | undefined => {
  try {
    return describeIssued({cert: pem, key: ''}, keys).ca
  } catch {
    return undefined
  }
}

/** Moves each client the step names; a provider that cannot be reached is left as it is, and named. */
async function moveClients(
  home: Home,
  names_: string[],
  step: 'clients' | 'clients-trust',
  options: {certDays: number} & LiveOptions,
  reporter: Reporter,
  pending: CaRotateResult['pending'],
): Promise<ClientMove[]> {
  const moves: ClientMove[] = []
  for (const name of names_) {
    const state = await home.store.load()
    const client = state.registry.clients.find((c) => c.name === name)
    if (!client) continue
    try {
      moves.push(await moveOne(home, client, step, options, reporter))
    } catch (error) {
      if (!(error instanceof SvcgwError)) throw error
      const reason = error.line
      pending.push({name, reason})
      reporter.warn(`client ${name} stays on the previous CA for now: ${reason}`)
    }
  }
  return moves
}

async function moveOne(home: Home, client: RegisteredClient, step: 'clients' | 'clients-trust', options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<ClientMove> {
  if (!client.context) throw usageError(`client ${client.name} was exported, so the plugin cannot reach its provider`, `move it with "kubectl svcgw certs export --client ${client.name} --reissue" and apply the file there`)
  const provider = providerOf(home, client)
  const state = await home.store.load()
  const keys = await requireHomeKeys(home, state)
  const rotation = caRotation(state.registry)!
  // Reached at all? A provider that cannot be read is not written either.
  const held = await readClientKeys(provider.cluster, provider.namespace)
  if (step === 'clients') {
    const issued = await issueClient(home, state, keys, client.name, {days: options.certDays, renew: false, avoid: [client.serial], deadline: options.deadline, reporter})
    return moveClient(home, client, provider, keys, issued, [rotation.current.serial, rotation.previous.serial], options, reporter)
  }
  if (!held) throw usageError(`the provider of ${client.name} holds no client certificate`, `reinstall it with "kubectl svcgw client install --to ${client.context}"`)
  return moveClient(home, client, provider, keys, describeIssued(held.pair, keys), [rotation.current.serial], options, reporter)
}

/**
 * `certs rotate --ca`: a new CA, trusted by every peer beside the old one
 * until each has a certificate from it and has reconnected; then the old CA
 * is dropped. Each run does what can be done now and records it, so a run
 * that stopped (a provider unreachable, a timeout) is continued by the next.
 * Only the server's two in-place reloads touch every tunnel at once (about a
 * second each); each client's pod is replaced twice, one provider at a time.
 */
export async function rotateCa(home: Home, options: {certDays: number; caDays: number} & LiveOptions, reporter: Reporter): Promise<CaRotateResult> {
  const done: string[] = []
  const clients: ClientMove[] = []
  const pending: CaRotateResult['pending'] = []
  let state = await home.store.load()
  if (!(await readHomeKeys(home, state))) await requireHomeKeys(home, state)
  if (!caRotation(state.registry)) {
    await begin(home, options, reporter)
    await serverTrustsBoth(home, options, reporter)
    done.push('new CA made; the server trusts both CAs')
  } else {
    // Converge the server's trust bundle in case a run stopped right after making the CA.
    const rotation = caRotation(state.registry)!
    if (rotation.serverNotMoved && rotation.current.serial !== state.registry.certificates?.server?.ca) await serverTrustsBoth(home, options, reporter)
  }
  const dry = home.cluster.dryRun
  state = await home.store.load()
  let rotation = caRotation(state.registry)!
  if (!dry && rotation.next === 'clients') {
    const moved = await moveClients(home, rotation.notMoved, 'clients', options, reporter, pending)
    clients.push(...moved)
    if (moved.length > 0) done.push(`clients with certificates from the new CA: ${moved.map((m) => m.name).join(', ')}`)
    rotation = caRotation((await home.store.load()).registry)!
  }
  if (!dry && rotation.next === 'server') {
    await moveTheServer(home, options, reporter)
    done.push('the server holds a certificate from the new CA; the previous CA is revoked and no longer trusted by the server')
    rotation = caRotation((await home.store.load()).registry)!
  }
  if (!dry && rotation.next === 'clients-trust') {
    const moved = await moveClients(home, rotation.trustingPrevious, 'clients-trust', options, reporter, pending)
    clients.push(...moved)
    if (moved.length > 0) done.push(`clients that trust the new CA alone: ${moved.map((m) => m.name).join(', ')}`)
    rotation = caRotation((await home.store.load()).registry)!
  }
  let finished = false
  if (!dry && rotation.next === 'finish') {
    const {stored} = await home.store.update((reg) => finishCaRotation(reg))
    await cleanupPrevious(home, rotation.previous, rotation.current, reporter)
    void stored
    finished = true
    done.push('the previous CA is dropped')
  }
  const verb = dry ? 'would rotate' : 'rotated'
  const result: CaRotateResult = {
    ca: rotation.current.serial,
    previousCa: rotation.previous.serial,
    done,
    clients,
    pending,
    finished,
    summary: dry
      ? `${verb} the CA: a new CA, trusted by the server beside the current one; a real run then moves every client and the server to it and drops the current CA`
      : finished
        ? `${verb} the CA: every peer holds a certificate from CA ${rotation.current.serial} and the previous CA ${rotation.previous.serial} is dropped`
        : `CA rotation to ${rotation.current.serial} paused at step "${rotation.next}"`,
  }
  if (!dry && !finished) {
    const waiting = pending.length > 0 ? pending.map((p) => p.name) : [...rotation.notMoved, ...rotation.trustingPrevious]
    throw new SvcgwError(
      'unreachable',
      `CA rotation paused: ${waiting.join(', ')} still ${rotation.next === 'clients' ? 'on' : 'trusting'} the previous CA ${rotation.previous.serial} (${done.length > 0 ? `done: ${done.join('; ')}` : 'nothing else could be done'}); every tunnel keeps working meanwhile`,
      'run "kubectl svcgw certs rotate --ca" again once those providers are reachable ("kubectl svcgw certs status" shows who is left)',
    )
  }
  return result
}

/** The previous CA's objects: cert-manager's Certificate, Issuer and Secret of our chain; nothing is left of it in self mode. */
async function cleanupPrevious(home: Home, previous: CaRecord, current: CaRecord, reporter: Reporter): Promise<void> {
  if (!previous.issuer || previous.issuer === current.issuer) return
  const {cluster, namespace} = home
  await cluster.remove({apiVersion: CERT_MANAGER_API, kind: 'Issuer', name: previous.issuer, namespace})
  await cluster.remove({apiVersion: CERT_MANAGER_API, kind: 'Certificate', name: previous.issuer, namespace})
  await cluster.remove(secretRef(home, caSecretNameOf(previous.issuer)))
  reporter.step(`${cluster.dryRun ? 'would remove' : 'removed'} the previous CA's Certificate, Issuer and Secret ${caSecretNameOf(previous.issuer)}`)
}
