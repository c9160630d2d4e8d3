import {readFileSync} from 'node:fs'

import type {ClusterSet} from '../cluster/up.js'
import {execIn} from '../cluster/workloads.js'

/** Seconds since boot: the same clock in a pod and on the host, since /proc/uptime is not namespaced. */
export const uptime = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])

export interface Probe {
  /** Uptime when the request started. */
  at: number
  ok: boolean
  /** Seconds the request took, when it answered. */
  seconds?: number
  /** The page, when it answered. */
  body?: string
}

/**
 * A loop of HTTP requests inside a consumer pod, one every 200 ms with a
 * 2 s limit each, each logged with the moment it started: the consumer's
 * own view of the service, whatever the test does meanwhile.
 */
export class Prober {
  private readonly log: string

  constructor(
    private readonly set: ClusterSet,
    private readonly context: string,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly url: string,
    name = 'probe',
  ) {
    this.log = `/tmp/${name}.log`
  }

  async start(): Promise<void> {
    const loop = [
      `rm -f ${this.log}.stop ${this.log}`,
      `while [ ! -e ${this.log}.stop ]; do`,
      "  t=$(cut -d' ' -f1 /proc/uptime)",
      `  if out=$(timeout 2 wget -q -O - '${this.url}' 2>/dev/null); then echo "$t ok@$(cut -d' ' -f1 /proc/uptime) $out"; else echo "$t fail"; fi >> ${this.log}`,
      '  sleep 0.2',
      'done',
    ].join('\n')
    // Shipped base64-encoded (no quoting survives kubectl exec and sh -c intact otherwise); with every
    // stream detached it outlives the exec session.
    const encoded = Buffer.from(loop).toString('base64')
    await execIn(this.set, this.context, this.namespace, this.pod, ['sh', '-c', `echo ${encoded} | base64 -d > ${this.log}.sh && sh ${this.log}.sh >/dev/null 2>&1 </dev/null &`])
  }

  /** Stops the loop and returns every request it made. */
  async stop(): Promise<Probe[]> {
    await execIn(this.set, this.context, this.namespace, this.pod, ['sh', '-c', `touch ${this.log}.stop; sleep 2.5; cat ${this.log}`]).catch(() => '')
    return this.read()
  }

  async read(): Promise<Probe[]> {
    const text = await execIn(this.set, this.context, this.namespace, this.pod, ['cat', this.log])
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [at, status, ...body] = line.split(' ')
        // "ok@END": the uptime when it answered.
        const [word, end] = status.split('@')
        const ok = word === 'ok'
        return {at: Number(at), ok, ...(ok ? {body: body.join(' '), ...(end ? {seconds: Number(end) - Number(at)} : {})} : {})}
      })
  }
}

/** Requests that started at or after a moment (uptime seconds). */
export const startedAfter = (probes: Probe[], at: number): Probe[] => probes.filter((p) => p.at >= at)

/** Prints a measured figure (the suite prints latencies; docs and README quote them). */
export function measured(line: string): void {
  process.stderr.write(`      measured: ${line}\n`)
}
