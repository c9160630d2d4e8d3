import {conflictError, SvcgwError} from '../errors.js'
import {refOf} from '../kube/object.js'
import {waitForRollout} from '../kube/wait.js'
import {newCaCommonName} from '../pki/certificates.js'
import {inspectCertificate, normalPem} from '../pki/inspect.js'
import {caRotation, serverTrustOf} from '../registry/ca-rotation.js'
import {type PkiSettings, pkiOf, type ServerSettings} from '../registry/settings.js'
import {type CaRecord, type CertificateRecord, emptyRegistry, type Registry} from '../registry/types.js'
import {formatEndpoint} from '../registry/validate.js'
import {caCertificate, caIssuer, caSecretNameOf, type CertificateObject, cmNames, selfSignedIssuer, serverCertificate} from '../render/cert-manager.js'
import {names} from '../render/names.js'
import type {KubeObject} from '../render/objects.js'
import {registryConfigMap} from '../render/registry-configmap.js'
import {caSecret, serverCertificateSecret, serverConfig, serverKeyDigest, serverTrust, serverWorkload, tlsCryptSecret} from '../render/server.js'
import type {Reporter} from '../ui/reporter.js'
import {type AppliedSet, applyAll, compensate, rollback, withCompensation} from './apply.js'
import {type HomeKeys, issuerRefOf, readHomeKeys, readTrust} from './authority.js'
import {certManagerServed, readCertificate, readIssuedSecret, requireCertManager, requireIssuedSecret, waitCertificate, waitIssuer} from './cert-manager/operations.js'
import {listExposedServices, notYetLive} from './consumer-services.js'
import {discoverEndpoint, type Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {prepareNamespace, undoPrepare} from './namespaces.js'
import {freshServerSecrets, type Lifetimes} from './secrets.js'
import {generateTlsCryptKey} from '../pki/tls-crypt.js'
import {resolveSettings} from './settings-from-flags.js'

export interface ServerInstallResult {
  context: string
  namespace: string
  freshPki: boolean
  mode: PkiSettings['mode']
  created: string[]
  endpoint?: Endpoint
  /** cert-manager is installed in the cluster but not used: said once, at a first install. */
  certManagerAvailable?: boolean
  summary: string
}

export interface InstallOptions {
  wait: boolean
  timeoutMs: number
  /** --relabel-namespace: may raise an existing namespace's Pod Security level. */
  relabelNamespace: boolean
}

/** Settings the clients' own objects are rendered from: changing one leaves them behind until re-installed. */
const CLIENT_SETTINGS = ['proto', 'port', 'serviceType', 'nodePort', 'address', 'clusterDomain', 'tunnelNetwork'] as const

function warnClientsBehind(stored: {registry: {clients: Array<{name: string; context?: string}>}; settings: ServerSettings} | undefined, settings: ServerSettings, reporter: Reporter): void {
  if (!stored || stored.registry.clients.length === 0) return
  const changed = CLIENT_SETTINGS.filter((k) => JSON.stringify(stored.settings[k]) !== JSON.stringify(settings[k]))
  if (changed.length === 0) return
  const how = stored.registry.clients.map((c) => (c.context ? `"kubectl svcgw client install --to ${c.context}"` : `"kubectl svcgw certs export --client ${c.name} --config-only"`))
  reporter.warn(`changed ${changed.join(', ')}: the clients dial the server as before until re-installed: ${how.join(', ')}`)
}

export const certificateRecord = (pem: string): CertificateRecord => {
  const info = inspectCertificate(pem)
  return {serial: info.serial, notAfter: info.notAfter.toISOString()}
}

/** What the server pod mounts, and the objects that hold it, for one mode. */
interface ServerKeys {
  keys: HomeKeys
  /** Objects to apply: Secrets we own, cert-manager objects, the trust bundle. */
  objects: KubeObject[]
  ca: CaRecord
  fresh: boolean
}

/**
 * The mode a run uses: the one asked for, else the one stored. Switching an
 * installed server from one mode to the other is refused (its clients hold
 * certificates from the other issuer): uninstall first, or adopt.
 */
function modeFor(requested: PkiSettings | undefined, stored: ServerSettings | undefined): PkiSettings {
  const before = stored ? pkiOf(stored) : undefined
  if (!requested) return before ?? {mode: 'self'}
  if (before && before.mode !== requested.mode) {
    throw conflictError(
      `the server in this namespace issues its certificates ${before.mode === 'self' ? 'itself' : 'with cert-manager'}; switching an installed gateway to ${requested.mode === 'self' ? 'self-issued certificates' : 'cert-manager'} is not supported`,
      before.mode === 'self' ? 'leave out --cert-manager, or uninstall the server and its clients and install again' : 'pass --cert-manager again (its settings may change), or uninstall and install again',
    )
  }
  return {...before, ...requested, ...(before?.noCaKey && requested.mode === 'self' ? {noCaKey: true} : {})}
}

/** The trust bundle to mount: the CAs the registry says the server trusts, else the current CA alone. */
function trustFor(keys: HomeKeys, registry: Registry): string[] {
  const serials = serverTrustOf(registry).filter((s) => keys.caCerts.has(s))
  return (serials.length > 0 ? serials.map((s) => keys.caCerts.get(s)!) : [keys.ca.cert]).map(normalPem)
}

async function selfKeys(home: Home, registry: Registry, settings: ServerSettings, lifetimes: Lifetimes, reporter: Reporter): Promise<ServerKeys> {
  const {cluster, namespace} = home
  const existing = await readHomeKeys(home, {registry, settings})
  if (!existing && registry.clients.length > 0) {
    // A Secret deleted by hand, or a namespace restored without its Secrets: a fresh CA here would
    // replace the one every registered client trusts and cut them all, with nothing said.
    throw conflictError(
      `the gateway in namespace "${namespace}" has ${registry.clients.length} registered client(s) but its CA, server certificate or tls-crypt key is missing; a new CA would cut every client`,
      `restore the Secrets ${names.ca}, ${names.serverCertificates} and ${names.tlsCrypt} from a backup, or uninstall the clients and the server and install again`,
    )
  }
  const keys: HomeKeys = existing ?? (() => {
    const fresh = freshServerSecrets(lifetimes)
    return {mode: 'self', ca: fresh.ca, caCerts: new Map([[inspectCertificate(fresh.ca.cert).serial, fresh.ca.cert]]), server: fresh.server, tlsCrypt: fresh.tlsCrypt}
  })()
  reporter.step(existing ? 'keeping the existing CA and server certificate' : `${cluster.dryRun ? 'would create' : 'created'} a new CA and server certificate`)
  const trust = trustFor(keys, registry)
  const {key} = keys.ca
  return {
    keys,
    objects: [...(key ? [caSecret({cert: keys.ca.cert, key}, namespace)] : []), serverCertificateSecret(keys.server, trust, namespace), tlsCryptSecret(keys.tlsCrypt, namespace), serverTrust(trust, namespace)],
    ca: certificateRecord(keys.ca.cert),
    fresh: !existing,
  }
}

/**
 * cert-manager mode: our CA chain (unless the user names an issuer), the
 * server's Certificate, each Ready before the next is applied (so no
 * CertificateRequest fails and backs off for an hour); then the keys as
 * cert-manager wrote them. The tls-crypt key is the plugin's own.
 */
async function certManagerKeys(home: Home, registry: Registry, settings: ServerSettings, pki: PkiSettings, deadline: number, reporter: Reporter, appliedSet: AppliedSet): Promise<ServerKeys> {
  const {cluster, namespace} = home
  await requireCertManager(cluster)
  const applied: KubeObject[] = []
  const apply = async (object: KubeObject) => {
    await applyAll(cluster, [object], reporter, appliedSet)
    applied.push(object)
  }
  const previous = await readHomeKeys(home, {registry, settings})
  let caName: string | undefined
  if (pki.issuer) {
    await waitIssuer(cluster, pki.issuer, namespace, deadline)
    reporter.step(`using ${pki.issuer.kind} ${pki.issuer.name}`)
  } else {
    caName = registry.certificates?.ca?.issuer ?? cmNames.ca
    // A CA Certificate keeps its common name across re-runs: a new one would make cert-manager issue a new CA.
    const existing = await readCertificate(cluster, namespace, caName)
    await apply(selfSignedIssuer(namespace))
    await apply(caCertificate(caName, existing?.spec.commonName ?? newCaCommonName(), namespace))
    await waitCertificate(cluster, namespace, caName, deadline)
    await apply(caIssuer(caName, namespace))
    await waitIssuer(cluster, {kind: 'Issuer', name: caName}, namespace, deadline)
  }
  const rotation = caRotation(registry)
  // During a CA rotation the server moves to the new CA at its own step (certs rotate --ca), not here.
  const issuer = rotation?.serverNotMoved && registry.certificates?.previousCa?.issuer ? {kind: 'Issuer' as const, name: registry.certificates.previousCa.issuer} : issuerRefOf({registry, settings: {...settings, pki}})
  const server: CertificateObject = serverCertificate(namespace, issuer, pki)
  await apply(server)
  await waitCertificate(cluster, namespace, server.metadata.name, deadline)
  const tlsCrypt = previous?.tlsCrypt ?? generateTlsCryptKey()
  let keys: HomeKeys
  if (cluster.dryRun && !(await readIssuedSecret(cluster, namespace, names.serverCertificates))) {
    // cert-manager issues nothing in a dry run: a stand-in CA and server pair show the objects (masked).
    const standIn = freshServerSecrets({caDays: 1, certDays: 1})
    keys = {mode: 'cert-manager', ca: {cert: standIn.ca.cert}, caCerts: new Map([[inspectCertificate(standIn.ca.cert).serial, standIn.ca.cert]]), server: standIn.server, tlsCrypt}
  } else {
    const issued = await requireIssuedSecret(cluster, namespace, names.serverCertificates, server.metadata.name)
    const caCert = caName ? (await requireIssuedSecret(cluster, namespace, caSecretNameOf(caName), caName)).cert : issued.ca
    if (!caCert) {
      throw conflictError(
        `${issuer.kind} ${issuer.name} does not publish its CA in ca.crt of the Secrets it issues, which the gateway needs to verify its peers`,
        'use an issuer that does (a CA issuer), or leave out --issuer to let the plugin make its own CA chain',
      )
    }
    const caCerts = new Map<string, string>()
    for (const pem of [caCert, ...((await readTrust(home)) ?? [])]) caCerts.set(inspectCertificate(pem).serial, pem)
    keys = {mode: 'cert-manager', ca: {cert: caCert}, caCerts, server: {cert: issued.cert, key: issued.key}, tlsCrypt}
  }
  const trust = trustFor(keys, registry)
  return {
    keys,
    objects: [...applied, tlsCryptSecret(tlsCrypt, namespace), serverTrust(trust, namespace)],
    ca: {...certificateRecord(keys.ca.cert), ...(caName ? {issuer: caName} : {})},
    fresh: !previous,
  }
}

/** The registry's public facts of the CA and the server certificate, unless a CA rotation is under way (it records its own). */
function recordFacts(registry: Registry, server: ServerKeys): void {
  if (caRotation(registry)) return
  const certificates = (registry.certificates ??= {})
  certificates.ca = server.ca
  certificates.server = {...certificateRecord(server.keys.server.cert), ca: server.ca.serial}
}

/**
 * Installs or converges the server. Key material, the registry and its
 * settings are kept across re-runs (flags change only what they name); on failure, whatever this run created is removed again
 * (and a namespace it relabelled is put back).
 */
export async function installServer(home: Home, overrides: Partial<ServerSettings>, lifetimes: Lifetimes, options: InstallOptions, reporter: Reporter): Promise<ServerInstallResult> {
  const {cluster, namespace} = home
  const deadline = Date.now() + options.timeoutMs
  // A re-run keeps what is stored and changes what the flags name (the certificate mode included).
  const before = await home.store.find()
  const pki = modeFor(overrides.pki, before?.settings)
  const settings: ServerSettings = {...resolveSettings(before?.settings, overrides), pki}
  // Self mode is stored as no pki at all, unless it is the adopted no-CA-key mode, which must survive a re-run.
  if (pki.mode === 'self' && !pki.noCaKey) delete settings.pki
  warnClientsBehind(before, settings, reporter)
  const certManagerAvailable = !before && pki.mode === 'self' && (await certManagerServed(cluster).catch(() => false))
  if (certManagerAvailable) reporter.warn(`cert-manager is installed in context "${cluster.context}": "server install --cert-manager" lets it issue the gateway's certificates`)
  const prepared = await prepareNamespace(cluster, namespace, {relabel: options.relabelNamespace, flag: '-n'})
  const applied: AppliedSet = {cluster, created: []}
  let keys: ServerKeys
  try {
    const registry = before?.registry ?? emptyRegistry()
    keys = pki.mode === 'self' ? await selfKeys(home, registry, settings, lifetimes, reporter) : await certManagerKeys(home, registry, settings, pki, deadline, reporter, applied)
    const first: Registry = emptyRegistry()
    recordFacts(first, keys)
    // The registry is written only through the store (optimistic concurrency), never by a blind apply.
    const {created} = await home.store.ensure(first, settings)
    if (created) applied.created.push(registryConfigMap(emptyRegistry(), settings, namespace))
    const {stored} = await home.store.update((reg, current) => {
      for (const key of Object.keys(current)) delete (current as unknown as Record<string, unknown>)[key]
      Object.assign(current, settings)
      recordFacts(reg, keys)
    })
    if (stored.registry.takeover) {
      reporter.step(`take-over of the chart pending: its consumer Services keep routing to its server; "kubectl svcgw adopt --finish -n ${namespace}" switches them`)
    }
    const live = stored.registry.services.length > 0 ? await listExposedServices(cluster, namespace) : []
    await applyAll(
      cluster,
      [
        ...keys.objects.filter((o) => !isCertManagerObject(o)),
        ...serverWorkload(settings, namespace, serverKeyDigest(keys.keys.tlsCrypt)),
        ...notYetLive(serverConfig(stored.registry, settings, namespace), live),
      ],
      reporter,
      applied,
    )
    if (options.wait && !cluster.dryRun) await waitForRollout(cluster, namespace, names.serverDeployment, Math.max(0, deadline - Date.now()), (line) => reporter.step(line))
  } catch (error) {
    const leftovers = [...(await rollback(applied, reporter)), ...(await compensate(`namespace ${namespace}`, () => undoPrepare(cluster, prepared)))]
    throw withCompensation(error, leftovers)
  }
  const endpoint = await discoverEndpoint(cluster, namespace, settings, true).catch((error: unknown) => {
    if (error instanceof SvcgwError) return undefined
    throw error
  })
  const where = endpoint ? `clients dial ${formatEndpoint(endpoint.address, endpoint.port)}` : 'the endpoint address is not assigned yet (see "kubectl svcgw status")'
  const verb = cluster.dryRun ? 'would be' : ''
  const issuedBy = pki.mode === 'self' ? '' : `, certificates issued by cert-manager (${pki.issuer ? `${pki.issuer.kind} ${pki.issuer.name}` : `CA Issuer ${keys.ca.issuer}`})`
  return {
    context: cluster.context,
    namespace,
    freshPki: keys.fresh,
    mode: pki.mode,
    created: [...(prepared.created ? [`namespace/${namespace}`] : []), ...applied.created.map((o) => `${o.kind.toLowerCase()}/${refOf(o).name}`)],
    ...(endpoint ? {endpoint} : {}),
    ...(certManagerAvailable ? {certManagerAvailable} : {}),
    summary: `gateway server ${verb}${verb ? ' ' : ''}${keys.fresh ? 'installed' : 'updated'} in namespace ${namespace} of ${cluster.context}${issuedBy}; ${where}`,
  }
}

/** cert-manager's objects are applied (and waited for) one by one as the chain needs, not with the rest. */
const isCertManagerObject = (o: KubeObject): boolean => o.apiVersion.startsWith('cert-manager.io/')
