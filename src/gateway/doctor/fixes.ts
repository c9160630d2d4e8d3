import {DEFAULT_OPENVPN_PORT, type ServerSettings} from '../../registry/settings.js'
import {DEFAULT_TUNNEL_NETWORK} from '../../registry/allocate.js'
import type {ExposedService, RegisteredClient} from '../../registry/types.js'
import {DEFAULT_IMAGES} from '../../dataplane/images.js'
import {DEFAULT_NAMESPACE} from '../../render/names.js'
import {Home} from '../home.js'
import {clientNameFromContext} from '../providers.js'

/** The commands a fix names, spelled out with the context and namespace doctor ran against. */

export const kubectlIn = (context: string, namespace: string | undefined, args: string): string =>
  `kubectl --context ${context}${namespace ? ` -n ${namespace}` : ''} ${args}`

/** `kubectl svcgw ARGS --context HOME [-n NS]`. */
export const svcgw = (home: Home, args: string): string =>
  `kubectl svcgw ${args} --context ${home.cluster.context}${home.namespace === DEFAULT_NAMESPACE ? '' : ` -n ${home.namespace}`}`

/** The expose that (re)makes this exposed service as the registry has it, with a target changed as given. */
export function exposeCommand(home: Home, service: ExposedService, target: Partial<ExposedService['clientService']> = {}, clients: RegisteredClient[] = []): string {
  const cs = {...service.clientService, ...target}
  const contexts = (service.clients ?? []).map((name) => clients.find((c) => c.name === name)?.context).filter(Boolean)
  return svcgw(
    home,
    [
      `expose ${cs.name} --port ${cs.port} --service-namespace ${cs.namespace}`,
      ...(service.name === cs.name ? [] : [`--as ${service.name}`]),
      ...(service.port === cs.port ? [] : [`--local-port ${service.port}`]),
      ...contexts.map((c) => `--to ${c}`),
      '--overwrite',
    ].join(' '),
  )
}

/** `server install` with the settings the gateway was installed with (its flags' defaults would change them). */
export function serverInstallCommand(home: Home, settings: ServerSettings): string {
  const flags = [
    ...(settings.serviceType === 'LoadBalancer' ? [] : [`--service-type ${settings.serviceType}`]),
    ...(settings.proto === 'tcp' ? [] : [`--proto ${settings.proto}`]),
    ...(settings.port === DEFAULT_OPENVPN_PORT ? [] : [`--port ${settings.port}`]),
    ...(settings.nodePort ? [`--node-port ${settings.nodePort}`] : []),
    ...(settings.address ? [`--address ${settings.address}`] : []),
    ...(settings.tunnelNetwork === DEFAULT_TUNNEL_NETWORK ? [] : [`--tunnel-network ${settings.tunnelNetwork}`]),
    ...(settings.clusterDomain === 'cluster.local' ? [] : [`--cluster-domain ${settings.clusterDomain}`]),
    ...(settings.images.openvpn === DEFAULT_IMAGES.openvpn ? [] : [`--openvpn-image ${settings.images.openvpn}`]),
    ...(settings.images.haproxy === DEFAULT_IMAGES.haproxy ? [] : [`--haproxy-image ${settings.images.haproxy}`]),
  ]
  return svcgw(home, ['server install', ...flags].join(' '))
}

/** Re-installing a client converges it: objects, config and, where needed, a new certificate. */
export const clientInstallCommand = (home: Home, client: RegisteredClient): string =>
  svcgw(home, `client install --to ${client.context ?? 'CONTEXT'}${client.context && client.name === clientNameFromContext(client.context) ? '' : ` --name ${client.name}`}${client.namespace && client.namespace !== DEFAULT_NAMESPACE ? ` --client-namespace ${client.namespace}` : ''}`)

export const rotateCommand = (home: Home, client: RegisteredClient): string => svcgw(home, `certs rotate --client ${client.name}`)
