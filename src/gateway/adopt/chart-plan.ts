import {createPrivateKey} from 'node:crypto'

import {usageError} from '../../errors.js'
import {inspectCertificate, isIssuedBy, keyMatches, splitPemBundle} from '../../pki/inspect.js'
import {allocateInternalPort, allocateTunnelIP} from '../../registry/allocate.js'
import type {PkiSettings} from '../../registry/settings.js'
import {emptyRegistry, type ExposedService, type Registry} from '../../registry/types.js'
import {validateClientName, validateExposedService, VERIFIABLE_NAME} from '../../registry/validate.js'
import {names, SERVER_COMMON_NAME, secretKeys} from '../../render/names.js'
import type {ExposeRequest} from '../expose.js'

/** The chart's Deployments, which run until the take-over finishes (adopt --finish). */
export const CHART_SERVER_DEPLOYMENT = 'service-gw-server'
export const CHART_CLIENT_DEPLOYMENT = 'service-gw-client'

/** The decoded data of one of the chart's Secrets (undefined: the Secret does not exist). */
export type SecretData = Record<string, string> | undefined

/** One provider's side of the chart, as read from its cluster. */
export interface ChartClient {
  context: string
  namespace: string
  secret: SecretData
}

export interface ChartInstall {
  serverNamespace: string
  server: SecretData
  clients: ChartClient[]
  /** The CA's private key: from --ca-key-file, or the cert-manager CA Secret when readable. */
  caKey?: {pem: string; source: 'file' | 'cert-manager'}
  services: ExposeRequest[]
  tunnelNetwork: string
  now?: Date
}

export interface AdoptedClient {
  name: string
  context: string
  namespace: string
  serial: string
  notAfter: string
}

/** What adopting a chart install records, decided before anything is written. */
export interface AdoptionPlan {
  registry: Registry
  pki: PkiSettings
  /** The server certificate's CN when it is not the plugin's own name: the plugin's clients verify it. */
  serverName?: string
  /** The CA certificate (public) and, when known, its key. */
  ca: {cert: string; key?: string; keySource?: 'file' | 'cert-manager'}
  clients: AdoptedClient[]
  services: ExposedService[]
  /** Things the operator should know that do not stop the adoption. */
  notes: string[]
}

function isRsaKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa'
  } catch {
    return false
  }
}

const where = (secret: string, namespace: string, context?: string) => `Secret ${secret} in namespace ${namespace}${context ? ` of context "${context}"` : ''}`

/** The Secret's three chart keys, or a one-line error naming the one that is missing. */
function requireKeys(data: SecretData, what: string, fix: string): {cert: string; key: string; ca: string} {
  if (!data) throw usageError(`${what} does not exist`, fix)
  for (const key of [secretKeys.cert, secretKeys.key, secretKeys.ca]) {
    if (!data[key]?.trim()) throw usageError(`${what} has no ${key}`, `${fix}; the chart's Secrets hold tls.crt, tls.key and ca.crt`)
  }
  return {cert: data[secretKeys.cert], key: data[secretKeys.key], ca: data[secretKeys.ca]}
}

function parses(pem: string, what: string): ReturnType<typeof inspectCertificate> {
  try {
    return inspectCertificate(pem)
  } catch {
    throw usageError(`${what} is not a PEM certificate`, 'check the Secret the chart installed')
  }
}

/**
 * Checks a chart install (its Secrets, its services: list) and turns it into
 * the plugin's registry, keeping every certificate as it is: clients are
 * recorded by their CN with the serial they hold now, so none is re-issued
 * and every tunnel stays up. Pure: every bad input fails here, before the
 * first write.
 */
export function planAdoption(chart: ChartInstall): AdoptionPlan {
  const now = chart.now ?? new Date()
  const serverWhere = where(names.serverCertificates, chart.serverNamespace)
  const server = requireKeys(chart.server, serverWhere, `pass -n with the chart's server namespace (default "server")`)
  const caCert = splitPemBundle(server.ca)[0]
  if (!caCert) throw usageError(`ca.crt of ${serverWhere} holds no certificate`, 'check the Secret the chart installed')
  const caInfo = parses(caCert, `ca.crt of ${serverWhere}`)
  if (!caInfo.isCA) throw usageError(`ca.crt of ${serverWhere} is not a CA certificate`, 'check the Secret the chart installed')
  const serverInfo = parses(server.cert, `tls.crt of ${serverWhere}`)
  if (!isIssuedBy(server.cert, caCert, now)) throw usageError(`the server certificate in ${serverWhere} is not signed by its ca.crt, or has expired`, 'renew it with the chart first, then adopt')
  if (!serverInfo.extendedKeyUsage.includes('serverAuth')) {
    throw usageError(`the server certificate in ${serverWhere} is not for serverAuth, which the clients require (remote-cert-tls server)`, 'reissue it with extended key usage serverAuth, then adopt')
  }
  if (!keyMatches(server.cert, server.key)) throw usageError(`tls.key of ${serverWhere} does not belong to its tls.crt`, 'check the Secret the chart installed')
  const notes: string[] = []
  let caKey = chart.caKey
  if (caKey && !isRsaKey(caKey.pem)) {
    // The plugin signs with node-forge, which signs with RSA keys only.
    if (caKey.source === 'file') throw usageError('the key of --ca-key-file is not an RSA key, and the plugin issues with RSA CAs only', 'leave out --ca-key-file and move to a CA of the plugin with "kubectl svcgw certs rotate --ca"')
    notes.push('the chart\'s CA key (cert-manager) is not RSA, which the plugin cannot sign with: adopted without it')
    caKey = undefined
  }
  if (caKey && !keyMatches(caCert, caKey.pem)) {
    throw usageError(`the CA key ${caKey.source === 'file' ? 'of --ca-key-file' : 'of the cert-manager CA Secret'} does not belong to the CA in ca.crt of ${serverWhere}`, 'give the key of the CA that issued the chart\'s certificates, or leave out --ca-key-file')
  }
  if (chart.clients.length === 0) throw usageError('no provider given', 'pass --to PROVIDER for each provider cluster of the chart')

  const registry = emptyRegistry()
  const clients: AdoptedClient[] = []
  for (const provider of chart.clients) {
    const clientWhere = where(names.clientCertificates, provider.namespace, provider.context)
    const client = requireKeys(provider.secret, clientWhere, `pass --client-namespace with the chart's client namespace (default "client"), or --to the right context`)
    const info = parses(client.cert, `tls.crt of ${clientWhere}`)
    if (!isIssuedBy(client.cert, caCert, now)) {
      throw usageError(`the client certificate in ${clientWhere} (CN ${info.commonName}) is not signed by the server's CA ${caInfo.commonName}, or has expired`, 'adopt only providers of this server, or renew the certificate with the chart first')
    }
    if (!info.extendedKeyUsage.includes('clientAuth')) throw usageError(`the client certificate in ${clientWhere} is not for clientAuth, which the server requires`, 'reissue it with extended key usage clientAuth, then adopt')
    if (!keyMatches(client.cert, client.key)) throw usageError(`tls.key of ${clientWhere} does not belong to its tls.crt`, 'check the Secret the chart installed')
    // The CN is the client-config-dir key and the registry's name: it must be one we can render.
    try {
      validateClientName(info.commonName)
    } catch {
      throw usageError(`the client certificate in ${clientWhere} has CN "${info.commonName}", which is not a valid client name (DNS label)`, 'reissue it with the chart under a DNS-label CN, then adopt')
    }
    const twin = clients.find((c) => c.name === info.commonName)
    if (twin) throw usageError(`contexts "${twin.context}" and "${provider.context}" hold certificates with the same CN "${info.commonName}"`, 'adopt one of them; the server tells clients apart by CN')
    const adopted = {name: info.commonName, context: provider.context, namespace: provider.namespace, serial: info.serial, notAfter: info.notAfter.toISOString()}
    clients.push(adopted)
    registry.clients.push({...adopted, tunnelIP: allocateTunnelIP(registry, chart.tunnelNetwork), ca: caInfo.serial, trust: [caInfo.serial]})
  }

  for (const request of chart.services) {
    const service: ExposedService = {...request, internalPort: request.internalPort ?? allocateInternalPort(registry)}
    validateExposedService(service)
    const clash = registry.services.find((s) => s.name === service.name || s.internalPort === service.internalPort)
    if (clash) throw usageError(`services "${clash.name}" and "${service.name}" share a name or internalPort ${service.internalPort}`, 'fix the services: list of the values file')
    registry.services.push(service)
  }
  // The chart's workloads keep the tunnels until adopt --finish; the plugin's run beside them.
  registry.takeover = {
    server: {deployment: CHART_SERVER_DEPLOYMENT, namespace: chart.serverNamespace},
    clients: clients.map((c) => ({name: c.name, context: c.context, namespace: c.namespace, deployment: CHART_CLIENT_DEPLOYMENT})),
  }
  registry.certificates = {
    ca: {serial: caInfo.serial, notAfter: caInfo.notAfter.toISOString()},
    server: {serial: serverInfo.serial, notAfter: serverInfo.notAfter.toISOString(), ca: caInfo.serial},
  }
  // Without the CA key the gateway serves the clients it has and issues nothing until a CA rotation.
  const pki: PkiSettings = caKey ? {mode: 'self'} : {mode: 'self', noCaKey: true}
  const serverName = serverInfo.commonName === SERVER_COMMON_NAME ? undefined : serverInfo.commonName
  if (serverName !== undefined && !VERIFIABLE_NAME.test(serverName)) {
    throw usageError(`the server certificate in ${serverWhere} has CN ${JSON.stringify(serverName)}, which the plugin's clients cannot verify by name`, 'reissue it with the chart under a DNS-like CN, then adopt')
  }
  return {registry, pki, ...(serverName ? {serverName} : {}), ca: {cert: caCert, ...(caKey ? {key: caKey.pem, keySource: caKey.source} : {})}, clients, services: registry.services, notes}
}
