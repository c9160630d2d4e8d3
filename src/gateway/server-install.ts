import {SvcgwError} from '../errors.js'
import {refOf} from '../kube/object.js'
import {waitForRollout} from '../kube/wait.js'
import {inspectCertificate} from '../pki/inspect.js'
import type {ServerSettings} from '../registry/settings.js'
import {type CertificateRecord, emptyRegistry} from '../registry/types.js'
import {formatEndpoint} from '../registry/validate.js'
import {names} from '../render/names.js'
import {registryConfigMap} from '../render/registry-configmap.js'
import {serverConfig, serverKeyDigest, serverKeyMaterial, type ServerSecrets, serverWorkload} from '../render/server.js'
import type {Reporter} from '../ui/reporter.js'
import {type AppliedSet, applyAll, compensate, rollback, withCompensation} from './apply.js'
import {listExposedServices, notYetLive} from './consumer-services.js'
import {discoverEndpoint, type Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readServerSecrets} from './key-material.js'
import {prepareNamespace, undoPrepare} from './namespaces.js'
import {freshServerSecrets, type Lifetimes} from './secrets.js'
import {resolveSettings} from './settings-from-flags.js'

export interface ServerInstallResult {
  context: string
  namespace: string
  freshPki: boolean
  created: string[]
  endpoint?: Endpoint
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

const publicFacts = (secrets: ServerSecrets) => ({ca: certificateRecord(secrets.ca.cert), server: certificateRecord(secrets.server.cert)})

/**
 * Installs or converges the server. Key material, the registry and its
 * settings are kept across re-runs (flags change only what they name); on failure, whatever this run created is removed again
 * (and a namespace it relabelled is put back).
 */
export async function installServer(home: Home, overrides: Partial<ServerSettings>, lifetimes: Lifetimes, options: InstallOptions, reporter: Reporter): Promise<ServerInstallResult> {
  const {cluster, namespace} = home
  // A re-run keeps what is stored and changes what the flags name.
  const stored = await home.store.find()
  const settings = resolveSettings(stored?.settings, overrides)
  warnClientsBehind(stored, settings, reporter)
  const prepared = await prepareNamespace(cluster, namespace, {relabel: options.relabelNamespace, flag: '-n'})
  const applied: AppliedSet = {cluster, created: []}
  let freshPki = false
  try {
    const existing = await readServerSecrets(cluster, namespace)
    const secrets = existing ?? freshServerSecrets(lifetimes)
    freshPki = !existing
    reporter.step(existing ? 'keeping the existing CA and server certificate' : `${cluster.dryRun ? 'would create' : 'created'} a new CA and server certificate`)
    // The registry is written only through the store (optimistic concurrency), never by a blind apply.
    const {created} = await home.store.ensure({...emptyRegistry(), certificates: publicFacts(secrets)}, settings)
    if (created) applied.created.push(registryConfigMap(emptyRegistry(), settings, namespace))
    const {stored} = await home.store.update((registry, current) => {
      for (const key of Object.keys(current)) delete (current as unknown as Record<string, unknown>)[key]
      Object.assign(current, settings)
      registry.certificates = publicFacts(secrets)
    })
    const live = stored.registry.services.length > 0 ? await listExposedServices(cluster, namespace) : []
    await applyAll(
      cluster,
      [
        ...serverKeyMaterial(secrets, namespace),
        ...serverWorkload(settings, namespace, serverKeyDigest(secrets)),
        ...notYetLive(serverConfig(stored.registry, settings, namespace), live),
      ],
      reporter,
      applied,
    )
    if (options.wait && !cluster.dryRun) await waitForRollout(cluster, namespace, names.serverDeployment, options.timeoutMs, (line) => reporter.step(line))
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
  return {
    context: cluster.context,
    namespace,
    freshPki,
    created: [...(prepared.created ? [`namespace/${namespace}`] : []), ...applied.created.map((o) => `${o.kind.toLowerCase()}/${refOf(o).name}`)],
    ...(endpoint ? {endpoint} : {}),
    summary: `gateway server ${verb}${verb ? ' ' : ''}${freshPki ? 'installed' : 'updated'} in namespace ${namespace} of ${cluster.context}; ${where}`,
  }
}
