import {usageError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {Node, Service} from '../kube/object.js'
import type {ServerSettings} from '../registry/settings.js'
import {names} from '../render/names.js'

export interface Endpoint {
  address: string
  port: number
  /** How it was found, for status output. */
  source: 'address flag' | 'load balancer' | 'node port' | 'cluster IP'
}

/** Which node address a NodePort is reached at: an external one if any node has one, else an internal one. */
export function nodeAddress(nodes: Node[]): string | undefined {
  const addresses = nodes.flatMap((n) => n.status?.addresses ?? [])
  return (addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'InternalIP'))?.address
}

/** Where clients dial the server, or undefined while a load balancer has no address yet. */
export async function discoverEndpoint(home: Cluster, namespace: string, settings: ServerSettings, sameCluster = false): Promise<Endpoint | undefined> {
  if (settings.address) return {address: settings.address, port: settings.port, source: 'address flag'}
  if (settings.serviceType === 'ClusterIP') {
    if (!sameCluster) {
      throw usageError(
        'the server Service is ClusterIP, which a client in another cluster cannot reach',
        'reinstall the server with --service-type LoadBalancer or NodePort, or pass --address',
      )
    }
    return {address: `${names.serverService}.${namespace}.svc.${settings.clusterDomain}`, port: settings.port, source: 'cluster IP'}
  }
  const service = await home.read<Service>({apiVersion: 'v1', kind: 'Service', name: names.serverService, namespace})
  if (!service) return undefined
  const port = service.spec?.ports?.[0]
  if (settings.serviceType === 'LoadBalancer') {
    const ingress = service.status?.loadBalancer?.ingress?.[0]
    const address = ingress?.ip ?? ingress?.hostname
    return address ? {address, port: port?.port ?? settings.port, source: 'load balancer'} : undefined
  }
  const address = nodeAddress(await home.list<Node>({apiVersion: 'v1', kind: 'Node'}))
  return address && port?.nodePort ? {address, port: port.nodePort, source: 'node port'} : undefined
}
