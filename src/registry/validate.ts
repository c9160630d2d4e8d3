import {isIP} from 'node:net'

import {usageError} from '../errors.js'
import {parseNetwork} from './allocate.js'
import type {IssuerRef, PkiSettings, ServerSettings} from './settings.js'
import type {ExposedService, Registry} from './types.js'

const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Service names must be DNS-1035 labels, as Kubernetes requires of a Service. */
export function validateServiceName(name: string, what = 'service name'): void {
  if (name.length > 63 || !DNS_1035.test(name)) {
    throw usageError(
      `invalid ${what} "${name}"`,
      'use at most 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit',
    )
  }
}

export function validateNamespaceName(name: string, what = 'namespace'): void {
  if (name.length > 63 || !DNS_1123_LABEL.test(name)) {
    throw usageError(`invalid ${what} ${JSON.stringify(name)}`, 'use at most 63 lowercase letters, digits and "-"')
  }
}

/** Client names become certificate CNs, object names and client-config-dir file names. */
export function validateClientName(name: string): void {
  if (name.length > 40 || !DNS_1123_LABEL.test(name)) {
    throw usageError(
      `invalid client name "${name}"`,
      'use at most 40 lowercase letters, digits and "-" (pass --name to choose one)',
    )
  }
}

const HOST_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/i

/** A DNS subdomain (RFC 1123): what Kubernetes accepts as a cluster domain, and a host name. */
export function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every((label) => label.length <= 63 && HOST_LABEL.test(label))
}

/**
 * The address clients dial goes into OpenVPN's config verbatim: only a host
 * name or an IP address may pass, never a line break or an option.
 */
export function validateAddress(value: string, what = '--address'): void {
  if (isIP(value) === 0 && !isDnsSubdomain(value)) {
    throw usageError(`invalid ${what} ${JSON.stringify(value)}`, 'give a host name or an IP address, without scheme, port or spaces')
  }
}

/** The cluster domain goes into HAProxy's config: a DNS subdomain only. */
export function validateClusterDomain(value: string, what = '--cluster-domain'): void {
  if (!isDnsSubdomain(value)) throw usageError(`invalid ${what} ${JSON.stringify(value)}`, 'give a DNS domain such as cluster.local')
}

export function validatePort(port: unknown, what: string): void {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw usageError(`invalid ${what} ${JSON.stringify(port)}`, 'use a whole number from 1 to 65535')
  }
}

export function validateExposedService(service: ExposedService): void {
  validateServiceName(service.name)
  validatePort(service.port, `port of "${service.name}"`)
  validatePort(service.internalPort, `internalPort of "${service.name}"`)
  if (!service.clientService) {
    throw usageError(`"${service.name}" has no clientService`, 'give clientService: {name, namespace, port}')
  }
  validateServiceName(service.clientService.name, `clientService name of "${service.name}"`)
  validateNamespaceName(service.clientService.namespace)
  validatePort(service.clientService.port, `clientService port of "${service.name}"`)
}

/**
 * Checks a whole registry: every record valid, `name` and `internalPort`
 * unique, no internalPort on a port the gateway itself listens on, and
 * every client a service names registered.
 */
export function validateRegistry(registry: Registry, reservedPorts: number[] = []): void {
  const names = new Map<string, string>()
  const internalPorts = new Map<number, string>()
  const clients = new Set(registry.clients.map((c) => c.name))
  for (const client of registry.clients) validateClientName(client.name)
  for (const service of registry.services) {
    validateExposedService(service)
    const sameName = names.get(service.name)
    if (sameName !== undefined) {
      throw usageError(`service name "${service.name}" is exposed twice`, 'give each exposed service its own name (--as NAME)')
    }
    names.set(service.name, service.name)
    const samePort = internalPorts.get(service.internalPort)
    if (samePort !== undefined) {
      throw usageError(
        `internalPort ${service.internalPort} is used by both "${samePort}" and "${service.name}"`,
        'give each exposed service its own internalPort',
      )
    }
    if (reservedPorts.includes(service.internalPort)) {
      throw usageError(
        `internalPort ${service.internalPort} of "${service.name}" is the gateway's own port`,
        `choose an internalPort other than ${reservedPorts.join(', ')}`,
      )
    }
    internalPorts.set(service.internalPort, service.name)
    for (const client of service.clients ?? []) {
      if (!clients.has(client)) {
        throw usageError(`"${service.name}" names client "${client}", which is not registered`, 'install that client first (client install --to CTX)')
      }
    }
  }
}

const IMAGE_REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$/

export function validateImage(value: string, what: string): void {
  if (!IMAGE_REFERENCE.test(value)) throw usageError(`invalid ${what} ${JSON.stringify(value)}`, 'give an image reference such as registry.example.com/gateway:1.0')
}

/**
 * Every setting that reaches a rendered file or object, checked again where
 * it is used: a registry edited by hand must not smuggle a line into a config.
 */
/** A server certificate CN that reaches OpenVPN's config as one word of verify-x509-name. */
export const VERIFIABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._*-]{0,63}$/

export function validateSettings(settings: ServerSettings): void {
  if (settings.proto !== 'tcp' && settings.proto !== 'udp') throw usageError(`invalid transport ${JSON.stringify(settings.proto)}`, 'use tcp or udp')
  validatePort(settings.port, 'tunnel port')
  if (settings.nodePort !== undefined) validatePort(settings.nodePort, 'nodePort')
  if (!['LoadBalancer', 'NodePort', 'ClusterIP'].includes(settings.serviceType)) {
    throw usageError(`invalid Service type ${JSON.stringify(settings.serviceType)}`, 'use LoadBalancer, NodePort or ClusterIP')
  }
  if (settings.address !== undefined) validateAddress(settings.address)
  parseNetwork(settings.tunnelNetwork)
  validateClusterDomain(settings.clusterDomain)
  validateImage(settings.images.openvpn, '--openvpn-image')
  validateImage(settings.images.haproxy, '--haproxy-image')
  if (settings.pki) validatePki(settings.pki)
  if (settings.serverName !== undefined && !VERIFIABLE_NAME.test(settings.serverName)) {
    throw usageError(`the server certificate's CN ${JSON.stringify(settings.serverName)} cannot be verified by name`, 'reissue it with a DNS-like CN, or move to a CA of the plugin with "kubectl svcgw certs rotate --ca"')
  }
}

/** A Go duration as cert-manager takes it: 2160h, 1h30m, 90s. */
const GO_DURATION = /^(\d+(\.\d+)?(h|m|s|ms))+$/

export function validateDuration(value: string, what: string): void {
  if (!GO_DURATION.test(value)) throw usageError(`invalid ${what} ${JSON.stringify(value)}`, 'give a duration such as 26280h (3 years), 720h or 1h30m')
}

/** "Issuer/name" or "ClusterIssuer/name", as --issuer takes it. */
export function parseIssuerRef(value: string): IssuerRef {
  const [kind, name, ...rest] = value.split('/')
  if ((kind !== 'Issuer' && kind !== 'ClusterIssuer') || !name || rest.length > 0 || !isDnsSubdomain(name) || name !== name.toLowerCase()) {
    throw usageError(`invalid --issuer ${JSON.stringify(value)}`, 'give it as Issuer/NAME or ClusterIssuer/NAME')
  }
  return {kind, name}
}

export function validatePki(pki: PkiSettings): void {
  if (pki.mode !== 'self' && pki.mode !== 'cert-manager') throw usageError(`invalid certificate mode ${JSON.stringify(pki.mode)}`, 'use self or cert-manager')
  if (pki.issuer) parseIssuerRef(`${pki.issuer.kind}/${pki.issuer.name}`)
  if (pki.duration !== undefined) validateDuration(pki.duration, '--cert-duration')
  if (pki.renewBefore !== undefined) validateDuration(pki.renewBefore, '--renew-before')
}

/** How an endpoint is stored: "host:port", an IPv6 address in brackets. */
export const formatEndpoint = (address: string, port: number): string => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`)

/** A stored "host:port" endpoint, before it becomes OpenVPN's `remote` line. */
export function parseEndpoint(endpoint: string): {address: string; port: number} {
  const match = /^(.*):(\d+)$/.exec(endpoint)
  const address = match?.[1].replace(/^\[(.*)\]$/, '$1') ?? ''
  const port = Number(match?.[2])
  validateAddress(address, 'server address')
  validatePort(port, 'server port')
  return {address, port}
}
