/**
 * Where every data-plane file lives inside the gateway pods. The manifests
 * mount Secrets and ConfigMaps at these directories and the data-plane tests
 * lay out the same tree under a temporary root, so the rendered configs
 * (which refer to files relative to ROOT) run unchanged in both places.
 */
export const ROOT = '/etc/svcgw'

export const dirs = {
  /** Secret service-gw-{server,client}-certificates: tls.crt, tls.key, ca.crt */
  tls: `${ROOT}/tls`,
  /** Secret service-gw-tls-crypt: tls-crypt.key */
  tlsCrypt: `${ROOT}/tls-crypt`,
  /** ConfigMap: OpenVPN config (server.conf or client.conf) */
  openvpn: `${ROOT}/openvpn`,
  /** ConfigMap (server only): client-config-dir, one file per client CN */
  ccd: `${ROOT}/ccd`,
  /** ConfigMap (server only): one empty file per revoked serial (decimal), for crl-verify dir */
  crl: `${ROOT}/crl`,
  /** ConfigMap: haproxy.cfg */
  haproxy: `${ROOT}/haproxy`,
  /** ConfigMap: POSIX-sh entrypoints and the reload watcher */
  scripts: `${ROOT}/scripts`,
  /** emptyDir: OpenVPN status file, HAProxy stats socket, pid files */
  run: '/run/svcgw',
} as const

export const files = {
  tlsCrypt: 'tls-crypt.key',
  serverConf: 'server.conf',
  clientConf: 'client.conf',
  haproxyCfg: 'haproxy.cfg',
  openvpnStatus: 'openvpn-status.log',
  haproxyStats: 'haproxy.sock',
} as const

/** The in-pod path of a file in one of the directories above. */
export const pathOf = (dir: keyof typeof dirs, file: string): string => `${dirs[dir]}/${file}`
