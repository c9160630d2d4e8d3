/** The Service in a provider cluster that backs an exposed service. */
export interface ClientService {
  name: string
  namespace: string
  port: number
}

/**
 * One exposed service, in the original Helm chart's `services:` shape.
 * `name:port` is what consumers dial; `internalPort` is unique per exposed
 * service and carries it across the tunnel.
 */
export interface ExposedService {
  name: string
  port: number
  internalPort: number
  clientService: ClientService
  /** Clients that serve it; absent means every registered client. */
  clients?: string[]
}

/** A gateway client (one per provider cluster). */
export interface RegisteredClient {
  /** Also the certificate's CN and the client-config-dir key. */
  name: string
  /** Fixed address inside the tunnel network, e.g. 10.8.0.10. */
  tunnelIP: string
  /** Hex serial of the certificate the client currently holds. */
  serial: string
  /** ISO 8601. */
  notAfter: string
  /** Kubeconfig context last used to reach it: a hint, never authoritative. */
  context?: string
  /** Namespace of the client in its provider cluster. */
  namespace?: string
  /** Server address and port the client dials, as discovered at install. */
  endpoint?: string
  /**
   * Certificates issued to this client that it may still hold and that are
   * not revoked yet: an export with a new certificate keeps the previous one
   * valid until the operator has applied the new file (`certs revoke --superseded`).
   */
  superseded?: CertificateRecord[]
  /** Serial of the CA that issued the certificate it holds (set from the first CA rotation on). */
  ca?: string
  /** Serials of the CAs its ca.crt holds (current first; both during a CA rotation). */
  trust?: string[]
}

export interface CertificateRecord {
  /** Hex serial. */
  serial: string
  /** ISO 8601. */
  notAfter: string
}

/** A CA certificate's public facts. */
export interface CaRecord extends CertificateRecord {
  /**
   * cert-manager mode with our own chain: the name of the CA Certificate and
   * of the CA Issuer that signs with it (its Secret is service-gw-ca for
   * svcgw-ca, service-gw-ca-ID for svcgw-ca-ID).
   */
  issuer?: string
}

export interface RevokedCertificate {
  serial: string
  /** CN of the revoked certificate, for humans. */
  commonName: string
  revokedAt: string
}

/** The single source of truth, kept in a ConfigMap in the server namespace. */
export interface Registry {
  services: ExposedService[]
  clients: RegisteredClient[]
  revoked: RevokedCertificate[]
  /**
   * The CA and server certificates' public facts, so that status can say
   * when they expire without reading a Secret.
   */
  certificates?: {
    /** The CA that issues now. */
    ca?: CaRecord
    /**
     * During a CA rotation: the CA it replaces, still trusted by the server
     * and the clients until every one of them holds a certificate from the
     * new CA; then its serial is revoked (OpenVPN checks the revocation
     * directory at every depth of a chain) and it is forgotten.
     */
    previousCa?: CaRecord
    /** The server certificate; `ca` is the serial of the CA that issued it. */
    server?: CertificateRecord & {ca?: string}
  }
  /**
   * An adopted chart's workloads still carry the tunnels: the plugin's server
   * and clients run beside them, and the consumer Services stay the chart's
   * until `adopt --finish` switches them and scales the chart's Deployments
   * to 0. Absent: nothing pending.
   */
  takeover?: Takeover
}

/** The chart's Deployments that `adopt --finish` scales to 0: server first, then each provider's client. */
export interface Takeover {
  server: {deployment: string; namespace: string}
  clients: Array<{name: string; context: string; namespace: string; deployment: string}>
}

export const emptyRegistry = (): Registry => ({services: [], clients: [], revoked: []})

/** Whether a client carries a service: the ones it names, or every client when it names none. */
export const servedBy = (service: Pick<ExposedService, 'clients'>, clientName: string): boolean =>
  !service.clients || service.clients.includes(clientName)
