import {spawn} from 'node:child_process'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import yaml from 'js-yaml'

import {BIN, type CliResult} from '../unit/cli/run-cli.js'
import {webBackend} from '../cluster/workloads.js'

/**
 * One healthy gateway for doctor's tests and benchmark: a server in ctx-a
 * (NodePort), two clients (ctx-b, another cluster; "local", another
 * namespace of ctx-a) and five exposed services, each backed in both
 * clusters by a busybox httpd that names its cluster.
 */
export interface DoctorGateway {
  kubeconfig: string
  /** Gateway namespace (ctx-a), client namespaces (ctx-b, ctx-a), backends' namespace (both). */
  gw: string
  remote: string
  local: string
  app: string
  services: string[]
  home: string[]
}

export const SERVICES = ['web1', 'web2', 'web3', 'web4', 'web5']

const hex = () => randomBytes(3).toString('hex')

export function svcgwRun(kubeconfig: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1', DEBUG: ''}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code) => resolve({status: code ?? -1, stdout, stderr}))
  })
}

export const kubectlRun = (kubeconfig: string, context: string, args: string[], input?: string): string =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args], {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})

async function ok(kubeconfig: string, args: string[]): Promise<CliResult> {
  const r = await svcgwRun(kubeconfig, args)
  if (r.status !== 0) throw new Error(`kubectl svcgw ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return r
}

export async function installDoctorGateway(kubeconfig: string, progress: (line: string) => void = () => {}): Promise<DoctorGateway> {
  const id = hex()
  const g: DoctorGateway = {kubeconfig, gw: `dr-gw-${id}`, remote: `dr-cb-${id}`, local: `dr-cl-${id}`, app: `dr-app-${id}`, services: SERVICES, home: []}
  g.home = ['--context', 'ctx-a', '-n', g.gw]
  for (const [ctx, letter] of [['ctx-a', 'a'], ['ctx-b', 'b']] as const) {
    kubectlRun(kubeconfig, ctx, ['create', 'namespace', g.app])
    const objects = SERVICES.flatMap((s) => webBackend(s, letter))
    kubectlRun(kubeconfig, ctx, ['apply', '--server-side', '-n', g.app, '-f', '-'], objects.map((o) => `---\n${yaml.dump(o)}`).join('\n'))
  }
  for (const ctx of ['ctx-a', 'ctx-b']) for (const s of SERVICES) kubectlRun(kubeconfig, ctx, ['wait', '-n', g.app, '--for=condition=Available', `deployment/${s}`, '--timeout=120s'])
  progress('backends ready')
  await ok(kubeconfig, ['server', 'install', ...g.home, '--service-type', 'NodePort'])
  await ok(kubeconfig, ['client', 'install', ...g.home, '--to', 'ctx-b', '--client-namespace', g.remote])
  await ok(kubeconfig, ['client', 'install', ...g.home, '--to', 'ctx-a', '--name', 'local', '--client-namespace', g.local])
  progress('server and two clients installed')
  for (const s of SERVICES) await ok(kubeconfig, ['expose', s, '--port', '80', '--service-namespace', g.app, ...g.home])
  progress('five services exposed')
  return g
}

export function removeDoctorGateway(g: DoctorGateway): void {
  for (const [ctx, ns] of [['ctx-a', g.app], ['ctx-b', g.app], ['ctx-a', g.gw], ['ctx-b', g.remote], ['ctx-a', g.local]]) {
    try {
      kubectlRun(g.kubeconfig, ctx, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found'])
    } catch {}
  }
}
