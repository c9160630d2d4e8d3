import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ClusterSet} from '../up.js'
import {kubectl, until} from '../workloads.js'

const BUILD = fileURLToPath(new URL('./build.sh', import.meta.url))

/** Where cert-manager keeps the Secrets of ClusterIssuers (its --cluster-resource-namespace). */
export const CLUSTER_RESOURCE_NAMESPACE = 'cert-manager'

export interface CertManager {
  context: string
  /** Its log so far. */
  log(): string
}

/** The built controllers and CRDs (a cache hit once test/build-all.sh ran). */
function artifacts(): string {
  return execFileSync('bash', [BUILD], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 45 * 60_000}).trim()
}

const running = new Map<string, Promise<CertManager>>()

/**
 * Real cert-manager in one test cluster, started on first use and shared by
 * every test of the run (it stops with the clusters): its CRDs from the Go
 * module (deploy/crds), applied with the real kubectl, and its controllers
 * (certificates, certificaterequests with the CA and self-signed issuers and
 * the approver, issuers, clusterissuers), built unchanged from the module by
 * our small main, running on the host against that cluster's apiserver. Only
 * the suites that need it pay for it. No webhook: objects are validated by
 * the CRDs' schemas alone.
 */
export function certManager(set: ClusterSet, context: string): Promise<CertManager> {
  let started = running.get(context)
  if (!started) {
    started = start(set, context)
    running.set(context, started)
  }
  return started
}

async function start(set: ClusterSet, context: string): Promise<CertManager> {
  const dir = artifacts()
  kubectl(set, context, ['apply', '--server-side', '-f', join(dir, 'crds')])
  kubectl(set, context, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/certificates.cert-manager.io', 'crd/certificaterequests.cert-manager.io', 'crd/issuers.cert-manager.io', 'crd/clusterissuers.cert-manager.io'])
  try {
    kubectl(set, context, ['create', 'namespace', CLUSTER_RESOURCE_NAMESPACE])
  } catch {
    // Already there.
  }
  const kubeconfig = join(set.dir, `certmanager-${context}.kubeconfig`)
  writeFileSync(kubeconfig, kubectl(set, context, ['config', 'view', '--minify', '--flatten', '--context', context]), {mode: 0o600})
  const name = `certmanager-${context}`
  set.spawn(name, join(dir, 'certmanager'), ['--kubeconfig', kubeconfig, '--cluster-resource-namespace', CLUSTER_RESOURCE_NAMESPACE, '--v', '2'])
  const log = () => {
    try {
      return readFileSync(set.logFile(name), 'utf8')
    } catch {
      return ''
    }
  }
  await until('cert-manager controllers started', async () => log().includes('cert-manager controllers started'), 60_000)
  return {context, log}
}
