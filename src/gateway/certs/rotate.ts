import {applyAll} from '../../kube/apply-all.js'
import {waitForRollout} from '../../kube/wait.js'
import {inspectCertificate} from '../../pki/inspect.js'
import {renderClient} from '../../render/client.js'
import {names} from '../../render/names.js'
import {Reporter} from '../../ui/reporter.js'
import {Home} from '../home.js'
import {requireServerSecrets} from '../key-material.js'
import {providerOf} from '../providers.js'
import {issueClientCert, issueServerCert} from '../secrets.js'
import {clientTarget, syncServer} from '../sync.js'
import {findClient, revoke} from './revoke.js'

export interface RotateResult {
  name: string
  context?: string
  oldSerial: string
  newSerial: string
  notAfter: string
  reconnected: boolean
  summary: string
}

/**
 * New client certificate, written to the provider, reconnect confirmed by
 * the client's rollout, and only then the old serial revoked.
 */
export async function rotateClient(
  home: Home,
  selector: {client?: string; context?: string},
  options: {kubeconfig?: string; certDays: number; wait: boolean; timeoutMs: number},
  reporter: Reporter,
): Promise<RotateResult> {
  const {registry} = await home.store.load()
  const client = findClient(registry, selector)
  const provider = providerOf(client, options.kubeconfig, selector.context)
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const issued = issueClientCert(secrets.ca, client.name, options.certDays)
  const notAfter = inspectCertificate(issued.cert).notAfter.toISOString()
  const {stored} = await home.store.update((reg) => {
    const record = reg.clients.find((c) => c.name === client.name)!
    Object.assign(record, {serial: issued.serial, notAfter})
  })
  const objects = renderClient(
    stored.registry,
    {caCert: secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: secrets.tlsCrypt},
    stored.settings,
    clientTarget(stored.registry, client.name, provider.namespace, stored.settings),
  )
  await applyAll(provider.cluster, objects, reporter)
  reporter.step(`wrote the new certificate of ${client.name} to ${provider.cluster.context}`)
  if (options.wait) await waitForRollout(provider.cluster, provider.namespace, names.clientDeployment, options.timeoutMs, reporter)
  else reporter.warn('not waiting for the client to reconnect (--no-wait): the old certificate is revoked now')
  const {stored: after} = await home.store.update((reg) => revoke(reg, client))
  await syncServer(home, after.registry, after.settings, secrets, reporter)
  return {
    name: client.name,
    ...(client.context ? {context: client.context} : {}),
    oldSerial: client.serial,
    newSerial: issued.serial,
    notAfter,
    reconnected: options.wait,
    summary: `rotated the certificate of client ${client.name}: serial ${issued.serial} valid until ${notAfter}; old serial ${client.serial} revoked`,
  }
}

/** A new server certificate from the same CA; the server restarts and clients reconnect by themselves. */
export async function rotateServer(
  home: Home,
  options: {certDays: number; wait: boolean; timeoutMs: number},
  reporter: Reporter,
): Promise<RotateResult> {
  const {registry, settings} = await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const old = inspectCertificate(secrets.server.cert)
  const issued = issueServerCert(secrets.ca, options.certDays)
  await syncServer(home, registry, settings, {...secrets, server: {cert: issued.cert, key: issued.key}}, reporter)
  if (options.wait) await waitForRollout(home.cluster, home.namespace, names.serverDeployment, options.timeoutMs, reporter)
  const notAfter = inspectCertificate(issued.cert).notAfter.toISOString()
  return {
    name: 'svcgw-server',
    oldSerial: old.serial,
    newSerial: issued.serial,
    notAfter,
    reconnected: options.wait,
    summary: `rotated the server certificate: serial ${issued.serial} valid until ${notAfter}; clients reconnect after the server restarts`,
  }
}
