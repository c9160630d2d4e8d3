import {V1Service} from '@kubernetes/client-node'

import {usageError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import {names} from '../render/names.js'
import {ServerSettings} from '../render/settings.js'

export interface Endpoint {
  address: string
  port: number
  /** How it was found, for status output. */
  source: 'address flag' | 'load balancer' | 'node port' | 'cluster IP'
}

/** Where clients dial the server, or undefined while a load balancer has no address yet. */
export async function discoverEndpoint(home: Cluster, namespace: string, settings: ServerSettings, sameCluster = false): Promise<Endpoint | undefined> {
  if (settings.address) return {address: settings.address, port: settings.port, source: 'address flag'}
  const service = await home.read<V1Service>({apiVersion: 'v1', kind: 'Service', metadata: {name: names.serverService, namespace}})
  if (!service) return undefined
  const port = service.spec?.ports?.[0]
  switch (settings.serviceType) {
    case 'LoadBalancer': {
      const ingress = service.status?.loadBalancer?.ingress?.[0]
      const address = ingress?.ip ?? ingress?.hostname
      return address ? {address, port: port?.port ?? settings.port, source: 'load balancer'} : undefined
    }
    case 'NodePort': {
      const nodes = await home.call('listing nodes', () => home.core.listNode())
      const addresses = nodes.items.flatMap((n) => n.status?.addresses ?? [])
      const address = (addresses.find((a) => a.type === 'ExternalIP') ?? addresses.find((a) => a.type === 'InternalIP'))?.address
      return address && port?.nodePort ? {address, port: port.nodePort, source: 'node port'} : undefined
    }
    case 'ClusterIP': {
      if (!sameCluster) {
        throw usageError(
          'the server Service is ClusterIP, which a client in another cluster cannot reach',
          'reinstall the server with --service-type LoadBalancer or NodePort, or pass --address',
        )
      }
      return {address: `${names.serverService}.${namespace}.svc.${settings.clusterDomain}`, port: settings.port, source: 'cluster IP'}
    }
  }
}
