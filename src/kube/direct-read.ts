import {readFileSync} from 'node:fs'
import {request} from 'node:https'
import {dirname, isAbsolute, join} from 'node:path'

import yaml from 'js-yaml'

import {kubeconfigFiles} from './kubeconfig-files.js'

/**
 * One GET against the apiserver with node:https and the kubeconfig's own
 * credentials, for a command that must answer about as fast as kubectl
 * (`list`): loading and starting @kubernetes/client-node costs more CPU
 * than kubectl's whole run. It serves only the plain cases (one kubeconfig
 * file; client certificate, token or token file; an https server) and
 * answers undefined for anything else, including every error, so the
 * caller takes the full path, which reports errors as every command does.
 */
export async function readDirect(path: string, options: {kubeconfig?: string; context?: string}, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const {files} = kubeconfigFiles(options.kubeconfig, env)
  if (files.length > 1) return undefined
  const file = files[0]
  let target: Target | undefined
  try {
    target = targetOf(yaml.load(readFileSync(file, 'utf8')) as Kubeconfig, dirname(file), options.context)
  } catch {
    return undefined
  }
  return target ? get(target, path) : undefined
}

interface Kubeconfig {
  'current-context'?: string
  contexts?: Array<{name?: string; context?: {cluster?: string; user?: string}}>
  clusters?: Array<{name?: string; cluster?: Record<string, unknown>}>
  users?: Array<{name?: string; user?: Record<string, unknown>}>
}

interface Target {
  url: URL
  ca?: Buffer
  insecure: boolean
  servername?: string
  cert?: Buffer
  key?: Buffer
  token?: string
}

/** Keys of a cluster or user entry that this reader honours; any other set key means the full client. */
const CLUSTER_KEYS = new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions'])
const USER_KEYS = new Set(['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'extensions'])

function targetOf(config: Kubeconfig, base: string, contextName = config['current-context']): Target | undefined {
  const context = config.contexts?.find((c) => c.name === contextName)?.context
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? {}
  if (!context || !cluster || typeof cluster.server !== 'string') return undefined
  if (Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k)) || Object.keys(user).some((k) => !USER_KEYS.has(k))) return undefined
  const url = new URL(cluster.server)
  if (url.protocol !== 'https:') return undefined
  // A relative path in a kubeconfig is relative to the file, as kubectl reads it.
  const file = (p: unknown) => (typeof p === 'string' ? readFileSync(isAbsolute(p) ? p : join(base, p)) : undefined)
  const data = (d: unknown) => (typeof d === 'string' ? Buffer.from(d, 'base64') : undefined)
  const token = typeof user.token === 'string' ? user.token : typeof user.tokenFile === 'string' ? file(user.tokenFile)!.toString('utf8').trim() : undefined
  const target: Target = {url, insecure: cluster['insecure-skip-tls-verify'] === true}
  const ca = data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority'])
  const cert = data(user['client-certificate-data']) ?? file(user['client-certificate'])
  const key = data(user['client-key-data']) ?? file(user['client-key'])
  if (ca) target.ca = ca
  if (cert) target.cert = cert
  if (key) target.key = key
  if (token) target.token = token
  if (typeof cluster['tls-server-name'] === 'string') target.servername = cluster['tls-server-name']
  return target
}

const TIMEOUT_MS = 30_000

function get(target: Target, path: string): Promise<unknown> {
  const base = target.url.pathname.replace(/\/$/, '')
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.url.hostname,
        port: target.url.port || 443,
        path: `${base}${path}`,
        method: 'GET',
        headers: {accept: 'application/json', ...(target.token ? {authorization: `Bearer ${target.token}`} : {})},
        ...(target.ca ? {ca: target.ca} : {}),
        ...(target.cert ? {cert: target.cert} : {}),
        ...(target.key ? {key: target.key} : {}),
        ...(target.servername ? {servername: target.servername} : {}),
        rejectUnauthorized: !target.insecure,
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', () => resolve(undefined))
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(undefined)
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          } catch {
            resolve(undefined)
          }
        })
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(undefined))
    req.end()
  })
}
