import {execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {KubeConfig} from '@kubernetes/client-node'

import {BIN, CliResult} from '../../unit/cli/run-cli.js'

export interface Env {
  kubeconfig: string
}

/** Runs the built plugin against the test clusters, as a real process without a TTY. */
export function svcgw(env: Env, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1', DEBUG: ''},
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
