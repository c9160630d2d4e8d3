import {usageError} from '../errors.js'
import {ExposedService, Registry} from './types.js'

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

export function validateNamespaceName(name: string): void {
  if (name.length > 63 || !DNS_1123_LABEL.test(name)) {
    throw usageError(`invalid namespace "${name}"`, 'use at most 63 lowercase letters, digits and "-"')
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
