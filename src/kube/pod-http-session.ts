import {PassThrough, Writable} from 'node:stream'
import {PortForward} from '@kubernetes/client-node'

import {SvcgwError} from '../errors.js'
import {Cluster} from './cluster.js'
import {mapKubeError} from './errors.js'
import {countStream} from './stats.js'

/** An answer over a port-forward already open takes milliseconds; this long, and the connection is dead. */
const STALE_MS = 150

interface Pending {
  received: Buffer[]
  resolve: (answer: Answer) => void
  reject: (error: Error) => void
}

interface Answer {
  status: number
  body: string
  /** The proxy closes the connection after this answer. */
  close: boolean
  /** No Content-Length: the body would run to the end of the connection, which a kept-alive one has not. */
  unframed?: boolean
}

/** A response once complete: its head and, by Content-Length, its whole body; else undefined. */
export function parseKeptAlive(raw: Buffer): Answer | undefined {
  const end = raw.indexOf('\r\n\r\n')
  if (end < 0) return undefined
  const head = raw.subarray(0, end).toString('latin1')
  const status = /^HTTP\/1\.\d (\d{3})/.exec(head)
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  if (!status || !length) return {status: status ? Number(status[1]) : 0, body: '', close: true, unframed: Boolean(status)}
  const body = raw.subarray(end + 4)
  if (body.length < Number(length[1])) return undefined
  return {status: Number(status[1]), body: body.subarray(0, Number(length[1])).toString('utf8'), close: /\r\nconnection:\s*close/i.test(head)}
}

/**
 * GETs to one port on a pod's loopback, again and again, over one
 * port-forward kept open (HTTP/1.1 keep-alive). A port-forward is a
 * websocket through the apiserver, the kubelet and the container runtime:
 * a command waiting for 20 proxies opened 20 of them per poll, more CPU than
 * the reloads it waited for. An HAProxy reload closes the old worker's
 * connections, so a session opens a new port-forward per reload, not per look.
 */
export class PodHttpSession {
  private socket?: {close(): void}
  private input?: PassThrough
  private pending?: Pending
  private opening?: Promise<void>
  private problems: Buffer[] = []

  constructor(
    private readonly cluster: Cluster,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly port: number,
  ) {}

  private get where(): string {
    return `port ${this.port} of ${this.pod} in context "${this.cluster.context}"`
  }

  private open(): Promise<void> {
    countStream()
    this.problems = []
    const input = new PassThrough()
    const output = new Writable({
      write: (chunk, _encoding, done) => {
        const pending = this.pending
        if (pending) {
          pending.received.push(Buffer.from(chunk))
          const answer = parseKeptAlive(Buffer.concat(pending.received))
          if (answer) {
            this.pending = undefined
            pending.resolve(answer)
          }
        }
        done()
      },
    })
    const problems = new Writable({
      write: (chunk, _encoding, done) => {
        this.problems.push(Buffer.from(chunk))
        done()
      },
    })
    this.input = input
    return new PortForward(this.cluster.kc)
      .portForward(this.namespace, this.pod, [this.port], output, problems, input)
      .then((ws) => {
        const socket = ws as unknown as {close(): void; on(event: 'close', fn: () => void): void}
        this.socket = socket
        socket.on('close', () => {
          // A socket this session dropped itself, or one replaced since: nothing waits on it.
          if (this.socket !== socket) return
          this.drop()
          const why = Buffer.concat(this.problems).toString('utf8').trim()
          this.pending?.reject(new SvcgwError('unreachable', `GET on ${this.where}: ${why || 'the connection closed without an answer'}`))
          this.pending = undefined
        })
      })
      .catch((error: unknown) => {
        this.drop()
        throw mapKubeError(error, this.cluster.context, `port-forward to ${this.pod}`)
      })
  }

  private drop(): void {
    const socket = this.socket
    this.socket = undefined
    this.opening = undefined
    this.input?.destroy()
    this.input = undefined
    socket?.close()
  }

  /**
   * The body of a 2xx answer to GET `path`. On a connection kept from an earlier look, an answer
   * that does not come within STALE_MS means the proxy behind it is gone (a reload's old worker
   * exits, and the port-forward reports the close late, 0.6-0.8 s measured): the look is made
   * again on a new port-forward.
   */
  async get(path: string, timeoutMs: number): Promise<string> {
    if (this.pending) throw new SvcgwError('internal', `GET on ${this.where} while another is in flight`)
    if (this.socket !== undefined) {
      try {
        return await this.request(path, Math.min(timeoutMs, STALE_MS))
      } catch (error) {
        if (!(error instanceof SvcgwError) || (error.errorClass !== 'unreachable' && error.errorClass !== 'timeout')) throw error
      }
    }
    return this.request(path, timeoutMs)
  }

  private async request(path: string, timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined
    try {
      this.opening ??= this.open()
      const answer = await Promise.race([
        this.opening.then(
          () =>
            new Promise<Answer>((resolve, reject) => {
              if (!this.input) return reject(new SvcgwError('unreachable', `GET on ${this.where}: the connection closed`))
              this.pending = {received: [], resolve, reject}
              this.input.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
            }),
        ),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new SvcgwError('timeout', `GET ${path} on ${this.where} timed out`, 'raise --timeout')), timeoutMs)
        }),
      ])
      if (answer.close) this.drop()
      if (answer.unframed) throw new SvcgwError('internal', `GET ${path} on ${this.where} answered without a Content-Length, which a kept-alive connection needs`)
      if (answer.status < 200 || answer.status > 299) throw new SvcgwError('internal', `GET ${path} on ${this.where} answered ${answer.status || 'something other than HTTP'}`)
      return answer.body
    } catch (error) {
      // After a timeout or a failure the connection's state is unknown: the next look opens another.
      if (!(error instanceof SvcgwError && error.errorClass === 'internal')) {
        this.pending = undefined
        this.drop()
      }
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  close(): void {
    this.pending = undefined
    this.drop()
  }
}
