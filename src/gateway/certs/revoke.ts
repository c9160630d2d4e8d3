import {notFoundError, SvcgwError} from '../../errors.js'
import {execInPod} from '../../kube/pods.js'
import {dirs} from '../../dataplane/layout.js'
import {serialToDecimal} from '../../pki/inspect.js'
import {findClient, revokeSerial, revokeSuperseded} from '../../registry/changes.js'
import type {Registry, RegisteredClient} from '../../registry/types.js'
import type {Reporter} from '../../ui/reporter.js'
import {Home} from '../home.js'
import {confirmServerFiles} from '../live.js'
import {type LiveOptions, makeLive, serverLive, serverProxy, syncServerConfig} from '../sync.js'

/** The registered client named, or the one installed through a context. */
export function clientBySelector(registry: Registry, selector: {client?: string; context?: string}): RegisteredClient {
  if (selector.client) return findClient(registry, selector.client)
  const client = registry.clients.find((c) => c.context === selector.context)
  if (!client) throw notFoundError(`no client is registered for context "${selector.context}"`, 'see "kubectl svcgw certs status" for the registered clients')
  return client
}

/** Revokes a certificate that was issued but never recorded as held, after a failed rotation or install. */
export async function revokeUnused(home: Home, commonName: string, serial: string, reporter: Reporter): Promise<void> {
  const {stored} = await home.store.update((reg) => revokeSerial(reg, serial, commonName))
  await syncServerConfig(home, stored, reporter)
}

export interface RevokeResult {
  name: string
  serials: string[]
  disconnected: boolean
  summary: string
}

export const KICK_SCRIPT = `${dirs.scripts}/openvpn-kick.sh`

/**
 * Revokes, makes the revocation live in the server pod, then cuts the
 * client's open session at once (OpenVPN checks revocations when a client
 * connects, so a connected one would otherwise stay until its next
 * renegotiation). With `superseded`, only the certificates an export or a
 * rotation without --wait replaced.
 */
export async function revokeClient(home: Home, selector: {client: string; superseded?: boolean}, live: LiveOptions, reporter: Reporter): Promise<RevokeResult> {
  const {registry} = await home.store.load()
  const client = findClient(registry, selector.client)
  if (selector.superseded && !(client.superseded ?? []).length) {
    throw notFoundError(`client "${client.name}" has no superseded certificate`, 'see "kubectl svcgw certs status"')
  }
  const {stored, result: serials} = await home.store.update((reg) =>
    selector.superseded ? revokeSuperseded(reg, client.name) : (revokeSerial(reg, client.serial, client.name), [client.serial]),
  )
  await syncServerConfig(home, stored, reporter)
  await makeLive([serverLive(home)], live, reporter)
  let disconnected = false
  if (live.wait) {
    const pod = await confirmServerFiles(serverProxy(home), {present: serials.map((s) => `${dirs.crl}/${serialToDecimal(s)}`)}, live.deadline)
    if (pod) {
      try {
        const said = await execInPod(home.cluster, home.namespace, pod.metadata.name, 'openvpn', ['/bin/sh', KICK_SCRIPT, client.name], Math.max(1000, live.deadline - Date.now()))
        reporter.step(said.trim() || `disconnected ${client.name}`)
        disconnected = true
      } catch (error) {
        if (!(error instanceof SvcgwError)) throw error
        // The revocation stands either way: say that the open session lasts until the next renegotiation.
        reporter.warn(`revoked, but the open session could not be cut now (${error.message}); it ends at its next renegotiation, within 5 minutes`)
      }
    }
  }
  const cut = disconnected ? 'its open session was cut' : 'it is refused from its next connection (or renegotiation) on'
  const verb = home.cluster.dryRun ? 'would revoke' : 'revoked'
  return {
    name: client.name,
    serials,
    disconnected,
    summary: `${verb} serial ${serials.join(', ')} of client ${client.name}: ${cut}; "kubectl svcgw certs rotate --client ${client.name}" issues a new one`,
  }
}
