import {ChildProcess, spawn} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {createCA, issueClientCertificate, issueServerCertificate, KeyPair} from '../../src/pki/certificates.js'

export interface ClusterSet {
  kubeconfig: string
  dir: string
  /** ctx-a, ctx-b, …: admin (system:masters) contexts. */
  contexts: string[]
  stop(): Promise<void>
}

export interface UpOptions {
  clusters: number
  dir?: string
  /** Where child processes log (default: files in dir). */
  log?: (line: string) => void
}

const CONTROLLERS = [
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
].join(',')

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

const letter = (i: number) => String.fromCharCode(97 + i)

interface ClusterPki {
  ca: KeyPair
  serving: KeyPair
  admin: KeyPair
  restricted: KeyPair
}

function clusterPki(): ClusterPki {
  const ca = createCA({commonName: 'testcp-ca'})
  return {
    ca,
    serving: issueServerCertificate(ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1', '10.96.0.1'],
    }),
    admin: issueClientCertificate(ca, {commonName: 'admin', organization: 'system:masters'}),
    restricted: issueClientCertificate(ca, {commonName: 'svcgw-restricted'}),
  }
}

function kubeconfigFor(clusters: Array<{name: string; port: number; pki: ClusterPki}>): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: `cluster-${c.name}`,
      cluster: {server: `https://127.0.0.1:${c.port}`, 'certificate-authority-data': b64(c.pki.ca.cert)},
    })),
    users: clusters.flatMap((c) => [
      {name: `admin-${c.name}`, user: {'client-certificate-data': b64(c.pki.admin.cert), 'client-key-data': b64(c.pki.admin.key)}},
      {name: `restricted-${c.name}`, user: {'client-certificate-data': b64(c.pki.restricted.cert), 'client-key-data': b64(c.pki.restricted.key)}},
    ]),
    contexts: clusters.flatMap((c) => [
      {name: `ctx-${c.name}`, context: {cluster: `cluster-${c.name}`, user: `admin-${c.name}`}},
      {name: `ctx-${c.name}-restricted`, context: {cluster: `cluster-${c.name}`, user: `restricted-${c.name}`}},
    ]),
    'current-context': `ctx-${clusters[0].name}`,
  })
}

/** GET /readyz with the admin certificate until it answers 200. */
async function waitReady(port: number, pki: ClusterPki, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const why = exited()
    if (why) throw new Error(why)
    const status = await new Promise<number>((resolve) => {
      const req = request(
        {host: '127.0.0.1', port, path: '/readyz', ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key, timeout: 2000},
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', () => resolve(0))
      req.on('timeout', () => req.destroy())
      req.end()
    })
    if (status === 200) return
    if (Date.now() > deadline) throw new Error(`kube-apiserver on port ${port} not ready after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * Starts N clusters on loopback: one etcd (a key prefix per cluster), and
 * per cluster a kube-apiserver and a kube-controller-manager, all child
 * processes of the given testcp binary. Resolves once every /readyz is 200.
 */
export async function up(binary: string, options: UpOptions): Promise<ClusterSet> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'svcgw-cp-'))
  mkdirSync(dir, {recursive: true})
  const children: ChildProcess[] = []
  const failures: string[] = []
  let stopping = false
  const run = (name: string, args: string[]) => {
    const child = spawn(binary, args, {stdio: ['ignore', 'pipe', 'pipe']})
    const lines: string[] = []
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        lines.push(line)
        if (lines.length > 40) lines.shift()
        options.log?.(`${name}: ${line}`)
      }
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    child.on('exit', (code, signal) => {
      if (!stopping) failures.push(`${name} exited (${code ?? signal}):\n${lines.slice(-15).join('\n')}`)
    })
    children.push(child)
    return child
  }
  const stop = async () => {
    stopping = true
    await Promise.all(
      children.reverse().map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve()
            c.once('exit', () => resolve())
            c.kill('SIGTERM')
            setTimeout(() => c.kill('SIGKILL'), 5000).unref()
          }),
      ),
    )
    rmSync(dir, {recursive: true, force: true})
  }
  // A parent that exits (even by an uncaught error) takes its control planes with it.
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL')
  })
  try {
    const [clientPort, peerPort] = [await freePort(), await freePort()]
    const etcd = run('etcd', ['etcd', '--data-dir', join(dir, 'etcd'), '--client-port', String(clientPort), '--peer-port', String(peerPort)])
    await new Promise<void>((resolve, reject) => {
      etcd.stdout!.on('data', (d: Buffer) => d.toString().includes('etcd ready') && resolve())
      etcd.once('exit', () => reject(new Error(failures.join('\n') || 'etcd exited')))
    })
    const clusters = []
    for (let i = 0; i < options.clusters; i++) {
      const name = letter(i)
      const cdir = join(dir, `cluster-${name}`)
      mkdirSync(cdir, {recursive: true})
      const pki = clusterPki()
      const sa = generateKeyPairSync('rsa', {modulusLength: 2048})
      const files: Record<string, string> = {
        'ca.crt': pki.ca.cert,
        'serving.crt': pki.serving.cert,
        'serving.key': pki.serving.key,
        'sa.key': sa.privateKey.export({type: 'pkcs8', format: 'pem'}).toString(),
        'sa.pub': sa.publicKey.export({type: 'spki', format: 'pem'}).toString(),
      }
      for (const [file, content] of Object.entries(files)) writeFileSync(join(cdir, file), content, {mode: 0o600})
      const port = await freePort()
      writeFileSync(join(cdir, 'kubeconfig'), kubeconfigFor([{name, port, pki}]), {mode: 0o600})
      run(`apiserver-${name}`, [
        'kube-apiserver',
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        `--etcd-prefix=/cluster-${name}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${port}`,
        `--cert-dir=${cdir}`,
        `--tls-cert-file=${join(cdir, 'serving.crt')}`,
        `--tls-private-key-file=${join(cdir, 'serving.key')}`,
        `--client-ca-file=${join(cdir, 'ca.crt')}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(cdir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(cdir, 'sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=RBAC',
        '--allow-privileged=true',
        '--enable-priority-and-fairness=false',
        '--v=0',
      ])
      clusters.push({name, port, pki, cdir, sa: join(cdir, 'sa.key')})
    }
    for (const c of clusters) {
      await waitReady(c.port, c.pki, 90_000, () => failures[0])
      run(`controller-manager-${c.name}`, [
        'kube-controller-manager',
        `--kubeconfig=${join(c.cdir, 'kubeconfig')}`,
        `--controllers=${CONTROLLERS}`,
        `--service-account-private-key-file=${c.sa}`,
        `--root-ca-file=${join(c.cdir, 'ca.crt')}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--concurrent-deployment-syncs=5',
        '--v=0',
      ])
    }
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, kubeconfigFor(clusters), {mode: 0o600})
    return {kubeconfig, dir, contexts: clusters.map((c) => `ctx-${c.name}`), stop}
  } catch (error) {
    await stop()
    throw error
  }
}

// As a command: `tsx test/cluster/up.ts --clusters 2 [--dir DIR]` prints `READY <kubeconfig>`
// and runs until interrupted or until its standard input closes.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const {execFileSync} = await import('node:child_process')
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const binary = execFileSync('bash', [new URL('build.sh', import.meta.url).pathname], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim()
  const set = await up(binary, {clusters: Number(arg('--clusters') ?? 2), dir: arg('--dir')})
  process.stdout.write(`READY ${set.kubeconfig}\n`)
  const shutdown = async () => {
    await set.stop()
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  process.stdin.on('end', shutdown)
  process.stdin.resume()
}
