import {conflictError} from '../errors.js'
import {findClient} from './changes.js'
import type {CaRecord, CertificateRecord, Registry, RegisteredClient} from './types.js'

/**
 * A CA rotation as pure functions of the registry. The new CA becomes
 * `certificates.ca` at once and the old one `previousCa`; every peer then
 * moves in steps, each recorded as it is seen done:
 *
 * 1. begin: the server trusts both CAs (its trust bundle), so it admits
 *    clients of either;
 * 2. `clients`: every client gets a certificate from the new CA and trusts
 *    both (its ca.crt), so it still accepts the server's old-CA
 *    certificate; its old serial is revoked once it is connected again;
 * 3. `server`: once every client holds a new-CA certificate and trusts the
 *    new CA, the server gets its certificate from the new CA, trusts the new
 *    CA alone, and the previous CA's serial is revoked: OpenVPN consults its
 *    revocation directory at every depth of a chain, so nothing that CA
 *    issued is admitted any more;
 * 4. `clients-trust`: every client trusts the new CA alone;
 * 5. `finish`: the previous CA is forgotten.
 *
 * A client that could not be reached stays where it was and keeps working
 * (the server trusts its old CA until step 3, which waits for it).
 */

export type CaStep = 'clients' | 'server' | 'clients-trust' | 'finish'

export interface CaRotation {
  current: CaRecord
  previous: CaRecord
  /** Clients holding a certificate from the previous CA, or not trusting the new one. */
  notMoved: string[]
  /** Whether the server still holds its previous-CA certificate or trusts the previous CA. */
  serverNotMoved: boolean
  /** Clients whose ca.crt still lists the previous CA. */
  trustingPrevious: string[]
  /** What is left to do first. */
  next: CaStep
}

/** The CA serial of the certificate a client holds: recorded, else the current CA (no rotation has happened). */
export const clientCaOf = (registry: Registry, client: RegisteredClient): string | undefined => client.ca ?? registry.certificates?.ca?.serial

/** The CA serials a client's ca.crt holds. */
export const clientTrustOf = (registry: Registry, client: RegisteredClient): string[] => client.trust ?? [clientCaOf(registry, client) ?? ''].filter(Boolean)

/** Whether the previous CA of a rotation is revoked (the server no longer admits anything it issued). */
const previousRevoked = (registry: Registry): boolean => {
  const previous = registry.certificates?.previousCa
  return previous !== undefined && registry.revoked.some((r) => r.serial === previous.serial)
}

/** The CA serials the server trusts: both during a rotation, until step 3. */
export function serverTrustOf(registry: Registry): string[] {
  const {ca, previousCa} = registry.certificates ?? {}
  return [ca?.serial, previousRevoked(registry) ? undefined : previousCa?.serial].filter((s): s is string => Boolean(s))
}

/** The CA serials a client written now must trust: both while the server may still show its previous-CA certificate. */
export function clientTrustNow(registry: Registry): string[] {
  const rotation = caRotation(registry)
  if (!rotation) return serverTrustOf(registry)
  return rotation.next === 'clients' || rotation.next === 'server' ? [rotation.current.serial, rotation.previous.serial] : [rotation.current.serial]
}

/** The rotation in progress, or undefined. */
export function caRotation(registry: Registry): CaRotation | undefined {
  const current = registry.certificates?.ca
  const previous = registry.certificates?.previousCa
  if (!current || !previous) return undefined
  const notMoved = registry.clients.filter((c) => clientCaOf(registry, c) !== current.serial || !clientTrustOf(registry, c).includes(current.serial)).map((c) => c.name)
  const serverNotMoved = registry.certificates?.server?.ca !== current.serial || !previousRevoked(registry)
  const trustingPrevious = registry.clients.filter((c) => clientTrustOf(registry, c).includes(previous.serial)).map((c) => c.name)
  const next: CaStep = notMoved.length > 0 ? 'clients' : serverNotMoved ? 'server' : trustingPrevious.length > 0 ? 'clients-trust' : 'finish'
  return {current, previous, notMoved, serverNotMoved, trustingPrevious, next}
}

/**
 * Starts a rotation to `next`: it becomes the issuing CA, the current one
 * the previous. What every peer holds and trusts is recorded explicitly, so
 * the steps can be told apart. Starting again with the same CA converges;
 * another one while a rotation runs is a conflict.
 */
export function beginCaRotation(registry: Registry, next: CaRecord): void {
  const certificates = (registry.certificates ??= {})
  if (certificates.previousCa) {
    if (certificates.ca?.serial === next.serial) return
    throw conflictError(
      `a CA rotation to ${certificates.ca?.serial} is still in progress`,
      'finish it first: run "kubectl svcgw certs rotate --ca" again once every provider is reachable (see "kubectl svcgw certs status")',
    )
  }
  const old = certificates.ca
  if (!old) throw conflictError('the registry records no CA', 'run "kubectl svcgw server install" first')
  if (old.serial === next.serial) throw conflictError('the new CA has the serial of the current one', 'run the rotation again: it makes another CA')
  for (const client of registry.clients) {
    client.ca = clientCaOf(registry, client)
    client.trust = clientTrustOf(registry, client)
  }
  if (certificates.server) certificates.server.ca ??= old.serial
  certificates.previousCa = old
  certificates.ca = next
}

/** Records what a client's provider now holds: its certificate's CA and the CAs of its ca.crt. */
export function recordClientKeys(registry: Registry, name: string, keys: {ca: string; trust: string[]}): void {
  const client = findClient(registry, name)
  client.ca = keys.ca
  client.trust = [...keys.trust]
}

/**
 * Step 3: the server holds `certificate` from the new CA and trusts it alone;
 * the previous CA's serial is revoked. Only once every client has moved.
 */
export function moveServer(registry: Registry, certificate: CertificateRecord, now = new Date()): void {
  const rotation = caRotation(registry)
  if (!rotation) throw conflictError('no CA rotation is in progress', 'start one with "kubectl svcgw certs rotate --ca"')
  if (rotation.notMoved.length > 0) {
    throw conflictError(`clients ${rotation.notMoved.join(', ')} still hold or trust the previous CA only`, 'move them first (reach their providers, then "kubectl svcgw certs rotate --ca")')
  }
  registry.certificates!.server = {...certificate, ca: rotation.current.serial}
  if (!previousRevoked(registry)) registry.revoked.push({serial: rotation.previous.serial, commonName: 'previous CA', revokedAt: now.toISOString()})
}

/** Records the server's certificate and the CA that issued it (no rotation involved). */
export function recordServerCertificate(registry: Registry, certificate: CertificateRecord, ca: string): void {
  registry.certificates = {...registry.certificates, server: {...certificate, ca}}
}

/** Step 5: forgets the previous CA once nobody holds or trusts it. Returns its serial. */
export function finishCaRotation(registry: Registry): string {
  const rotation = caRotation(registry)
  if (!rotation) throw conflictError('no CA rotation is in progress', 'start one with "kubectl svcgw certs rotate --ca"')
  if (rotation.next !== 'finish') {
    const waiting = [...(rotation.serverNotMoved ? ['the server'] : []), ...new Set([...rotation.notMoved, ...rotation.trustingPrevious])]
    throw conflictError(`the previous CA is still held or trusted by ${waiting.join(', ')}`, 'reach those providers and run "kubectl svcgw certs rotate --ca" again')
  }
  delete registry.certificates!.previousCa
  for (const client of registry.clients) client.trust = [rotation.current.serial]
  return rotation.previous.serial
}
