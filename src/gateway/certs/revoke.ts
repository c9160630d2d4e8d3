import {notFoundError} from '../../errors.js'
import {Registry, RegisteredClient} from '../../registry/types.js'
import {Reporter} from '../../ui/reporter.js'
import {Home} from '../home.js'
import {requireServerSecrets} from '../key-material.js'
import {syncServer} from '../sync.js'

/** The registered client named, or the one installed through a context. */
export function findClient(registry: Registry, selector: {client?: string; context?: string}): RegisteredClient {
  const client = registry.clients.find((c) => (selector.client ? c.name === selector.client : c.context === selector.context))
  if (!client) {
    const what = selector.client ? `client "${selector.client}"` : `a client for context "${selector.context}"`
    throw notFoundError(`no ${what} is registered`, 'see "kubectl svcgw certs status" for the registered clients')
  }
  return client
}

/** Adds the client's current serial to the revocation list, once. */
export const revoke = (registry: Registry, client: {serial: string; name: string}): void => {
  if (!registry.revoked.some((r) => r.serial === client.serial)) {
    registry.revoked.push({serial: client.serial, commonName: client.name, revokedAt: new Date().toISOString()})
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
