import {conflictError, usageError} from '../errors.js'
import type {Registry} from './types.js'

export const FIRST_INTERNAL_PORT = 20_000
export const LAST_INTERNAL_PORT = 29_999
export const DEFAULT_TUNNEL_NETWORK = '10.8.0.0/24'
/** Tunnel addresses below this offset are kept for the server. */
const FIRST_CLIENT_OFFSET = 10

/** The lowest free internalPort in the gateway's range, skipping ports the gateway itself listens on. */
export function allocateInternalPort(registry: Registry, reservedPorts: number[] = []): number {
  const used = new Set([...registry.services.map((s) => s.internalPort), ...reservedPorts])
  for (let port = FIRST_INTERNAL_PORT; port <= LAST_INTERNAL_PORT; port++) if (!used.has(port)) return port
  throw conflictError('no free internalPort left', 'unexpose services you no longer need')
}

interface Network {
  base: number
  size: number
  prefix: number
}

const toInt = (ip: string): number => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
const toIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')

export function parseNetwork(cidr: string): Network {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr)
  const prefix = match ? Number(match[2]) : Number.NaN
  if (!match || match[1].split('.').some((o) => Number(o) > 255) || prefix < 16 || prefix > 28) {
    throw usageError(`invalid tunnel network "${cidr}"`, 'use an IPv4 CIDR from /16 to /28, e.g. 10.8.0.0/24')
  }
  const size = 2 ** (32 - prefix)
  return {base: toInt(match[1]) - (toInt(match[1]) % size), size, prefix}
}

export const netmaskOf = (cidr: string): string => toIp(2 ** 32 - parseNetwork(cidr).size)
export const networkAddressOf = (cidr: string): string => toIp(parseNetwork(cidr).base)
/** The server's own tunnel address: the first host of the network. */
export const serverTunnelIP = (cidr: string): string => toIp(parseNetwork(cidr).base + 1)

/** The lowest free client address, skipping the server's reserved block. */
export function allocateTunnelIP(registry: Registry, cidr: string): string {
  const {base, size} = parseNetwork(cidr)
  const used = new Set(registry.clients.map((c) => c.tunnelIP))
  for (let offset = FIRST_CLIENT_OFFSET; offset < size - 1; offset++) {
    const ip = toIp(base + offset)
    if (!used.has(ip)) return ip
  }
  throw conflictError(`tunnel network ${cidr} is full`, 'uninstall unused clients or reinstall the server with a larger --tunnel-network')
}
