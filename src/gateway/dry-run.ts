import {inspectCertificate} from '../pki/inspect.js'
import {allocateTunnelIP} from '../registry/allocate.js'
import {emptyRegistry, Registry} from '../registry/types.js'
import {validateClientName, validateNamespaceName} from '../registry/validate.js'
import {renderClient} from '../render/client.js'
import {KubeObject} from '../render/objects.js'
import {renderServer} from '../render/server.js'
import {ServerSettings} from '../render/settings.js'
import {freshServerSecrets, issueClientCert, Lifetimes} from './secrets.js'

/** What `server install --dry-run` prints: every object, with fresh PKI, touching no cluster. */
export function offlineServerPlan(settings: ServerSettings, namespace: string, lifetimes: Lifetimes): KubeObject[] {
  validateNamespaceName(namespace)
  return renderServer(emptyRegistry(), freshServerSecrets(lifetimes), settings, namespace)
}

export interface OfflineClientRequest {
  clientName: string
  namespace: string
  serverAddress: string
  context?: string
}

/** What `client install --dry-run` prints when no server cluster is consulted: a fresh CA stands in for the real one. */
export function offlineClientPlan(settings: ServerSettings, request: OfflineClientRequest, lifetimes: Lifetimes): KubeObject[] {
  validateClientName(request.clientName)
  validateNamespaceName(request.namespace)
  const secrets = freshServerSecrets(lifetimes)
  const client = issueClientCert(secrets.ca, request.clientName, lifetimes.certDays)
  const registry: Registry = emptyRegistry()
  registry.clients.push({
    name: request.clientName,
    tunnelIP: allocateTunnelIP(registry, settings.tunnelNetwork),
    serial: client.serial,
    notAfter: inspectCertificate(client.cert).notAfter.toISOString(),
    context: request.context,
  })
  return renderClient(
    registry,
    {caCert: secrets.ca.cert, client, tlsCrypt: secrets.tlsCrypt},
    settings,
    {clientName: request.clientName, namespace: request.namespace, serverAddress: request.serverAddress, serverPort: settings.port},
  )
}
