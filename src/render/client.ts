import {renderClientFiles, scriptFiles} from '../dataplane/index.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import type {KeyPair} from '../pki/certificates.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {validateAddress, validateClientName, validateNamespaceName, validatePort, validateRegistry, validateSettings} from '../registry/validate.js'
import {baseManifest, checksum, configMap, type KubeObject, labelsFor, namespaceObject, secret, selectorFor, serviceAccount} from './objects.js'
import {names, SERVER_COMMON_NAME, secretKeys} from './names.js'
import {RESTART_CHECKSUM} from './server.js'

export interface ClientSecrets {
  /** The CA certificate only: the CA key never leaves the server cluster. */
  caCert: string
  client: KeyPair
  tlsCrypt: string
}

export interface ClientTarget {
  clientName: string
  namespace: string
  serverAddress: string
  serverPort: number
}

function checkTarget(target: ClientTarget): void {
  validateClientName(target.clientName)
  validateNamespaceName(target.namespace)
  validateAddress(target.serverAddress, 'server address')
  validatePort(target.serverPort, 'server port')
}

function clientFiles(registry: Registry, settings: ServerSettings, target: ClientTarget) {
  validateSettings(settings)
  checkTarget(target)
  validateRegistry(registry, [settings.port, ...RESERVED_PORTS])
  return renderClientFiles(registry, {
    clientName: target.clientName,
    serverAddress: target.serverAddress,
    serverPort: target.serverPort,
    proto: settings.proto,
    serverName: settings.serverName ?? SERVER_COMMON_NAME,
    clusterDomain: settings.clusterDomain,
  })
}

const clientTls = (secrets: ClientSecrets) => ({[secretKeys.cert]: secrets.client.cert, [secretKeys.key]: secrets.client.key, [secretKeys.ca]: secrets.caCert})

/** Digest of the key material the client pod mounts: a new certificate rolls the pod. */
export const clientKeyDigest = (secrets: ClientSecrets): string => checksum(clientTls(secrets), {[secretKeys.tlsCrypt]: secrets.tlsCrypt})

/** The client's own Secrets: its key pair, the CA certificate (never the CA key) and the tls-crypt key. */
export function clientKeyMaterial(secrets: ClientSecrets, namespace: string): KubeObject[] {
  return [
    secret(names.clientCertificates, namespace, 'client', clientTls(secrets), 'kubernetes.io/tls'),
    secret(names.tlsCrypt, namespace, 'client', {[secretKeys.tlsCrypt]: secrets.tlsCrypt}),
  ]
}

/** The client's HAProxy config alone: what an expose changes, reloaded in place without a restart. */
export function clientConfig(registry: Registry, settings: ServerSettings, target: ClientTarget): KubeObject {
  return configMap(names.clientHaproxy, target.namespace, 'client', clientFiles(registry, settings, target).haproxy)
}

/** What the client pod runs apart from its key material and proxy config. */
export function clientWorkload(settings: ServerSettings, target: ClientTarget, keyDigest: string): KubeObject[] {
  const {namespace} = target
  const tunnel = clientFiles({services: [], clients: [], revoked: []}, settings, target).openvpn
  const deployment = baseManifest('client/deployment.yaml')
  deployment.metadata.namespace = namespace
  deployment.metadata.labels = {...labelsFor('client'), 'svcgw.dev/client': target.clientName}
  const spec = deployment.spec as {
    selector: {matchLabels: Record<string, string>}
    template: {
      metadata: {labels: Record<string, string>; annotations: Record<string, string>}
      spec: {serviceAccountName: string; containers: Array<{image: string}>}
    }
  }
  spec.selector.matchLabels = selectorFor('client')
  spec.template.metadata.labels = labelsFor('client')
  spec.template.metadata.annotations = {[RESTART_CHECKSUM]: checksum(tunnel, scriptFiles(), keyDigest)}
  spec.template.spec.serviceAccountName = 'svcgw-client'
  spec.template.spec.containers[0].image = settings.images.openvpn
  spec.template.spec.containers[1].image = settings.images.haproxy
  return [
    serviceAccount(namespace, 'client'),
    configMap(names.scripts, namespace, 'client', scriptFiles()),
    configMap(names.clientOpenvpn, namespace, 'client', tunnel),
    deployment,
  ]
}

/** Everything one provider cluster runs for one gateway client, in apply order. */
export function renderClient(registry: Registry, secrets: ClientSecrets, settings: ServerSettings, target: ClientTarget): KubeObject[] {
  const workload = clientWorkload(settings, target, clientKeyDigest(secrets))
  return [namespaceObject(target.namespace), workload[0], ...clientKeyMaterial(secrets, target.namespace), ...workload.slice(1, 3), clientConfig(registry, settings, target), workload[3]]
}
