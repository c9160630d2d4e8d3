import {readFileSync} from 'node:fs'
import yaml from 'js-yaml'

import {usageError} from '../errors.js'
import type {KubeObject} from '../kube/object.js'
import type {KeyPair} from '../pki/certificates.js'
import {inspectCertificate} from '../pki/inspect.js'
import {registerClient} from '../registry/changes.js'
import {pkiOf, type ServerSettings} from '../registry/settings.js'
import {emptyRegistry, type Registry} from '../registry/types.js'
import {formatEndpoint, validateClientName, validateNamespaceName} from '../registry/validate.js'
import {renderClient} from '../render/client.js'
import {names, secretKeys} from '../render/names.js'
import {REGISTRY_KEY, SETTINGS_KEY} from '../render/registry-configmap.js'
import {renderServer, type ServerSecrets} from '../render/server.js'
import {Home} from './home.js'
import {requireServerSecrets} from './key-material.js'
import {freshServerSecrets, issueClientCert, type Lifetimes} from './secrets.js'

/**
 * What `server install --dry-run --offline` prints: every object, with a
 * fresh CA and server certificate, touching no cluster (GitOps).
 */
export function offlineServerPlan(settings: ServerSettings, namespace: string, lifetimes: Lifetimes): KubeObject[] {
  validateNamespaceName(namespace)
  const secrets = freshServerSecrets(lifetimes)
  const registry: Registry = {
    ...emptyRegistry(),
    certificates: {
      ca: {serial: inspectCertificate(secrets.ca.cert).serial, notAfter: inspectCertificate(secrets.ca.cert).notAfter.toISOString()},
      server: {serial: inspectCertificate(secrets.server.cert).serial, notAfter: inspectCertificate(secrets.server.cert).notAfter.toISOString()},
    },
  }
  return renderServer(registry, secrets, settings, namespace)
}

/** The server side an offline client plan signs with: its CA, tls-crypt key, settings and registry. */
export interface ServerSide {
  secrets: Pick<ServerSecrets, 'tlsCrypt'> & {ca: KeyPair}
  settings: ServerSettings
  registry: Registry
  namespace: string
}

const decode = (value: unknown): string | undefined => (typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined)

/**
 * Reads the server's objects as `server install --dry-run --offline
 * --show-secrets -o yaml|json` printed them, so that a client planned
 * offline is signed by the same CA and connects to that server.
 */
export function readServerManifest(path: string): ServerSide {
  let objects: KubeObject[]
  try {
    const text = readFileSync(path, 'utf8')
    const docs = yaml.loadAll(text) as Array<KubeObject & {items?: KubeObject[]}>
    objects = docs.flatMap((d) => (d?.kind === 'List' ? (d.items ?? []) : d ? [d] : []))
  } catch (error) {
    throw usageError(`cannot read the server manifest ${path}: ${(error as Error).message.split('\n')[0]}`, 'give the output of "kubectl svcgw server install --dry-run --offline --show-secrets -o yaml"')
  }
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata?.name === name) as (KubeObject & {data?: Record<string, string>}) | undefined
  const ca = find('Secret', names.ca)
  const tlsCrypt = find('Secret', names.tlsCrypt)
  const registry = find('ConfigMap', names.registry)
  const pair = {cert: decode(ca?.data?.[secretKeys.cert]), key: decode(ca?.data?.[secretKeys.key])}
  const key = decode(tlsCrypt?.data?.[secretKeys.tlsCrypt])
  if (!pair.cert || !pair.key?.includes('PRIVATE KEY') || !key?.includes('OpenVPN Static key') || !registry?.data) {
    throw usageError(
      `${path} holds no usable CA key, tls-crypt key and registry (its Secrets are redacted, or it is not a server manifest)`,
      'make it with "kubectl svcgw server install --dry-run --offline --show-secrets -o yaml"',
    )
  }
  return {
    secrets: {ca: {cert: pair.cert, key: pair.key}, tlsCrypt: key},
    settings: JSON.parse(registry.data[SETTINGS_KEY]) as ServerSettings,
    registry: {...emptyRegistry(), ...(JSON.parse(registry.data[REGISTRY_KEY]) as Partial<Registry>)},
    namespace: registry.metadata.namespace ?? '',
  }
}

export interface OfflineClientRequest {
  clientName: string
  namespace: string
  serverAddress: string
  certDays: number
}

/** A client's objects, signed by the given server's CA, touching no cluster. */
export function offlineClientPlan(server: ServerSide, request: OfflineClientRequest): KubeObject[] {
  validateClientName(request.clientName)
  validateNamespaceName(request.namespace, '--client-namespace')
  const issued = issueClientCert(server.secrets.ca, request.clientName, request.certDays)
  const registry = structuredClone(server.registry)
  registerClient(registry, server.settings.tunnelNetwork, {
    name: request.clientName,
    namespace: request.namespace,
    endpoint: formatEndpoint(request.serverAddress, server.settings.port),
    certificate: {serial: issued.serial, notAfter: inspectCertificate(issued.cert).notAfter.toISOString()},
  })
  return renderClient(registry, {caCert: server.secrets.ca.cert, client: {cert: issued.cert, key: issued.key}, tlsCrypt: server.secrets.tlsCrypt}, server.settings, {
    clientName: request.clientName,
    namespace: request.namespace,
    serverAddress: request.serverAddress,
    serverPort: server.settings.port,
  })
}

export type {Lifetimes}

/** The server side as the home cluster holds it (needs read access to its Secrets). */
export async function serverSideFromCluster(home: Home): Promise<ServerSide> {
  const [{registry, settings}, secrets] = await Promise.all([home.store.load(), requireServerSecrets(home.cluster, home.namespace)])
  if (pkiOf(settings).mode !== 'self' || !secrets.ca.key) {
    throw usageError(
      'an offline client is signed with the CA key, which this gateway does not hold (cert-manager issues its certificates, or its CA key was never adopted)',
      'install the client with "client install --to CONTEXT", or export it with "certs export --client NAME"',
    )
  }
  return {secrets: {...secrets, ca: {cert: secrets.ca.cert, key: secrets.ca.key}}, settings, registry, namespace: home.namespace}
}
