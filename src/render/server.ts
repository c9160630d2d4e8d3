import {renderServerFiles, scriptFiles} from '../dataplane/index.js'
import {RESERVED_PORTS} from '../dataplane/layout.js'
import type {KeyPair} from '../pki/certificates.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {validateRegistry, validateSettings} from '../registry/validate.js'
import {baseManifest, checksum, configMap, type KubeObject, labelsFor, namespaceObject, secret, selectorFor, serviceAccount} from './objects.js'
import {names, secretKeys} from './names.js'
import {registryConfigMap} from './registry-configmap.js'

/**
 * The server side's key material in self mode: the CA (its key only where
 * the CA is ours; a chart adopted with manual Secrets has none), the
 * server's key pair and the tls-crypt key.
 */
export interface ServerSecrets {
  ca: {cert: string; key?: string}
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
/** A digest of a consumer Service as rendered: a re-run lists them once and applies only those that differ. */
export const RENDERED_ANNOTATION = 'svcgw.dev/rendered'

/**
 * A digest of the key material whose change needs a new server pod: the
 * tls-crypt key only. The certificate, its key and the trusted CAs are
 * loaded in place by openvpn-run.sh when their files change (cert-manager
 * renews on its own; a CA rotation must not cut every tunnel), so the
 * Deployment does not depend on them; commands that never read a Secret
 * (expose, unexpose) never touch it either.
 */
export const serverKeyDigest = (tlsCrypt: string): string => checksum({[secretKeys.tlsCrypt]: tlsCrypt})

/** The server's own Secret in the chart's layout: its key pair, and in ca.crt the CAs it trusts. */
export function serverCertificateSecret(server: KeyPair, trust: string[], namespace: string): KubeObject {
  return secret(names.serverCertificates, namespace, 'server', {[secretKeys.cert]: server.cert, [secretKeys.key]: server.key, [secretKeys.ca]: trust.join('')}, 'kubernetes.io/tls')
}

/** The CA key pair's Secret: server cluster only. */
export function caSecret(ca: KeyPair, namespace: string, name: string = names.ca): KubeObject {
  return secret(name, namespace, 'server', {[secretKeys.cert]: ca.cert, [secretKeys.key]: ca.key}, 'kubernetes.io/tls')
}

export function tlsCryptSecret(tlsCrypt: string, namespace: string): KubeObject {
  return secret(names.tlsCrypt, namespace, 'server', {[secretKeys.tlsCrypt]: tlsCrypt})
}

/**
 * The CAs whose clients the server admits, as the server pod mounts them
 * (trust/ca.crt): the current CA, and the previous one during a rotation.
 * Apart from the server's Secret, which cert-manager may own. Public
 * certificates only.
 */
export function serverTrust(trust: string[], namespace: string): KubeObject {
  return configMap(names.serverTrust, namespace, 'server', {[secretKeys.ca]: trust.join('')})
}

/**
 * The key material of the server side in self mode: the CA's key pair
 * (where it is ours; it lives only here, in the server cluster), the
 * server's Secret, the tls-crypt key and the trust bundle.
 */
export function serverKeyMaterial(secrets: ServerSecrets, namespace: string, trust: string[] = [secrets.ca.cert]): KubeObject[] {
  const {key} = secrets.ca
  return [
    ...(key ? [caSecret({cert: secrets.ca.cert, key}, namespace)] : []),
    serverCertificateSecret(secrets.server, trust, namespace),
    tlsCryptSecret(secrets.tlsCrypt, namespace),
    serverTrust(trust, namespace),
  ]
}

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

/** The OpenVPN server config: settings only, so it is the same whatever the registry holds. */
function serverTunnelFiles(settings: ServerSettings): Record<string, string> {
  return renderServerFiles({services: [], clients: [], revoked: []}, {proto: settings.proto, port: settings.port, tunnelNetwork: settings.tunnelNetwork}).openvpn
}

/**
 * What the server pod runs, apart from key material and the registry's
 * config: service account, scripts, OpenVPN config, Deployment and the
 * tunnel Service. Applied by install and by certificate rotation.
 */
export function serverWorkload(settings: ServerSettings, namespace: string, keyDigest: string): KubeObject[] {
  validateSettings(settings)
  const tunnel = serverTunnelFiles(settings)
  // HAProxy config, client-config-dir and revocations are reloaded in place; the rest needs a new pod.
  const restart = checksum(tunnel, scriptFiles(), keyDigest)
  return [
    serviceAccount(namespace, 'server'),
    configMap(names.scripts, namespace, 'server', scriptFiles()),
    configMap(names.serverOpenvpn, namespace, 'server', tunnel),
    serverDeployment(namespace, settings, restart),
    tunnelService(namespace, settings),
  ]
}

/** The consumer-side Service of each exposed service: name:port → the server pod's internalPort. */
export function exposedServices(registry: Registry, namespace: string): KubeObject[] {
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
    service.metadata.annotations![RENDERED_ANNOTATION] = checksum(JSON.stringify(service))
    return service
  })
}

/**
 * What the registry decides on the server side, all reloaded in place:
 * HAProxy's config, the client-config-dir, the revocation directory and the
 * consumer Services. No key material, so expose and unexpose need no Secret.
 */
export function serverConfig(registry: Registry, settings: ServerSettings, namespace: string): KubeObject[] {
  validateSettings(settings)
  validateRegistry(registry, [settings.port, ...RESERVED_PORTS])
  const files = renderServerFiles(registry, {proto: settings.proto, port: settings.port, tunnelNetwork: settings.tunnelNetwork})
  return [
    configMap(names.serverHaproxy, namespace, 'server', files.haproxy),
    configMap(names.serverCcd, namespace, 'server', files.ccd),
    configMap(names.serverCrl, namespace, 'server', files.crl),
    // During a chart's take-over the Services of these names are the chart's, routing to its server: adopt --finish switches them.
    ...(registry.takeover ? [] : exposedServices(registry, namespace)),
  ]
}

/** The names of the server's config ConfigMaps, each mounted by the server pod. */
export const SERVER_CONFIG_MAPS = [names.serverHaproxy, names.serverCcd, names.serverCrl] as const

/**
 * Everything the server side consists of, in apply order: for a plan
 * printed without a cluster (GitOps), or a first install.
 */
export function renderServer(registry: Registry, secrets: ServerSecrets, settings: ServerSettings, namespace: string): KubeObject[] {
  const workload = serverWorkload(settings, namespace, serverKeyDigest(secrets.tlsCrypt))
  return [
    namespaceObject(namespace),
    workload[0],
    ...serverKeyMaterial(secrets, namespace),
    registryConfigMap(registry, settings, namespace),
    ...workload.slice(1, 3),
    ...serverConfig(registry, settings, namespace),
    ...workload.slice(3),
  ]
}
