import {DEFAULT_TUNNEL_NETWORK} from './allocate.js'
/** OpenVPN's registered port. */
export const DEFAULT_OPENVPN_PORT = 1194

export type Proto = 'tcp' | 'udp'
export type ServiceType = 'LoadBalancer' | 'NodePort' | 'ClusterIP'

export interface GatewayImages {
  openvpn: string
  haproxy: string
}

export type PkiMode = 'self' | 'cert-manager'

/** A cert-manager Issuer or ClusterIssuer, as a Certificate's issuerRef names it. */
export interface IssuerRef {
  kind: 'Issuer' | 'ClusterIssuer'
  name: string
}

/**
 * Who issues the gateway's certificates. `self` (the default): the plugin,
 * with its own CA (service-gw-ca). `cert-manager`: cert-manager, from our CA
 * chain in the gateway namespace (self-signed Issuer, CA Certificate, CA
 * Issuer) or from the user's `issuer`; the plugin distributes what it issues.
 */
export interface PkiSettings {
  mode: PkiMode
  /** cert-manager: the user's Issuer/ClusterIssuer instead of our chain. */
  issuer?: IssuerRef
  /** cert-manager: Certificate.spec.duration of the server's and clients' certificates (e.g. 26280h). */
  duration?: string
  /** cert-manager: Certificate.spec.renewBefore (default: cert-manager's, a third of the duration). */
  renewBefore?: string
  /**
   * self mode without the CA's private key (a chart installed with manual
   * Secrets, adopted without --ca-key-file): nothing can be issued until a CA
   * rotation makes a CA of ours.
   */
  noCaKey?: boolean
}

export const pkiOf = (settings: Pick<ServerSettings, 'pki'>): PkiSettings => settings.pki ?? {mode: 'self'}

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
  /** Absent: self. */
  pki?: PkiSettings
  /**
   * The CN of the server certificate that clients verify (verify-x509-name);
   * absent: svcgw-server. Set by adopt when the chart's server certificate
   * carries another name, which the plugin's clients must accept.
   */
  serverName?: string
}

export const defaultSettings = (images: GatewayImages): ServerSettings => ({
  proto: 'tcp',
  port: DEFAULT_OPENVPN_PORT,
  serviceType: 'LoadBalancer',
  tunnelNetwork: DEFAULT_TUNNEL_NETWORK,
  images,
  clusterDomain: 'cluster.local',
})
