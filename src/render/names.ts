/** Object names. The Secret names and key layout are the original Helm chart's, so its users can migrate. */
export const names = {
  serverCertificates: 'service-gw-server-certificates',
  clientCertificates: 'service-gw-client-certificates',
  /** The CA key pair: server cluster only. */
  ca: 'service-gw-ca',
  tlsCrypt: 'service-gw-tls-crypt',
  registry: 'svcgw-registry',
  serverDeployment: 'svcgw-server',
  serverService: 'svcgw-server',
  serverOpenvpn: 'svcgw-server-openvpn',
  serverCcd: 'svcgw-server-ccd',
  serverCrl: 'svcgw-server-crl',
  /** The CAs the server admits clients of (ca.crt, a bundle during a CA rotation). */
  serverTrust: 'svcgw-server-trust',
  serverHaproxy: 'svcgw-server-haproxy',
  clientDeployment: 'svcgw-client',
  clientOpenvpn: 'svcgw-client-openvpn',
  clientHaproxy: 'svcgw-client-haproxy',
  scripts: 'svcgw-scripts',
} as const

export const secretKeys = {cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt', tlsCrypt: 'tls-crypt.key'} as const

/** The CN the server certificate carries and clients verify. */
export const SERVER_COMMON_NAME = 'svcgw-server'

export const DEFAULT_NAMESPACE = 'svcgw'
