import {notFoundError, SvcgwError, usageError} from '../../errors.js'
import {inspectCertificate} from '../../pki/inspect.js'
import {caRotation, clientTrustNow} from '../../registry/ca-rotation.js'
import {pkiOf} from '../../registry/settings.js'
import type {RegisteredClient} from '../../registry/types.js'
import type {Reporter} from '../../ui/reporter.js'
import {caSerialOf, describeIssued, issueClient, requireHomeKeys, usable} from '../authority.js'
import {Home} from '../home.js'
import {readClientKeys} from '../key-material.js'
import {providerOf} from '../providers.js'
import type {LiveOptions} from '../sync.js'
import {type ClientMove, moveClient} from './rotate.js'

export interface SyncResult {
  clients: Array<ClientMove & {action: 'updated' | 'in-sync'}>
  pending: Array<{name: string; reason: string}>
  summary: string
}

/** The clients a sync is about: those of the given contexts, or every one with a context (--all). */
function selected(clients: RegisteredClient[], selector: {contexts: string[]; all: boolean}): RegisteredClient[] {
  if (selector.all) return clients.filter((c) => c.context)
  if (selector.contexts.length === 0) throw usageError('no provider given', 'pass --to CONTEXT (repeatable) or --all')
  return selector.contexts.map((context) => {
    const client = clients.find((c) => c.context === context)
    if (!client) throw notFoundError(`no client is registered for context "${context}"`, 'see "kubectl svcgw certs status" for the registered clients')
    return client
  })
}

/**
 * Brings providers to the certificate their issuer holds now: in
 * cert-manager mode, what cert-manager renewed on its own (or a new one, if
 * what it holds was revoked); in self mode, a new certificate for one that
 * expires within 30 days. Each provider as in a rotation: written, the
 * client seen connected with it, then the old serial revoked. A provider
 * that cannot be reached keeps its certificate and is named.
 */
export async function syncCerts(home: Home, selector: {contexts: string[]; all: boolean}, options: {certDays: number} & LiveOptions, reporter: Reporter): Promise<SyncResult> {
  const state = await home.store.load()
  const rotation = caRotation(state.registry)
  if (rotation) {
    reporter.warn(`a CA rotation is in progress (next: ${rotation.next}): "kubectl svcgw certs rotate --ca" moves the providers to the new CA`)
  }
  const mode = pkiOf(state.settings).mode
  const results: SyncResult['clients'] = []
  const pending: SyncResult['pending'] = []
  for (const client of selected(state.registry.clients, selector)) {
    try {
      const latest = await home.store.load()
      const current = latest.registry.clients.find((c) => c.name === client.name)!
      const keys = await requireHomeKeys(home, latest)
      const provider = providerOf(home, current)
      const held = await readClientKeys(provider.cluster, provider.namespace)
      const heldSerial = held ? inspectCertificate(held.pair.cert).serial : undefined
      const kept = held && mode === 'self' && caSerialOf(keys, held.pair.cert) ? describeIssued(held.pair, keys) : undefined
      if (mode === 'self' && kept && kept.serial === current.serial && usable(kept, latest.registry)) {
        results.push({name: current.name, ...(current.context ? {context: current.context} : {}), oldSerial: current.serial, newSerial: current.serial, notAfter: kept.notAfter, oldRevoked: false, newCertificate: false, action: 'in-sync'})
        continue
      }
      const issued = await issueClient(home, latest, keys, current.name, {days: options.certDays, renew: false, deadline: options.deadline, reporter})
      if (issued.serial === heldSerial && issued.serial === current.serial) {
        results.push({name: current.name, ...(current.context ? {context: current.context} : {}), oldSerial: current.serial, newSerial: issued.serial, notAfter: issued.notAfter, oldRevoked: false, newCertificate: false, action: 'in-sync'})
        continue
      }
      const moved = await moveClient(home, current, provider, keys, issued, clientTrustNow(latest.registry), options, reporter)
      results.push({...moved, action: 'updated'})
    } catch (error) {
      if (!(error instanceof SvcgwError)) throw error
      pending.push({name: client.name, reason: error.line})
      reporter.warn(`client ${client.name} keeps its certificate for now: ${error.line}`)
    }
  }
  const updated = results.filter((r) => r.action === 'updated')
  const verb = home.cluster.dryRun ? 'would update' : 'updated'
  const summary =
    updated.length === 0 && pending.length === 0
      ? `every provider holds its current certificate (${results.map((r) => r.name).join(', ') || 'no client'})`
      : [
          ...updated.map((r) => `${verb} client ${r.name}: serial ${r.newSerial} valid until ${r.notAfter}; old serial ${r.oldSerial} ${r.oldRevoked ? 'revoked' : 'still valid (superseded)'}`),
          ...results.filter((r) => r.action === 'in-sync').map((r) => `client ${r.name} is in sync (serial ${r.newSerial})`),
        ].join('\n')
  if (pending.length > 0) {
    throw new SvcgwError(
      'unreachable',
      `${pending.map((p) => `${p.name} (${p.reason})`).join('; ')}${updated.length > 0 ? `; ${verb} ${updated.map((u) => u.name).join(', ')}` : ''}`,
      'run "kubectl svcgw certs sync" again for those providers once they are reachable; they keep working with the certificate they hold',
    )
  }
  return {clients: results, pending, summary}
}
