import {DEFAULT_TUNNEL_NETWORK} from './allocate.js'
/** OpenVPN's registered port. */
export const DEFAULT_OPENVPN_PORT = 1194

export type Proto = 'tcp' | 'udp'
export type ServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP'

export interface GatewayImages {
  openvpn: string
  haproxy: string
}

/**
 * Server-side choices made at `server install`, kept beside the registry so
 * every later command renders the same objects without repeating flags.
 */
export interface ServerSettings {
  proto: Proto
  port: number
  serviceType: ServiceType
  nodePort?: number
  /** Public endpoint clients dial, when discovery from the Service is not right. */
  address?: string
  tunnelNetwork: string
  images: GatewayImages
  clusterDomain: string
}

export const defaultSettings = (images: GatewayImages): ServerSettings => ({
  proto: 'tcp',
  port: DEFAULT_OPENVPN_PORT,
  serviceType: 'LoadBalancer',
  tunnelNetwork: DEFAULT_TUNNEL_NETWORK,
  images,
  clusterDomain: 'cluster.local',
})
