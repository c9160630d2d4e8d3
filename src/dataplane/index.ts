import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {Registry} from '../registry/types.js'
import {type ClientProxyOptions, renderClientHaproxy, renderServerHaproxy, type ServerProxyOptions} from './haproxy.js'
import {files} from './layout.js'
import {
  type ClientTunnelOptions,
  type Proto,
  renderClientConf,
  renderClientConfigDir,
  renderRevocations,
  renderServerConf,
  type ServerTunnelOptions,
  type Timers,
} from './openvpn.js'

export type {Proto}

/** proto is required; port 1194, tunnelNetwork 10.8.0.0/24, roundrobin and production timers by default. */
export interface ServerFilesOptions extends ServerTunnelOptions, ServerProxyOptions {
  timers?: Partial<Timers>
}

/** File sets keyed by the ConfigMap they go into, each file name → content. */
export interface ServerFiles {
  openvpn: Record<string, string>
  ccd: Record<string, string>
  crl: Record<string, string>
  haproxy: Record<string, string>
}

export interface ClientFiles {
  openvpn: Record<string, string>
  haproxy: Record<string, string>
}

export function renderServerFiles(registry: Registry, options: ServerFilesOptions): ServerFiles {
  return {
    openvpn: {[files.serverConf]: renderServerConf(options)},
    ccd: renderClientConfigDir(registry, options.tunnelNetwork),
    crl: renderRevocations(registry),
    haproxy: {[files.haproxyCfg]: renderServerHaproxy(registry, {checks: options.checks, balance: options.balance})},
  }
}

export interface ClientFilesOptions extends Omit<ClientTunnelOptions, 'serverName'>, Omit<ClientProxyOptions, 'clusterDomain'> {
  serverName: string
  clusterDomain?: string
}

export function renderClientFiles(registry: Registry, options: ClientFilesOptions): ClientFiles {
  return {
    openvpn: {[files.clientConf]: renderClientConf(options)},
    haproxy: {
      [files.haproxyCfg]: renderClientHaproxy(registry, {
        clientName: options.clientName,
        clusterDomain: options.clusterDomain ?? 'cluster.local',
        ...(options.resolveService ? {resolveService: options.resolveService} : {}),
        ...(options.checks ? {checks: options.checks} : {}),
      }),
    },
  }
}

// manifests/ sits two levels above both src/dataplane and dist/dataplane.
export const SCRIPTS_DIR = fileURLToPath(new URL('../../manifests/scripts/', import.meta.url))

let scripts: Record<string, string> | undefined

/** The POSIX-sh entrypoints and watcher, as shipped in the package. */
export function scriptFiles(): Record<string, string> {
  scripts ??= Object.fromEntries(
    readdirSync(SCRIPTS_DIR)
      .filter((f) => f.endsWith('.sh'))
      .sort()
      .map((f) => [f, readFileSync(SCRIPTS_DIR + f, 'utf8')]),
  )
  return {...scripts}
}
