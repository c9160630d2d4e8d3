import {chmodSync, closeSync, openSync, writeSync} from 'node:fs'

import {usageError} from '../../errors.js'
import {inspectCertificate} from '../../pki/inspect.js'
import {allocateTunnelIP} from '../../registry/allocate.js'
import {RegisteredClient} from '../../registry/types.js'
import {validateClientName} from '../../registry/validate.js'
import {renderClient} from '../../render/client.js'
import {formatObjects} from '../../ui/output.js'
import {Reporter} from '../../ui/reporter.js'
import {Home} from '../home.js'
import {requireServerSecrets} from '../key-material.js'
import {issueClientCert} from '../secrets.js'
import {clientTarget, syncServer} from '../sync.js'
import {revoke} from './revoke.js'

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
  const objects = renderClient(
    stored.registry,
    {caCert: secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: secrets.tlsCrypt},
    stored.settings,
    clientTarget(stored.registry, request.client, request.namespace, stored.settings),
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
