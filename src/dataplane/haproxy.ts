import {type ClientService, type ExposedService, type Registry, servedBy} from '../registry/types.js'
import {configIdRule, proxyConfigId} from './config-id.js'
import {files, HEALTH_PORT, rel, STATE_PORT, STATS_PORT} from './layout.js'

/** Tunables the tests shorten; production keeps the defaults. */
export interface CheckTimers {
  /** Milliseconds between health checks of a backend client. */
  interMs: number
  /** Failed checks before a client is taken out. */
  fall: number
}

export const DEFAULT_CHECKS: CheckTimers = {interMs: 1000, fall: 2}

/**
 * Milliseconds of check budget per checked pair: a proxy with many
 * services × clients checks each pair less often, so that it runs at most
 * about 1000 / CHECK_BUDGET_MS = 250 checks a second however large it
 * grows (20 clients × 1000 services would otherwise be 20,000 a second).
 */
const CHECK_BUDGET_MS = 4

/** The interval between checks of one pair, for `pairs` checked pairs. */
export const checkInterval = (pairs: number, floorMs: number): number => Math.max(floorMs, Math.ceil(pairs * CHECK_BUDGET_MS))

/** How a service's connections are spread over the clients that serve it. */
export type Balance = 'roundrobin' | 'leastconn'

export interface ServerProxyOptions {
  checks?: Partial<CheckTimers>
  /** Default roundrobin; leastconn suits long-lived connections. */
  balance?: Balance
}

const lines = (...parts: Array<string | string[]>): string => `${parts.flat().join('\n')}\n`

/** What every section shares; a `defaults` section resets everything, so each one repeats it. */
const BASE_DEFAULTS = [
  '  mode tcp',
  '  log global',
  '  option tcplog',
  '  option dontlognull',
  // Kernel splicing moves payload between sockets without copying it through user space.
  '  option splice-auto',
  '  timeout connect 3s',
  '  timeout client 1h',
  '  timeout server 1h',
  '  timeout client-fin 30s',
  // A reload starts the new worker with the servers' state the old one had (haproxy-run.sh saves
  // it): a client that is down stays down instead of starting UP until its first check fails.
  '  load-server-state-from-file global',
]

/**
 * A `defaults` section for the per-service sections after it: what every
 * service's frontend and backend would otherwise repeat is said once, so
 * the config grows by a few lines per service, not a dozen (a ConfigMap
 * holds at most 1 MiB).
 */
const serviceDefaults = (settings: string[]): string[] => ['defaults', ...BASE_DEFAULTS, ...settings, '']

const header = (statsRules: string[]): string[] => [
  '# Rendered by kubectl-svcgw; edits are overwritten.',
  'global',
  // Master-worker mode comes from -W on the command line (scripts/haproxy-run.sh): the
  // `master-worker` keyword is deprecated from HAProxy 3.3 and removed in 3.5.
  `  pidfile ${rel.run}/${files.haproxyPid}`,
  // Admin socket for `show stat`, `show servers state`, `disable server` (socat or nc -U in the
  // pod, node:net in the tests); expose-fd hands the listeners to the new worker on a reload.
  // unix@ makes HAProxy read a relative path as a socket path, not host:port.
  `  stats socket unix@${rel.run}/${files.haproxySocket} mode 600 level admin expose-fd listeners`,
  '  log stdout format raw local0 info',
  // Checks of many servers are spread over their interval instead of fired together.
  '  spread-checks 5',
  // Read-only (level user) on loopback: busybox nc can reach it where a unix socket needs socat.
  `  stats socket ipv4@127.0.0.1:${STATE_PORT} level user`,
  `  server-state-file ${rel.run}/${files.haproxyServersState}`,
  '',
  'defaults',
  ...BASE_DEFAULTS,
  '',
  'frontend stats',
  `  bind 127.0.0.1:${STATS_PORT}`,
  '  mode http',
  '  option dontlog-normal',
  '  timeout client 10s',
  '  stats enable',
  '  stats uri /stats',
  '  stats refresh 0',
  ...statsRules,
  '',
]

/**
 * The config with its ID: HAProxy answers it at /config-id on the stats
 * port, so a command can tell (through port-forward, without exec) that a
 * pod runs the config it applied. The ID is a digest of the config
 * rendered without that answer.
 */
function withConfigId(render: (statsRules: string[]) => string): string {
  return render([configIdRule(proxyConfigId(render([])))])
}

/**
 * A backend with no frontend: one server per client at its tunnel address,
 * TCP-checked on the client's health port. Its stats rows say which tunnels
 * are up and since when, so status needs no exec to read OpenVPN's state.
 */
export const TUNNELS_BACKEND = 'tunnels'

/** The placeholder in the tunnels backend; not a client (client names are DNS labels, no underscore). */
export const UNUSED_SERVER = 'no_client'

/**
 * Each service backend's backup server, used only while every client of the
 * service is marked down: it hands the connection to the one `hold` section
 * (over an abstract socket, no port), which tries the clients again without
 * health checks, every half second for about three seconds. When the
 * server's OpenVPN loads new key files in place (a renewed or rotated
 * certificate, a CA rotation) every tunnel is gone for about a second at
 * once: such a request waits for the tunnels instead of failing. A service
 * whose clients are really gone fails after those seconds instead of at
 * once. Not a client (underscore).
 *
 * One section serves every service, so the hold costs a line per service
 * and a line per client, not one per pair (a ConfigMap holds at most 1 MiB:
 * a section per service repeating its clients doubled the config). The
 * backup server sends the PROXY protocol, which carries the address the
 * consumer dialled, the service's internalPort; the hold's servers have no
 * port of their own, so HAProxy connects to that same port at the client's
 * tunnel address.
 */
export const HOLD_SERVER = 'reload_hold'
export const HOLD_SECTION = 'hold'
const HOLD_ADDRESS = 'abns@svcgw-hold'
/** Connection attempts of the hold at 500 ms each, for a service every client serves: about three seconds. */
const HOLD_RETRIES = 6

/**
 * Section names per exposed service. A frontend and a backend may not share a
 * name from HAProxy 3.3 on (3.0 to 3.2 warn), so each kind has its prefix;
 * the prefixes also keep them apart from the `stats` and `health` frontends.
 * `kubectl svcgw status` finds the services in the stats by BACKEND_PREFIX
 * (src/health/haproxy-stats.ts).
 */
export const FRONTEND_PREFIX = 'fe-'
export const BACKEND_PREFIX = 'be-'
export const frontendOf = (service: Pick<ExposedService, 'name'>): string => `${FRONTEND_PREFIX}${service.name}`
export const backendOf = (service: Pick<ExposedService, 'name'>): string => `${BACKEND_PREFIX}${service.name}`

/**
 * The path of a service on the client's health port. It keeps the name the
 * first releases used: a server and a client are re-rendered at different
 * times (one cluster each), and a server asking a path its clients do not
 * answer would take every client out.
 */
export const healthPathOf = (service: Pick<ExposedService, 'name'>): string => `/svc-${service.name}`

/** A TCP frontend on the service's internalPort and the backend it feeds. */
const proxySections = (service: ExposedService, backend: string[]): string[] => [
  `frontend ${frontendOf(service)}`,
  `  bind :${service.internalPort}`,
  `  default_backend ${backendOf(service)}`,
  '',
  `backend ${backendOf(service)}`,
  ...backend,
  '',
]

/**
 * Server side: one frontend per exposed service on its internalPort, one
 * health-checked backend server per client that serves it, at
 * tunnelIP:internalPort. The check asks the client's health port whether
 * it reaches the provider Service, so a client that is gone, or whose
 * Service is down, is out within fall × inter (plus the client's own
 * detection); a request that meets it on its way out is sent to another client.
 */
export function renderServerHaproxy(registry: Registry, options: ServerProxyOptions = {}): string {
  const c = {...DEFAULT_CHECKS, ...options.checks}
  // A client whose certificate is revoked gets no more traffic: the server stops routing to it
  // (old workers finish what is open) before its session is cut, so no request breaks.
  const revoked = new Set(registry.revoked.map((r) => r.serial))
  const routable = registry.clients.filter((client) => !revoked.has(client.serial))
  const pairs = registry.services.reduce((n, service) => n + routable.filter((client) => servedBy(service, client.name)).length, 0)
  const inter = checkInterval(pairs, c.interMs)
  const backendDefaults = serviceDefaults([
    `  balance ${options.balance ?? 'roundrobin'}`,
    // A refused connection to one client (its proxy draining, its tunnel gone) is retried at
    // once on another: redispatch on every retry, not only the last.
    '  option redispatch 1',
    '  retries 2',
    // A hop across the tunnel connects in one round trip: a client that does not answer within
    // half a second is not there (a server starts UP until its first check says otherwise). When
    // the server's OpenVPN reloads its keys in place, every tunnel is gone for the clients'
    // restart pause (a second at least: OpenVPN pauses in whole seconds) and a request meets the
    // clients one after the other, each marked down only when its connect times out, before the
    // hold takes it: at 1 s each, two clients and the hold took 2.06 s (the data-plane suite).
    '  timeout connect 500ms',
    // Checks ask each client whether it reaches the provider Service; with many pairs they come
    // less often (checkInterval), while a client that fails real connections is taken out at once
    // (observe layer4). A down one is asked again at the same pace: at 1000 pairs whose provider
    // Services were all down, a one-second downinter made 1000 checks a second through the tunnel,
    // which took more CPU than the rest of the gateway.
    `  default-server check port ${HEALTH_PORT} inter ${inter} fastinter ${Math.max(100, Math.floor(c.interMs / 2))} downinter ${inter} fall ${c.fall} rise 1 observe layer4 error-limit 1 on-error mark-down tcp-ut 20s init-addr none`,
    // No on-marked-down shutdown-sessions: it also kills the session whose failed connect marked
    // the client down while HAProxy redispatches it, and the sessions a stopping client is
    // draining. Sessions through a tunnel that vanished end by themselves instead: keepalives
    // find an idle one within 16 s, unacknowledged data (tcp-ut) aborts a busy one within 20 s.
    '  option srvtcpka',
    '  srvtcpka-idle 10s',
    '  srvtcpka-intvl 2s',
    '  srvtcpka-cnt 3',
  ])
  const servingOf = registry.services.map((service) => routable.filter((client) => servedBy(service, client.name)))
  const sections = registry.services.flatMap((service, i) =>
    proxySections(service, [
      `  option httpchk GET ${healthPathOf(service)}`,
      ...servingOf[i].map((client) => `  server ${client.name} ${client.tunnelIP}:${service.internalPort}`),
      ...(servingOf[i].length > 0 ? [`  server ${HOLD_SERVER} ${HOLD_ADDRESS} backup no-check send-proxy-v2`] : []),
    ]),
  )
  const serveAny = new Set(servingOf.flat())
  const holders = routable.filter((client) => serveAny.has(client))
  // A client that does not serve the service refuses the connection at once once its tunnel is
  // back, and costs an attempt (round robin retries the next client without waiting): a service
  // served by fewer clients gets those attempts on top of the wait.
  const skipped = Math.max(0, ...servingOf.filter((serving) => serving.length > 0).map((serving) => holders.length - serving.length))
  const hold =
    holders.length > 0
      ? [
          `listen ${HOLD_SECTION}`,
          `  bind ${HOLD_ADDRESS} accept-proxy`,
          '  option redispatch 1',
          `  retries ${HOLD_RETRIES + skipped}`,
          '  timeout connect 500ms',
          // No port: the one the consumer dialled (the PROXY header's destination), the service's internalPort.
          ...holders.map((client) => `  server ${client.name} ${client.tunnelIP} no-check`),
          '',
        ]
      : []
  const tunnels = [
    `backend ${TUNNELS_BACKEND}`,
    // One check per client, at the fast interval whatever the number of services: which tunnels are up.
    `  default-server check port ${HEALTH_PORT} inter ${c.interMs} fall ${c.fall} rise 1 init-addr none`,
    ...registry.clients.map((client) => `  server ${client.name} ${client.tunnelIP}:${HEALTH_PORT}`),
    // Never used (nothing routes here): it keeps HAProxy from logging "backend 'tunnels' has no
    // server available!" as an ALERT whenever no client is connected, e.g. before the first one.
    `  server ${UNUSED_SERVER} 127.0.0.1:9 backup no-check`,
    '',
  ]
  return withConfigId((statsRules) => lines(header(statsRules), backendDefaults, sections, hold, tunnels))
}

export interface ClientProxyOptions {
  clientName: string
  clusterDomain: string
  /** Checks of the provider Service; production keeps the defaults. */
  checks?: Partial<CheckTimers>
  /** Tests map a provider Service to an address of their own; production resolves cluster DNS. */
  resolveService?: (service: ClientService) => string
}

/**
 * Client side: each service this client serves listens on its internalPort
 * and forwards to the provider's Service, resolved through the pod's
 * cluster DNS (re-resolved at run time, so a recreated Service is followed)
 * and checked; the health frontend tells the server's checks, per service,
 * whether that Service answers.
 */
export function renderClientHaproxy(registry: Registry, options: ClientProxyOptions): string {
  const c = {...DEFAULT_CHECKS, ...options.checks}
  const serving = registry.services.filter((s) => servedBy(s, options.clientName))
  const useDns = !options.resolveService
  const sections = serving.flatMap((service) => {
    const target = options.resolveService
      ? options.resolveService(service.clientService)
      : `${service.clientService.name}.${service.clientService.namespace}.svc.${options.clusterDomain}:${service.clientService.port}`
    return proxySections(service, [`  server target ${target}`])
  })
  const inter = checkInterval(serving.length, c.interMs)
  const backendDefaults = serviceDefaults([
    `  default-server check inter ${inter} downinter ${inter} fall ${c.fall} rise 1${useDns ? ' resolvers cluster init-addr last,libc,none' : ''}`,
  ])
  const health = [
    'frontend health',
    // Reached by the server's checks over the tunnel; it only says up or down per service.
    `  bind :${HEALTH_PORT}`,
    '  mode http',
    // Not one line per check (hundreds a second on a large gateway, the "down" answers too): the
    // server logs what its checks find, and status and doctor read the server's stats.
    '  http-request set-log-level silent',
    '  timeout client 5s',
    ...serving.map(
      (service) =>
        `  http-request return status 200 content-type text/plain string up if { path ${healthPathOf(service)} } { nbsrv(${backendOf(service)}) gt 0 }`,
    ),
    '  http-request return status 503 content-type text/plain string down',
    '',
  ]
  const resolvers = useDns ? ['resolvers cluster', '  parse-resolv-conf', '  hold valid 10s', '  hold other 30s', ''] : []
  return withConfigId((statsRules) => lines(header(statsRules), resolvers, health, backendDefaults, sections))
}
