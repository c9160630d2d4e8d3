import {chmodSync, openSync, writeSync, closeSync} from 'node:fs'

import {notFoundError, usageError} from '../errors.js'
import {applyAll} from '../kube/apply-all.js'
import {waitForRollout} from '../kube/wait.js'
import {daysLeft, inspectCertificate} from '../pki/inspect.js'
import {allocateTunnelIP} from '../registry/allocate.js'
import {Registry, RegisteredClient} from '../registry/types.js'
import {validateClientName} from '../registry/validate.js'
import {renderClient} from '../render/client.js'
import {names} from '../render/names.js'
import {Reporter} from '../ui/reporter.js'
import {formatObjects} from '../ui/output.js'
import {Home} from './home.js'
import {requireServerSecrets} from './key-material.js'
import {providerOf} from './providers.js'
import {issueClientCert, issueServerCert} from './secrets.js'
import {syncServer} from './sync.js'

export interface CertificateRow {
  name: string
  kind: 'ca' | 'server' | 'client'
  serial: string
  notAfter: string
  daysLeft: number
  context?: string
}

export interface CertsStatus {
  certificates: CertificateRow[]
  revoked: number
  warnDays: number
  expiringSoon: string[]
}

export async function certsStatus(home: Home, warnDays: number): Promise<CertsStatus> {
  const {registry} = await home.store.load()
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const row = (name: string, kind: CertificateRow['kind'], pem: string): CertificateRow => {
    const info = inspectCertificate(pem)
    return {name, kind, serial: info.serial, notAfter: info.notAfter.toISOString(), daysLeft: daysLeft(info.notAfter)}
  }
  const certificates = [
    row('svcgw-ca', 'ca', secrets.ca.cert),
    row('svcgw-server', 'server', secrets.server.cert),
    ...registry.clients.map((c) => ({
      name: c.name,
      kind: 'client' as const,
      serial: c.serial,
      notAfter: c.notAfter,
      daysLeft: daysLeft(new Date(c.notAfter)),
      ...(c.context ? {context: c.context} : {}),
    })),
  ]
  return {
    certificates,
    revoked: registry.revoked.length,
    warnDays,
    expiringSoon: certificates.filter((c) => c.daysLeft < warnDays).map((c) => c.name),
  }
}

function findClient(registry: Registry, selector: {client?: string; context?: string}): RegisteredClient {
  const client = registry.clients.find((c) => (selector.client ? c.name === selector.client : c.context === selector.context))
  if (!client) {
    const what = selector.client ? `client "${selector.client}"` : `a client for context "${selector.context}"`
    throw notFoundError(`no ${what} is registered`, 'see "kubectl svcgw certs status" for the registered clients')
  }
  return client
}

const revoke = (registry: Registry, client: {serial: string; name: string}): void => {
  if (!registry.revoked.some((r) => r.serial === client.serial)) {
    registry.revoked.push({serial: client.serial, commonName: client.name, revokedAt: new Date().toISOString()})
  }
}

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
  const [address, port] = (client.endpoint ?? ':').split(/:(?=\d+$)/)
  const objects = renderClient(
    stored.registry,
    {caCert: secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: secrets.tlsCrypt},
    stored.settings,
    {clientName: client.name, namespace: provider.namespace, serverAddress: address, serverPort: Number(port) || stored.settings.port},
  )
  await applyAll(provider.cluster, objects, reporter, {cluster: provider.cluster, created: []})
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

export interface RevokeResult {
  name: string
  serial: string
  summary: string
}

export async function revokeClient(home: Home, clientName: string, reporter: Reporter): Promise<RevokeResult> {
  const {registry} = await home.store.load()
  const client = findClient(registry, {client: clientName})
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const {stored} = await home.store.update((reg) => revoke(reg, client))
  await syncServer(home, stored.registry, stored.settings, secrets, reporter)
  return {
    name: client.name,
    serial: client.serial,
    summary: `revoked serial ${client.serial} of client ${client.name}: it can no longer connect; "kubectl svcgw certs rotate --client ${client.name}" issues a new one`,
  }
}

export interface ExportResult {
  name: string
  file: string
  serial: string
  tunnelIP: string
  revokedSerial?: string
  summary: string
}

/** Writes with 0600 from the first byte: the file holds a private key. */
function writePrivateFile(path: string, content: string): void {
  const fd = openSync(path, 'w', 0o600)
  try {
    writeSync(fd, content)
  } finally {
    closeSync(fd)
  }
  chmodSync(path, 0o600)
}

/**
 * For a provider this kubeconfig cannot reach: registers the client (or
 * re-issues its certificate, revoking the previous one) and writes the
 * client's Secrets and objects to a file for the operator to carry over.
 */
export async function exportClient(
  home: Home,
  request: {client: string; file: string; namespace: string; address?: string; certDays: number},
  reporter: Reporter,
): Promise<ExportResult> {
  validateClientName(request.client)
  const {registry, settings} = await home.store.load()
  const address = request.address ?? settings.address
  const previous = registry.clients.find((c) => c.name === request.client)
  const endpoint = address ? `${address}:${settings.port}` : previous?.endpoint
  if (!endpoint) throw usageError('the server address for this client is unknown', 'pass --address with the address the provider can dial')
  const secrets = await requireServerSecrets(home.cluster, home.namespace)
  const issued = issueClientCert(secrets.ca, request.client, request.certDays)
  const notAfter = inspectCertificate(issued.cert).notAfter.toISOString()
  const {stored} = await home.store.update((reg) => {
    const existing = reg.clients.find((c) => c.name === request.client)
    if (existing) revoke(reg, existing)
    const record: RegisteredClient = {
      name: request.client,
      tunnelIP: existing?.tunnelIP ?? allocateTunnelIP(reg, settings.tunnelNetwork),
      serial: issued.serial,
      notAfter,
      namespace: request.namespace,
      endpoint,
    }
    reg.clients = [...reg.clients.filter((c) => c.name !== request.client), record]
  })
  await syncServer(home, stored.registry, stored.settings, secrets, reporter)
  const [host, port] = endpoint.split(/:(?=\d+$)/)
  const objects = renderClient(
    stored.registry,
    {caCert: secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: secrets.tlsCrypt},
    stored.settings,
    {clientName: request.client, namespace: request.namespace, serverAddress: host, serverPort: Number(port)},
  )
  writePrivateFile(request.file, `${formatObjects(objects, 'yaml')}\n`)
  const record = stored.registry.clients.find((c) => c.name === request.client)!
  return {
    name: request.client,
    file: request.file,
    serial: issued.serial,
    tunnelIP: record.tunnelIP,
    ...(previous ? {revokedSerial: previous.serial} : {}),
    summary: `wrote the objects of client ${request.client} (certificate serial ${issued.serial}) to ${request.file} (mode 0600); apply them with "kubectl --context PROVIDER apply -f ${request.file}"`,
  }
}
