import {execFile, execFileSync} from 'node:child_process'
import {promisify} from 'node:util'
import yaml from 'js-yaml'

import {IMAGES} from './images.js'
import type {ClusterSet} from './up.js'

const execFileAsync = promisify(execFile)

/** The real kubectl against one context of the test clusters. */
export function kubectl(set: ClusterSet, context: string, args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', set.kubeconfig, '--context', context, ...args], {encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe']})
}

/** Applies objects (server-side) with the real kubectl. */
export function apply(set: ClusterSet, context: string, namespace: string, objects: object[]): void {
  kubectl(set, context, ['apply', '--server-side', '-n', namespace, '-f', '-'], objects.map((o) => `---\n${yaml.dump(o)}`).join('\n'))
}

/** `kubectl exec` in a pod: stdout, or the error (exit code and stderr). */
export async function execIn(set: ClusterSet, context: string, namespace: string, pod: string, argv: string[], container?: string): Promise<string> {
  const args = ['--kubeconfig', set.kubeconfig, '--context', context, 'exec', '-n', namespace, pod, ...(container ? ['-c', container] : []), '--', ...argv]
  const {stdout} = await execFileAsync('kubectl', args, {encoding: 'utf8'})
  return stdout
}

/** Polls until probe returns something other than undefined/false (errors count as not yet). */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      last = `: ${(error as Error).message.trim().split('\n').slice(-2).join(' | ')}`
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Waits for a Deployment's rollout (or a Pod's readiness) with the real kubectl. */
export function waitFor(set: ClusterSet, context: string, namespace: string, what: string, timeoutS = 60): void {
  const condition = what.startsWith('deployment/') ? 'Available' : 'Ready'
  kubectl(set, context, ['wait', '-n', namespace, `--for=condition=${condition}`, what, `--timeout=${timeoutS}s`])
}

/**
 * A web backend of testbox: busybox httpd on 8080 serving a page that names
 * its cluster and pod, so a test can tell which backend answered.
 */
export function webBackend(name: string, cluster: string, replicas = 1): object[] {
  const labels = {app: name}
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {name},
      spec: {
        replicas,
        selector: {matchLabels: labels},
        template: {
          metadata: {labels},
          spec: {
            terminationGracePeriodSeconds: 0,
            containers: [
              {
                name: 'web',
                image: IMAGES.testbox,
                env: [{name: 'CLUSTER', value: cluster}],
                command: ['sh', '-c', 'mkdir -p /tmp/www && echo "cluster $CLUSTER pod $HOSTNAME" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
                ports: [{containerPort: 8080}],
                readinessProbe: {httpGet: {path: '/', port: 8080}, periodSeconds: 1},
              },
            ],
          },
        },
      },
    },
    {apiVersion: 'v1', kind: 'Service', metadata: {name}, spec: {type: 'NodePort', selector: labels, ports: [{port: 80, targetPort: 8080}]}},
  ]
}

/** A pod that only waits, to run commands in with exec (wget, nc, nslookup). */
export function probePod(name: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name},
    spec: {terminationGracePeriodSeconds: 0, containers: [{name: 'probe', image: IMAGES.testbox, command: ['sleep', '86400']}]},
  }
}

/**
 * GET a URL from inside a pod with busybox wget. Debian's busybox has no
 * `wget -T` (it crashes: built without FEATURE_WGET_TIMEOUT), so the
 * timeout comes from the timeout applet. Rejects when nothing answers.
 */
export function fetchFrom(set: ClusterSet, context: string, namespace: string, pod: string, url: string, timeoutS = 3): Promise<string> {
  return execIn(set, context, namespace, pod, ['timeout', String(timeoutS), 'wget', '-q', '-O', '-', url])
}
