import {renderClientFiles, scriptFiles} from '../dataplane/index.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import {KeyPair} from '../pki/certificates.js'
import {Registry} from '../registry/types.js'
import {validateRegistry} from '../registry/validate.js'
import {baseManifest, checksum, configMap, KubeObject, labelsFor, namespaceObject, secret, selectorFor, serviceAccount} from './objects.js'
import {names, SERVER_COMMON_NAME, secretKeys} from './names.js'
import {RESTART_CHECKSUM} from './server.js'
import {ServerSettings} from './settings.js'

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

function clientFiles(registry: Registry, settings: ServerSettings, target: ClientTarget) {
  validateRegistry(registry, [settings.port, ...RESERVED_PORTS])
  return renderClientFiles(registry, {
    clientName: target.clientName,
    serverAddress: target.serverAddress,
    serverPort: target.serverPort,
    proto: settings.proto,
    serverName: SERVER_COMMON_NAME,
    clusterDomain: settings.clusterDomain,
  })
}

/** The client's HAProxy config alone: what an expose changes, reloaded in place without a restart. */
export function renderClientProxyConfig(registry: Registry, settings: ServerSettings, target: ClientTarget): KubeObject {
  return configMap(names.clientHaproxy, target.namespace, 'client', clientFiles(registry, settings, target).haproxy)
}

/** Everything one provider cluster runs for one gateway client. */
export function renderClient(
  registry: Registry,
  secrets: ClientSecrets,
  settings: ServerSettings,
  target: ClientTarget,
): KubeObject[] {
  const {namespace} = target
  const files = clientFiles(registry, settings, target)
  const tls = {[secretKeys.cert]: secrets.client.cert, [secretKeys.key]: secrets.client.key, [secretKeys.ca]: secrets.caCert}
  const tlsCrypt = {[secretKeys.tlsCrypt]: secrets.tlsCrypt}
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
  spec.template.metadata.annotations = {[RESTART_CHECKSUM]: checksum(files.openvpn, tls, tlsCrypt, scriptFiles())}
  spec.template.spec.serviceAccountName = 'svcgw-client'
  spec.template.spec.containers[0].image = settings.images.openvpn
  spec.template.spec.containers[1].image = settings.images.haproxy
  return [
    namespaceObject(namespace),
    serviceAccount(namespace, 'client'),
    secret(names.clientCertificates, namespace, 'client', tls, 'kubernetes.io/tls'),
    secret(names.tlsCrypt, namespace, 'client', tlsCrypt),
    configMap(names.scripts, namespace, 'client', scriptFiles()),
    configMap(names.clientOpenvpn, namespace, 'client', files.openvpn),
    configMap(names.clientHaproxy, namespace, 'client', files.haproxy),
    deployment,
  ]
}
