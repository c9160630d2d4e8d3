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
import {discoverEndpoint, type Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readServerSecrets} from './key-material.js'
import {prepareNamespace, undoPrepare} from './namespaces.js'
import {freshServerSecrets, type Lifetimes} from './secrets.js'

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

export const certificateRecord = (pem: string): CertificateRecord => {
  const info = inspectCertificate(pem)
  return {serial: info.serial, notAfter: info.notAfter.toISOString()}
}

const publicFacts = (secrets: ServerSecrets) => ({ca: certificateRecord(secrets.ca.cert), server: certificateRecord(secrets.server.cert)})

/**
 * Installs or converges the server. Key material and the registry are kept
 * across re-runs; on failure, whatever this run created is removed again
 * (and a namespace it relabelled is put back).
 */
export async function installServer(home: Home, settings: ServerSettings, lifetimes: Lifetimes, options: InstallOptions, reporter: Reporter): Promise<ServerInstallResult> {
  const {cluster, namespace} = home
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
    await applyAll(
      cluster,
      [...serverKeyMaterial(secrets, namespace), ...serverWorkload(settings, namespace, serverKeyDigest(secrets)), ...serverConfig(stored.registry, settings, namespace)],
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
