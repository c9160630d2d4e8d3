import {usageError} from '../../errors.js'
import {registerClient, supersedeCertificate} from '../../registry/changes.js'
import {formatEndpoint, validateAddress, validateClientName, validateNamespaceName} from '../../registry/validate.js'
import {clientConfig, clientWorkload, renderClient} from '../../render/client.js'
import type {KubeObject} from '../../render/objects.js'
import {formatObjects} from '../../ui/output.js'
import type {Reporter} from '../../ui/reporter.js'
import {Home} from '../home.js'
import {issueClient, pemsOf, requireHomeKeys} from '../authority.js'
import {clientTrustNow, recordClientKeys} from '../../registry/ca-rotation.js'
import {writePrivateFile} from '../private-file.js'
import {clientTarget, type LiveOptions, makeLive, serverLive, syncServerConfig} from '../sync.js'

export type ExportMode = 'new' | 'config-only' | 'reissue'

export interface ExportRequest {
  client: string
  file: string
  namespace: string
  address?: string
  certDays: number
  /** Re-issue the certificate of a registered client (default: config only). */
  reissue: boolean
  configOnly: boolean
}

export interface ExportResult {
  name: string
  file: string
  mode: ExportMode
  serial: string
  tunnelIP: string
  supersededSerial?: string
  summary: string
}

/**
 * For a provider this kubeconfig cannot reach: writes the client's objects
 * to a file for the operator to carry over. A new client is registered and
 * gets a certificate; a registered one gets its current config only (no
 * Secret: its key lives only in its provider), unless --reissue asks for a
 * new certificate, which then leaves the previous one valid (superseded)
 * until the operator says the new file is applied.
 */
export async function exportClient(home: Home, request: ExportRequest, live: LiveOptions, reporter: Reporter): Promise<ExportResult> {
  validateClientName(request.client)
  validateNamespaceName(request.namespace, '--client-namespace')
  if (request.address) validateAddress(request.address)
  const {registry, settings} = await home.store.load()
  const previous = registry.clients.find((c) => c.name === request.client)
  if (previous?.context) {
    throw usageError(`client "${request.client}" is installed through context "${previous.context}"`, `manage it with "--to ${previous.context}" (client install, certs rotate), not export`)
  }
  if (!previous && request.configOnly) throw usageError(`client "${request.client}" is not registered, so there is no config to export yet`, 'drop --config-only to register it with a new certificate')
  const mode: ExportMode = !previous ? 'new' : request.reissue ? 'reissue' : 'config-only'
  const address = request.address ?? settings.address
  const endpoint = address ? formatEndpoint(address, settings.port) : previous?.endpoint
  if (!endpoint) throw usageError('the server address for this client is unknown', 'pass --address with the address the provider can dial')

  let objects: KubeObject[]
  let supersededSerial: string | undefined
  let serial = previous?.serial ?? ''
  if (mode === 'config-only') {
    const {stored} = await home.store.update((reg) => registerClient(reg, settings.tunnelNetwork, {name: request.client, namespace: request.namespace, endpoint, certificate: {serial, notAfter: previous!.notAfter}}))
    const target = clientTarget(stored.registry, request.client, request.namespace, stored.settings)
    // No key material, and so no Deployment: its template carries a digest of keys this side does not hold.
    // The proxy reloads the new ConfigMap in place; an OpenVPN change needs "kubectl rollout restart".
    const workload = clientWorkload(stored.settings, target, '').filter((o) => o.kind !== 'Deployment')
    objects = [...workload, clientConfig(stored.registry, stored.settings, target)]
  } else {
    const state = await home.store.load()
    const keys = await requireHomeKeys(home, state)
    const deadline = live.deadline
    const issued = await issueClient(home, state, keys, request.client, {days: request.certDays, renew: mode === 'reissue', avoid: previous ? [previous.serial] : [], deadline, reporter})
    const certificate = {serial: issued.serial, notAfter: issued.notAfter}
    const trust = clientTrustNow(state.registry)
    serial = certificate.serial
    const {stored, result} = await home.store.update((reg) => {
      registerClient(reg, settings.tunnelNetwork, {name: request.client, namespace: request.namespace, endpoint, certificate})
      const superseded = mode === 'reissue' ? supersedeCertificate(reg, request.client, certificate).serial : undefined
      recordClientKeys(reg, request.client, {ca: issued.ca, trust})
      return superseded
    })
    supersededSerial = result
    if (mode === 'new') {
      await syncServerConfig(home, stored, reporter)
      await makeLive([serverLive(home)], live, reporter)
    }
    objects = renderClient(
      stored.registry,
      {caCert: pemsOf(keys, trust).join(''), client: issued.pair, tlsCrypt: keys.tlsCrypt},
      stored.settings,
      clientTarget(stored.registry, request.client, request.namespace, stored.settings),
    )
  }
  if (!home.cluster.dryRun) writePrivateFile(request.file, `${formatObjects(objects, 'yaml')}\n`)
  const record = (await home.store.load()).registry.clients.find((c) => c.name === request.client)
  const wrote = home.cluster.dryRun ? 'would write' : 'wrote'
  const what = mode === 'config-only' ? `the config of client ${request.client} (no certificate: it keeps serial ${serial})` : `the objects of client ${request.client} (certificate serial ${serial})`
  const after =
    mode === 'reissue'
      ? `; the previous certificate ${supersededSerial} stays valid until you run "kubectl svcgw certs revoke --client ${request.client} --superseded" after applying the file`
      : ''
  return {
    name: request.client,
    file: request.file,
    mode,
    serial,
    tunnelIP: record?.tunnelIP ?? '',
    ...(supersededSerial ? {supersededSerial} : {}),
    summary: `${wrote} ${what} to ${request.file} (mode 0600); apply it with "kubectl --context PROVIDER apply -f ${request.file}"${after}`,
  }
}
