/**
 * Where every data-plane file lives inside the gateway pods. The manifests
 * mount Secrets, ConfigMaps and an emptyDir at these directories under ROOT.
 * The rendered configs name every file relative to ROOT, and the scripts
 * start OpenVPN and HAProxy from ROOT (`openvpn --cd`, `cd` before
 * haproxy), so the data-plane tests run byte-identical files under a
 * temporary root (SVCGW_ROOT) in network namespaces.
 */
export const ROOT = '/etc/svcgw'

/** Directory names relative to ROOT. */
export const rel = {
  /** Secret service-gw-{server,client}-certificates: tls.crt, tls.key, ca.crt */
  tls: 'tls',
  /**
   * ConfigMap (server only): ca.crt, the CAs whose clients the server admits
   * (a bundle of the current and, during a CA rotation, the previous CA).
   * Kept apart from the server's Secret, which cert-manager may own.
   */
  trust: 'trust',
  /** Secret service-gw-tls-crypt: tls-crypt.key */
  tlsCrypt: 'tls-crypt',
  /** ConfigMap: OpenVPN config (server.conf or client.conf) */
  openvpn: 'openvpn',
  /** ConfigMap (server only): client-config-dir, one file per client CN */
  ccd: 'ccd',
  /** ConfigMap (server only): one empty file per revoked serial (decimal), for crl-verify dir */
  crl: 'crl',
  /** ConfigMap: haproxy.cfg */
  haproxy: 'haproxy',
  /** ConfigMap: POSIX-sh entrypoints and the reload watcher */
  scripts: 'scripts',
  /** emptyDir: OpenVPN status file, HAProxy pid, runtime state */
  run: 'run',
} as const

export const dirs = Object.fromEntries(Object.entries(rel).map(([k, v]) => [k, `${ROOT}/${v}`])) as {
  [K in keyof typeof rel]: string
}

export const files = {
  tlsCrypt: 'tls-crypt.key',
  serverConf: 'server.conf',
  clientConf: 'client.conf',
  haproxyCfg: 'haproxy.cfg',
  openvpnStatus: 'openvpn-status.log',
  haproxyPid: 'haproxy.pid',
  /** HAProxy's admin stats socket (run dir). */
  haproxySocket: 'haproxy.sock',
  /** The servers' state saved before a reload (`show servers state`), loaded by the new worker. */
  haproxyServersState: 'haproxy-servers.state',
  /**
   * The copy of haproxy/haproxy.cfg that HAProxy runs (run dir): haproxy-run.sh
   * checks a change, then moves it here and reloads, so what is loaded is
   * exactly the file whose checksum it reports.
   */
  haproxyRunningCfg: 'haproxy-running.cfg',
  /**
   * Run dir: the md5 (lowercase hex, as md5sum prints it) of the config HAProxy
   * has loaded, written once it serves with it (start, and each reload that
   * took effect); an invalid config leaves it as it was. The plugin compares it
   * with the md5 of the rendered haproxy.cfg to confirm a change is live.
   */
  haproxyLoaded: 'haproxy.loaded',
  /** Run dir: present while haproxy-run.sh runs; OpenVPN keeps the tunnel up until it is gone (drain on stop). */
  haproxyRunning: 'haproxy.running',
  /**
   * Run dir (server): the md5 of the key files OpenVPN runs with (cat of its
   * ca, cert and key files in that order), written by openvpn-run.sh once
   * OpenVPN is initialised with them; the plugin compares it to confirm that a
   * new certificate or trust bundle is live.
   */
  openvpnKeysLoaded: 'openvpn-keys.loaded',
  /** Run dir, mode 0600 root: the password of OpenVPN's management interface, made by openvpn-run.sh. */
  openvpnManagementPassword: 'openvpn-mgmt.pw',
} as const

/** HAProxy's stats page, on loopback inside the pod only: `status` reads it by exec. */
export const STATS_PORT = 8404

/**
 * Client HAProxy: per-service health over the tunnel (HTTP GET /svc-NAME:
 * 200 when the provider Service answers the client's checks, 503 when not).
 * The server's checks ask it, so a client whose Service is down is taken out
 * like a client that is gone. No internalPort may use it.
 */
export const HEALTH_PORT = 8405

/**
 * OpenVPN's management interface, on loopback inside the pod, password in
 * the run dir (files.openvpnManagementPassword): the readiness probe asks it
 * for the tunnel's state and openvpn-kick.sh disconnects a client through it.
 * TCP rather than a unix socket because busybox's nc has no unix-socket mode
 * and the images have no other client for one.
 */
export const MANAGEMENT_PORT = 8406

/** Ports the gateway pods listen on themselves: no internalPort may take one. */
/**
 * HAProxy's CLI on the pod's loopback at level user (read-only: `show`
 * commands): haproxy-run.sh saves the servers' state through it before a
 * reload, so the new worker starts with what the old one knew.
 */
export const STATE_PORT = 8407

export const RESERVED_PORTS = [STATS_PORT, HEALTH_PORT, MANAGEMENT_PORT, STATE_PORT] as const

/** The in-pod path of a file in one of the directories above. */
export const pathOf = (dir: keyof typeof dirs, file: string): string => `${dirs[dir]}/${file}`
