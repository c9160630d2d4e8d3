import {renderServerFiles, scriptFiles} from '../dataplane/index.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import {KeyPair} from '../pki/certificates.js'
import {Registry} from '../registry/types.js'
import {validateRegistry} from '../registry/validate.js'
import {
  baseManifest,
  checksum,
  configMap,
  KubeObject,
  labelsFor,
  namespaceObject,
  secret,
  selectorFor,
  serviceAccount,
} from './objects.js'
import {names, secretKeys} from './names.js'
import {ServerSettings} from './settings.js'
import {registryConfigMap} from './registry-configmap.js'

export interface ServerSecrets {
  ca: KeyPair
  server: KeyPair
  tlsCrypt: string
}

interface PodTemplate {
  metadata: {labels: Record<string, string>; annotations: Record<string, string>}
  spec: {
    serviceAccountName: string
    containers: Array<{name: string; image: string; ports?: Array<{containerPort: number; protocol: string}>}>
  }
}

/** Annotation whose change rolls the pod; config reloaded in place is left out of it. */
export const RESTART_CHECKSUM = 'svcgw.dev/restart-checksum'
/** Marks consumer Services of exposed services, so unexpose can prune them. */
export const EXPOSED_LABEL = 'svcgw.dev/exposed'

function serverDeployment(namespace: string, settings: ServerSettings, restartChecksum: string): KubeObject {
  const deployment = baseManifest('server/deployment.yaml')
  deployment.metadata.namespace = namespace
  deployment.metadata.labels = labelsFor('server')
  const spec = deployment.spec as {selector: {matchLabels: Record<string, string>}; template: PodTemplate}
  spec.selector.matchLabels = selectorFor('server')
  spec.template.metadata.labels = labelsFor('server')
  spec.template.metadata.annotations = {[RESTART_CHECKSUM]: restartChecksum}
  spec.template.spec.serviceAccountName = 'svcgw-server'
  const [openvpn, proxy] = spec.template.spec.containers
  openvpn.image = settings.images.openvpn
  openvpn.ports = [{...openvpn.ports![0], containerPort: settings.port, protocol: settings.proto.toUpperCase()}]
  proxy.image = settings.images.haproxy
  return deployment
}

function tunnelService(namespace: string, settings: ServerSettings): KubeObject {
  const service = baseManifest('server/service.yaml')
  service.metadata.namespace = namespace
  service.metadata.labels = labelsFor('server')
  const spec = service.spec as {type: string; selector: Record<string, string>; ports: Array<Record<string, unknown>>}
  spec.type = settings.serviceType
  spec.selector = selectorFor('server')
  spec.ports = [
    {
      ...spec.ports[0],
      port: settings.port,
      protocol: settings.proto.toUpperCase(),
      ...(settings.serviceType === 'NodePort' && settings.nodePort ? {nodePort: settings.nodePort} : {}),
    },
  ]
  return service
}

/** The consumer-side Service of each exposed service: name:port → the server pod's internalPort. */
function exposedServices(registry: Registry, namespace: string): KubeObject[] {
  return registry.services.map((exposed) => {
    const service = baseManifest('server/exposed-service.yaml')
    service.metadata = {
      name: exposed.name,
      namespace,
      labels: {...labelsFor('server'), [EXPOSED_LABEL]: 'true'},
      annotations: {
        'svcgw.dev/client-service': `${exposed.clientService.name}.${exposed.clientService.namespace}:${exposed.clientService.port}`,
        'svcgw.dev/internal-port': String(exposed.internalPort),
      },
    }
    const spec = service.spec as {selector: Record<string, string>; ports: Array<Record<string, unknown>>}
    spec.selector = selectorFor('server')
    spec.ports = [{...spec.ports[0], port: exposed.port, targetPort: exposed.internalPort}]
    return service
  })
}

/**
 * Everything the server side consists of, as a pure function of the
 * registry, the key material and the settings. Order is apply order.
 */
export function renderServer(
  registry: Registry,
  secrets: ServerSecrets,
  settings: ServerSettings,
  namespace: string,
): KubeObject[] {
  validateRegistry(registry, [settings.port, ...RESERVED_PORTS])
  const files = renderServerFiles(registry, {
    proto: settings.proto,
    port: settings.port,
    tunnelNetwork: settings.tunnelNetwork,
  })
  const tls = {[secretKeys.cert]: secrets.server.cert, [secretKeys.key]: secrets.server.key, [secretKeys.ca]: secrets.ca.cert}
  const tlsCrypt = {[secretKeys.tlsCrypt]: secrets.tlsCrypt}
  // HAProxy config, client-config-dir and revocations are reloaded in place; the rest needs a new pod.
  const restart = checksum(files.openvpn, tls, tlsCrypt, scriptFiles())
  return [
    namespaceObject(namespace),
    serviceAccount(namespace, 'server'),
    secret(names.ca, namespace, 'server', {[secretKeys.cert]: secrets.ca.cert, [secretKeys.key]: secrets.ca.key}, 'kubernetes.io/tls'),
    secret(names.serverCertificates, namespace, 'server', tls, 'kubernetes.io/tls'),
    secret(names.tlsCrypt, namespace, 'server', tlsCrypt),
    registryConfigMap(registry, settings, namespace),
    configMap(names.scripts, namespace, 'server', scriptFiles()),
    configMap(names.serverOpenvpn, namespace, 'server', files.openvpn),
    configMap(names.serverCcd, namespace, 'server', files.ccd),
    configMap(names.serverCrl, namespace, 'server', files.crl),
    configMap(names.serverHaproxy, namespace, 'server', files.haproxy),
    serverDeployment(namespace, settings, restart),
    tunnelService(namespace, settings),
    ...exposedServices(registry, namespace),
  ]
}
