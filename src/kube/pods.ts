import {PassThrough, Writable} from 'node:stream'
import {CoreV1Api, Exec, PortForward, V1Status} from '@kubernetes/client-node'

import {SvcgwError} from '../errors.js'
import {Cluster} from './cluster.js'
import {mapKubeError} from './errors.js'
import {type Pod, podReady} from './object.js'
import {countStream} from './stats.js'

/** Pods of a selector, newest first, not counting ones being deleted. */
export async function listPods(cluster: Cluster, namespace: string, labelSelector: string): Promise<Pod[]> {
  const pods = await cluster.list<Pod>({apiVersion: 'v1', kind: 'Pod', namespace, labelSelector})
  return pods
    .filter((p) => !p.metadata.deletionTimestamp)
    .sort((a, b) => String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? '')))
}

/** The newest Running pod of the selector, or undefined. */
export async function runningPod(cluster: Cluster, namespace: string, labelSelector: string): Promise<Pod | undefined> {
  return (await listPods(cluster, namespace, labelSelector)).find((p) => p.status?.phase === 'Running')
}

export async function readyPods(cluster: Cluster, namespace: string, labelSelector: string): Promise<Pod[]> {
  return (await listPods(cluster, namespace, labelSelector)).filter(podReady)
}

const collect = (into: Buffer[]) =>
  new Writable({
    write(chunk, _encoding, done) {
      into.push(Buffer.from(chunk))
      done()
    },
  })

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => SvcgwError): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(error()), ms)
    }),
  ])
}

/** Runs a command in a container and returns its stdout; a non-zero exit is an error carrying its stderr. */
export async function execInPod(cluster: Cluster, namespace: string, pod: string, container: string, command: string[], timeoutMs = 10_000): Promise<string> {
  countStream()
  const out: Buffer[] = []
  const err: Buffer[] = []
  const where = `${pod}/${container} of context "${cluster.context}"`
  const run = new Promise<string>((resolve, reject) => {
    const finish = (status: V1Status) => {
      if (status.status === 'Success') resolve(Buffer.concat(out).toString('utf8'))
      else {
        const detail = (Buffer.concat(err).toString('utf8').trim() || status.message || 'failed').split('\n').slice(-1)[0]
        reject(new SvcgwError('internal', `"${command.join(' ')}" in ${where}: ${detail}`))
      }
    }
    new Exec(cluster.kc).exec(namespace, pod, container, command, collect(out), collect(err), null, false, finish).catch((error: unknown) => {
      reject(mapKubeError(error, cluster.context, `exec in ${pod}/${container}`))
    })
  })
  return withTimeout(run, timeoutMs, () => new SvcgwError('timeout', `exec in ${where} timed out`, 'raise --timeout'))
}

/** The last lines a container wrote (of its previous run with `previous`). */
export async function podLogs(cluster: Cluster, namespace: string, pod: string, container: string, options: {tailLines: number; previous?: boolean}): Promise<string> {
  countStream()
  const core = cluster.kc.makeApiClient(CoreV1Api)
  try {
    return await core.readNamespacedPodLog({name: pod, namespace, container, tailLines: options.tailLines, previous: options.previous})
  } catch (error) {
    throw mapKubeError(error, cluster.context, `reading the logs of ${pod}/${container}`)
  }
}

/** A whole HTTP/1.x response once its body is complete (Content-Length), else undefined. */
export function parseHttpResponse(raw: Buffer): {status: number; body: string} | undefined {
  const text = raw.toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = text.slice(0, end)
  const status = /^HTTP\/1\.\d (\d{3})/.exec(head)
  if (!status) return {status: 0, body: ''}
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  const body = raw.subarray(end + 4)
  if (length && body.length < Number(length[1])) return undefined
  return {status: Number(status[1]), body: body.toString('utf8')}
}

/**
 * One HTTP GET to a port on the pod's loopback, through the apiserver's
 * port-forward (`pods/portforward`, which reaches no file of the pod,
 * unlike exec). Returns the body; a non-2xx status is an error.
 */
export async function podHttpGet(cluster: Cluster, namespace: string, pod: string, port: number, path: string, timeoutMs = 10_000): Promise<string> {
  countStream()
  const where = `port ${port} of ${pod} in context "${cluster.context}"`
  // Left open until the answer is in: the library closes the socket when its input ends.
  const input = new PassThrough()
  let close = () => {}
  const answer = new Promise<{status: number; body: string}>((resolve, reject) => {
    const received: Buffer[] = []
    const problems: Buffer[] = []
    const output = new Writable({
      write(chunk, _encoding, done) {
        received.push(Buffer.from(chunk))
        const parsed = parseHttpResponse(Buffer.concat(received))
        if (parsed) resolve(parsed)
        done()
      },
    })
    new PortForward(cluster.kc)
      .portForward(namespace, pod, [port], output, collect(problems), input)
      .then((ws) => {
        const socket = ws as unknown as {close(): void; on(event: 'close', fn: () => void): void}
        close = () => socket.close()
        socket.on('close', () => {
          const why = Buffer.concat(problems).toString('utf8').trim()
          reject(new SvcgwError('unreachable', `GET ${path} on ${where}: ${why || 'the connection closed without an answer'}`))
        })
        input.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`)
      })
      .catch((error: unknown) => reject(mapKubeError(error, cluster.context, `port-forward to ${pod}`)))
  })
  try {
    const {status, body} = await withTimeout(answer, timeoutMs, () => new SvcgwError('timeout', `GET ${path} on ${where} timed out`, 'raise --timeout'))
    if (status < 200 || status > 299) throw new SvcgwError('internal', `GET ${path} on ${where} answered ${status || 'something other than HTTP'}`)
    return body
  } finally {
    close()
    input.destroy()
  }
}
