import {conflictError, notFoundError} from '../errors.js'
import {allocateInternalPort, allocateTunnelIP} from './allocate.js'
import type {CertificateRecord, ExposedService, Registry, RegisteredClient} from './types.js'
import {validateExposedService, validateRegistry} from './validate.js'

/**
 * Every change a command makes to the registry, as pure functions of the
 * registry they are given (the store may call them again on a newer one
 * after a concurrent write).
 */

/** An expose request before an internalPort is allocated. */
export type ExposeRequest = Omit<ExposedService, 'internalPort'> & {internalPort?: number}

const sameTarget = (a: ExposedService, b: ExposeRequest): boolean =>
  a.port === b.port &&
  a.clientService.name === b.clientService.name &&
  a.clientService.namespace === b.clientService.namespace &&
  a.clientService.port === b.clientService.port &&
  (b.internalPort === undefined || a.internalPort === b.internalPort) &&
  JSON.stringify(a.clients ?? null) === JSON.stringify(b.clients ?? null)

/**
 * Adds the requests; an identical re-expose converges, a different one is a
 * clash unless `overwrite`, which retargets the service in place (same
 * internalPort, so the consumer Service and open routes stay).
 */
export function addServices(registry: Registry, requests: ExposeRequest[], reservedPorts: number[], overwrite = false): ExposedService[] {
  const added: ExposedService[] = []
  for (const request of requests) {
    const existing = registry.services.find((s) => s.name === request.name)
    if (existing && sameTarget(existing, request)) {
      added.push(existing)
      continue
    }
    if (existing && !overwrite) {
      throw conflictError(
        `"${request.name}" is already exposed (${existing.clientService.name}.${existing.clientService.namespace}:${existing.clientService.port} as port ${existing.port})`,
        'pass --overwrite to retarget it, unexpose it first, or pick another name with --as',
      )
    }
    const internalPort = request.internalPort ?? existing?.internalPort
    const owner = internalPort === undefined ? undefined : registry.services.find((s) => s.internalPort === internalPort && s.name !== request.name)
    if (owner) {
      throw conflictError(`internalPort ${internalPort} of "${request.name}" is used by "${owner.name}"`, 'give another internalPort, or leave it out to allocate one')
    }
    const {clients: _unset, ...rest} = request
    const service: ExposedService = {...rest, ...(request.clients ? {clients: request.clients} : {}), internalPort: internalPort ?? allocateInternalPort(registry, reservedPorts)}
    validateExposedService(service)
    registry.services = [...registry.services.filter((s) => s.name !== request.name), service]
    added.push(service)
  }
  validateRegistry(registry, reservedPorts)
  return added
}

/** Removes the named services, returning them; a name that is not exposed is an error. */
export function removeServices(registry: Registry, names: string[]): ExposedService[] {
  for (const name of names) {
    if (!registry.services.some((s) => s.name === name)) throw notFoundError(`"${name}" is not exposed`, 'see "kubectl svcgw list" for the exposed services')
  }
  const gone = registry.services.filter((s) => names.includes(s.name))
  registry.services = registry.services.filter((s) => !names.includes(s.name))
  return gone
}

export interface ClientRegistration {
  name: string
  context?: string
  namespace: string
  endpoint: string
  certificate: CertificateRecord
}

/**
 * Registers a new client (a fixed tunnel address and its certificate), or
 * updates where an existing one lives. An existing client keeps the
 * certificate it holds: replacing it is `replaceCertificate`, which revokes
 * the old one, and only once the provider holds the new one.
 */
export function registerClient(registry: Registry, tunnelNetwork: string, input: ClientRegistration): RegisteredClient {
  const existing = registry.clients.find((c) => c.name === input.name)
  if (!existing) assertUsableSerial(registry, input.certificate.serial, `the certificate of ${input.name}`)
  const record: RegisteredClient = {
    ...existing,
    name: input.name,
    tunnelIP: existing?.tunnelIP ?? allocateTunnelIP(registry, tunnelNetwork),
    serial: existing?.serial ?? input.certificate.serial,
    notAfter: existing?.notAfter ?? input.certificate.notAfter,
    namespace: input.namespace,
    endpoint: input.endpoint,
  }
  if (input.context) record.context = input.context
  else delete record.context
  registry.clients = [...registry.clients.filter((c) => c.name !== input.name), record]
  return record
}

/** Adds a serial to the revocation list, once. Returns whether it was new. */
export function revokeSerial(registry: Registry, serial: string, commonName: string, now = new Date()): boolean {
  if (registry.revoked.some((r) => r.serial === serial)) return false
  if ([registry.certificates?.ca?.serial, registry.certificates?.previousCa?.serial].includes(serial)) {
    throw conflictError(`serial ${serial} of ${commonName} is a CA's: revoking it would refuse every certificate that CA issued`, 'check the serial (see "kubectl svcgw certs status")')
  }
  registry.revoked.push({serial, commonName, revokedAt: now.toISOString()})
  return true
}

export function findClient(registry: Registry, name: string): RegisteredClient {
  const client = registry.clients.find((c) => c.name === name)
  if (!client) throw notFoundError(`no client "${name}" is registered`, 'see "kubectl svcgw status" for the registered clients')
  return client
}

/**
 * Records the certificate the provider now holds and revokes the one it
 * held before, in one update: the registry never names a certificate that
 * nobody holds, and the replaced one never stays valid.
 */
export function replaceCertificate(registry: Registry, clientName: string, next: CertificateRecord, now = new Date()): {revoked?: string} {
  const client = findClient(registry, clientName)
  if (client.serial === next.serial) return {}
  assertUsableSerial(registry, next.serial, `the new certificate of ${clientName}`)
  const old = client.serial
  revokeSerial(registry, old, client.name, now)
  client.serial = next.serial
  client.notAfter = next.notAfter
  return {revoked: old}
}

/**
 * Records a certificate issued for a provider this tool cannot reach (an
 * export): the previous one stays valid, listed as superseded, until the
 * operator confirms the provider has the new one.
 */
export function supersedeCertificate(registry: Registry, clientName: string, next: CertificateRecord): CertificateRecord {
  const client = findClient(registry, clientName)
  assertUsableSerial(registry, next.serial, `the new certificate of ${clientName}`)
  const previous = {serial: client.serial, notAfter: client.notAfter}
  client.superseded = [...(client.superseded ?? []).filter((s) => s.serial !== previous.serial), previous]
  client.serial = next.serial
  client.notAfter = next.notAfter
  return previous
}

/** Revokes a client's superseded certificates; returns their serials. */
export function revokeSuperseded(registry: Registry, clientName: string, now = new Date()): string[] {
  const client = findClient(registry, clientName)
  const serials = (client.superseded ?? []).map((s) => s.serial)
  for (const serial of serials) revokeSerial(registry, serial, client.name, now)
  delete client.superseded
  return serials
}

/** Removes a client: every certificate it held is revoked, and no service names it any more. */
export function forgetClient(registry: Registry, name: string, now = new Date()): RegisteredClient | undefined {
  const gone = registry.clients.find((c) => c.name === name)
  if (!gone) return undefined
  registry.clients = registry.clients.filter((c) => c.name !== name)
  for (const serial of [gone.serial, ...(gone.superseded ?? []).map((s) => s.serial)]) revokeSerial(registry, serial, gone.name, now)
  for (const s of registry.services) if (s.clients) s.clients = s.clients.filter((c) => c !== name)
  return gone
}

/**
 * A serial about to be recorded or revoked must be neither a CA's (OpenVPN
 * revokes by serial at every depth: a client serial equal to a CA's would
 * take the CA down with it) nor one revoked already. Random 128-bit serials
 * (ours, and cert-manager's) make this a guard, never a rule that bites.
 */
export function assertUsableSerial(registry: Registry, serial: string, what: string): void {
  const cas = [registry.certificates?.ca?.serial, registry.certificates?.previousCa?.serial]
  if (cas.includes(serial)) throw conflictError(`${what} has the serial of a CA (${serial})`, 'issue it again: serials are random, another one will differ')
  if (registry.revoked.some((r) => r.serial === serial)) throw conflictError(`${what} has serial ${serial}, which is revoked`, 'issue it again')
}
