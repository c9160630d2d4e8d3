import {ClientService, ExposedService, Registry} from '../registry/types.js'
import {files, rel, STATS_PORT} from './layout.js'

/** Tunables the tests shorten; production keeps the defaults. */
export interface CheckTimers {
  /** Milliseconds between health checks of a backend client. */
  interMs: number
  /** Failed checks before a client is taken out. */
  fall: number
}

export const DEFAULT_CHECKS: CheckTimers = {interMs: 1000, fall: 2}

const lines = (...parts: Array<string | string[]>): string => `${parts.flat().join('\n')}\n`

const header = (): string[] => [
  '# Rendered by kubectl-svcgw; edits are overwritten.',
  'global',
  '  master-worker',
  // A reload hands the listening sockets to the new worker; the old one finishes its connections.
  `  pidfile ${rel.run}/${files.haproxyPid}`,
  '  log stdout format raw local0 info',
  '',
  'defaults',
  '  mode tcp',
  '  log global',
  '  option tcplog',
  '  option dontlognull',
  '  timeout connect 3s',
  '  timeout client 1h',
  '  timeout server 1h',
  '  timeout client-fin 30s',
  '',
  'frontend stats',
  `  bind 127.0.0.1:${STATS_PORT}`,
  '  mode http',
  '  option dontlog-normal',
  '  timeout client 10s',
  '  stats enable',
  '  stats uri /stats',
  '  stats refresh 0',
  '',
]

/** HAProxy section names: one per exposed service, named after it. */
export const sectionOf = (service: ExposedService): string => `svc-${service.name}`

/**
 * Server side: one frontend per exposed service on its internalPort, one
 * health-checked backend server per client that serves it, at
 * tunnelIP:internalPort. A client that stops answering is out within
 * fall × inter, and its sessions are cut so that callers reconnect.
 */
export function renderServerHaproxy(registry: Registry, checks: Partial<CheckTimers> = {}): string {
  const c = {...DEFAULT_CHECKS, ...checks}
  const sections = registry.services.flatMap((service) => {
    const serving = registry.clients.filter((client) => !service.clients || service.clients.includes(client.name))
    const name = sectionOf(service)
    return [
      `frontend ${name}`,
      `  bind :${service.internalPort}`,
      `  default_backend ${name}`,
      '',
      `backend ${name}`,
      '  balance roundrobin',
      // A refused connection to one client is retried on another.
      '  option redispatch',
      '  retries 2',
      `  default-server check inter ${c.interMs} fastinter ${Math.max(100, Math.floor(c.interMs / 2))} fall ${c.fall} rise 1 on-marked-down shutdown-sessions init-addr none`,
      ...serving.map((client) => `  server ${client.name} ${client.tunnelIP}:${service.internalPort}`),
      '',
    ]
  })
  return lines(header(), sections)
}

export interface ClientProxyOptions {
  clientName: string
  clusterDomain: string
  /** Tests map a provider Service to an address of their own; production resolves cluster DNS. */
  resolveService?: (service: ClientService) => string
}

/**
 * Client side: each service this client serves listens on its internalPort
 * and forwards to the provider's Service, resolved through the pod's
 * cluster DNS (re-resolved at run time, so a recreated Service is followed).
 */
export function renderClientHaproxy(registry: Registry, options: ClientProxyOptions): string {
  const serving = registry.services.filter((s) => !s.clients || s.clients.includes(options.clientName))
  const useDns = !options.resolveService
  const sections = serving.flatMap((service) => {
    const name = sectionOf(service)
    const target = options.resolveService
      ? options.resolveService(service.clientService)
      : `${service.clientService.name}.${service.clientService.namespace}.svc.${options.clusterDomain}:${service.clientService.port}`
    return [
      `frontend ${name}`,
      `  bind :${service.internalPort}`,
      `  default_backend ${name}`,
      '',
      `backend ${name}`,
      `  server target ${target}${useDns ? ' resolvers cluster init-addr last,libc,none' : ''}`,
      '',
    ]
  })
  const resolvers = useDns ? ['resolvers cluster', '  parse-resolv-conf', '  hold valid 10s', '  hold other 30s', ''] : []
  return lines(header(), resolvers, sections)
}
