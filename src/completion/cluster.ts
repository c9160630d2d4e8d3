import {spawn} from 'node:child_process'

import {names} from '../render/names.js'
import {REGISTRY_KEY} from '../render/registry-configmap.js'
import type {Registry} from '../registry/types.js'

/** How long a completion may wait for a cluster: a TAB that hangs is worse than one that offers nothing. */
export const CLUSTER_TIMEOUT_MS = 2000

export interface Target {
  kubeconfig?: string
  context?: string
  namespace: string
}

/**
 * Runs the real kubectl (it is what called us, so it is there, and it knows every way a
 * kubeconfig authenticates): stdout, or undefined on any failure or after the timeout.
 */
function kubectl(target: Target, args: string[]): Promise<string | undefined> {
  const argv = [
    ...(target.kubeconfig ? ['--kubeconfig', target.kubeconfig] : []),
    ...(target.context ? ['--context', target.context] : []),
    '--namespace', target.namespace,
    `--request-timeout=${CLUSTER_TIMEOUT_MS / 1000}s`,
    ...args,
  ]
  return new Promise((resolve) => {
    const child = spawn(process.env.SVCGW_KUBECTL ?? 'kubectl', argv, {stdio: ['ignore', 'pipe', 'ignore'], timeout: CLUSTER_TIMEOUT_MS + 500})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.on('error', () => resolve(undefined))
    child.on('close', (code) => resolve(code === 0 ? out : undefined))
  })
}

/** The registry of the gateway namespace, read as the viewer Role may (one ConfigMap); undefined when unreadable. */
export async function readRegistry(target: Target): Promise<Registry | undefined> {
  const jsonPath = `{.data.${REGISTRY_KEY.replace('.', '\\.')}}`
  const text = await kubectl(target, ['get', 'configmap', names.registry, '-o', `jsonpath=${jsonPath}`])
  try {
    return text ? (JSON.parse(text) as Registry) : undefined
  } catch {
    return undefined
  }
}

/** Service names of one namespace of a cluster; empty when unreadable. */
export async function serviceNames(target: Target): Promise<string[]> {
  const text = await kubectl(target, ['get', 'services', '-o', 'name'])
  return (text ?? '').split('\n').filter(Boolean).map((l) => l.replace(/^service\//, ''))
}
