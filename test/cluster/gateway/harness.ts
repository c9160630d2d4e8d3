import {execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'
import {KubeConfig} from '@kubernetes/client-node'

import {BIN, type CliResult} from '../../unit/cli/run-cli.js'

export interface Env {
  kubeconfig: string
  /** Have the plugin print what it asked of the apiservers (SVCGW_STATS=json) on stderr. */
  stats?: boolean
}

/** Runs the built plugin against the test clusters, as a real process without a TTY. */
export function svcgw(env: Env, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1', DEBUG: '', ...(env.stats ? {SVCGW_STATS: 'json'} : {})},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({status: code ?? -1, stdout, stderr}))
  })
}

/** The machine's real kubectl, for reading back what the plugin did. */
export function kubectl(env: Env, args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', env.kubeconfig, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

export function kubectlJson<T = {items: Array<{metadata: {name: string}}>}>(env: Env, args: string[]): T {
  return JSON.parse(kubectl(env, [...args, '-o', 'json'])) as T
}

export const uniqueName = (prefix: string): string => `${prefix}-${randomBytes(3).toString('hex')}`

export function kubeConfigFor(env: Env, context: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(env.kubeconfig)
  kc.setCurrentContext(context)
  return kc
}

export function expectOk(result: CliResult, what: string): CliResult {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}: ${result.stderr}`)
  return result
}

/**
 * A copy of the kubeconfig in which ctx-a and ctx-b use the restricted
 * users (no RBAC bindings of their own), so the plugin reaches providers
 * through the same context names as restricted as the home side.
 */
export function restrictedEnv(env: Env): Env {
  const config = yaml.load(readFileSync(env.kubeconfig, 'utf8')) as {contexts: Array<{name: string; context: {user: string}}>; users: Array<{name: string}>}
  for (const c of config.contexts) {
    const letter = /^ctx-([a-z])$/.exec(c.name)?.[1]
    if (letter) c.context.user = `restricted-${letter}`
  }
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-restricted-')), 'kubeconfig')
  writeFileSync(path, yaml.dump(config), {mode: 0o600})
  return {kubeconfig: path}
}

/** The user name the restricted contexts authenticate as, as RBAC sees it. */
export const RESTRICTED_USER = 'svcgw-restricted'

/** Applies YAML with the admin context (e.g. the output of `kubectl svcgw rbac`). */
export function kubectlApply(env: Env, context: string, manifest: string): void {
  execFileSync('kubectl', ['--kubeconfig', env.kubeconfig, '--context', context, 'apply', '-f', '-'], {input: manifest, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe']})
}

/** Deletes a test's namespaces without waiting (their pods go in the background); missing ones are fine. */
export function deleteNamespaces(env: Env, namespaces: Array<[context: string, namespace: string]>): void {
  for (const [context, namespace] of namespaces) {
    try {
      kubectl(env, ['--context', context, 'delete', 'namespace', namespace, '--wait=false', '--ignore-not-found'])
    } catch {}
  }
}

/**
 * A gateway whose registry holds client `edge-b` (in ctx-b) and two exposed services, `web`
 * (web.APP:80) and `shop-api` (api.APP:8080), installed with --no-wait at a documentation
 * address: enough for what reads the registry and the providers' Services, no pod needed.
 */
export async function registryOnlyGateway(env: Env, ns: {server: string; client: string; app: string}): Promise<void> {
  const home = ['--context', 'ctx-a', '-n', ns.server]
  kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', ns.app])
  kubectl(env, ['--context', 'ctx-b', '-n', ns.app, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'])
  kubectl(env, ['--context', 'ctx-b', '-n', ns.app, 'create', 'service', 'clusterip', 'api', '--tcp=8080:8080'])
  expectOk(await svcgw(env, ['server', 'install', ...home, '--address', '192.0.2.1', '--no-wait']), 'server install')
  expectOk(await svcgw(env, ['client', 'install', ...home, '--to', 'ctx-b', '--name', 'edge-b', '--client-namespace', ns.client, '--no-wait']), 'client install')
  expectOk(await svcgw(env, ['expose', 'web', '--port', '80', '--service-namespace', ns.app, ...home, '--no-wait']), 'expose web')
  expectOk(await svcgw(env, ['expose', 'api', '--port', '8080', '--service-namespace', ns.app, '--as', 'shop-api', ...home, '--no-wait']), 'expose api')
}
