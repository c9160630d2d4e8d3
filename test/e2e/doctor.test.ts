import {strict as assert} from 'node:assert'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {clusters} from '../cluster/fixture.js'
import type {ClusterSet} from '../cluster/up.js'
import {until} from '../cluster/workloads.js'
import type {CliResult} from '../unit/cli/run-cli.js'
import {expiredCertificate, foreignCertificate, installKeyPair, readKeyPair} from './doctor-certs.js'
import {type DoctorGateway, installDoctorGateway, kubectlRun, removeDoctorGateway, svcgwRun} from './doctor-setup.js'
import {RESTRICTED_USER, restrictedEnv} from '../cluster/gateway/harness.js'
import {measured} from './prober.js'

interface Report {
  verdict: string
  elapsedMs: number
  services: Array<{
    name: string
    verdict: string
    hops: Array<{id: string; state: string}>
    clients: Array<{client: string; hops: Array<{id: string; state: string; detail: string}>}>
    probe?: {state: string; latencyMs?: number; detail: string}
    problems: string[]
  }>
}

/** SVCGW_DOCTOR_CAPTURE=DIR keeps each run's text output (docs/troubleshooting.md is made of them). */
const CAPTURE = process.env.SVCGW_DOCTOR_CAPTURE

/**
 * kubectl svcgw doctor on real pods: one gateway (a server, a client in
 * another cluster and one in another namespace of the server's cluster,
 * five services) shared by every fault; each fault is injected, doctor must
 * name it in one line with its fix and exit 8, and once fixed (by the fix it
 * names where that is a command) exit 0 again.
 */
describe('kubectl svcgw doctor on real pods (e2e)', function () {
  this.timeout(240_000)
  let set: ClusterSet
  let g: DoctorGateway
  let nodeB: string

  const doctor = (args: string[] = []) => svcgwRun(set.kubeconfig, ['doctor', ...args, ...g.home])
  const k = (context: string, args: string[], input?: string) => kubectlRun(set.kubeconfig, context, args, input)
  const capture = (name: string, r: CliResult) => {
    if (!CAPTURE) return
    mkdirSync(CAPTURE, {recursive: true})
    writeFileSync(join(CAPTURE, `${name}.txt`), `$ kubectl svcgw doctor …\n${r.stdout}${r.stderr}exit ${r.status}\n`)
  }

  /** Runs doctor until it names the fault (exit 8, an error line matching): the one line, and the run. */
  async function namesFault(what: string, pattern: RegExp, args: string[] = ['web1'], timeoutMs = 90_000): Promise<{line: string; run: CliResult}> {
    let last: CliResult | undefined
    const run = await until(
      `doctor to name ${what}`,
      async () => {
        last = await doctor(args)
        return last.status === 8 && pattern.test(last.stderr) ? last : undefined
      },
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast run: exit ${last?.status}\n${last?.stdout}\n${last?.stderr}`)
    })
    const errors = run.stderr.trim().split('\n').filter((l) => l.startsWith('error:'))
    assert.equal(errors.length, 1, run.stderr)
    assert.match(errors[0], /; fix: \S/, 'the line names the fix')
    capture(what.replace(/\W+/g, '-'), run)
    return {line: errors[0], run}
  }

  /** Runs doctor until every path works again. */
  async function healthyAgain(what: string, timeoutMs = 120_000): Promise<CliResult> {
    let last: CliResult | undefined
    return until(
      `doctor to exit 0 after fixing ${what}`,
      async () => {
        last = await doctor()
        return last.status === 0 ? last : undefined
      },
      timeoutMs,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast run: exit ${last?.status}\n${last?.stdout}\n${last?.stderr}`)
    })
  }

  /** Runs the fix doctor named when it is one command (kubectl, or kubectl svcgw: this build). */
  async function applyFix(line: string): Promise<void> {
    const fix = /; fix: (kubectl [^();,]*?)(?: \(|,|;|$)/.exec(line)?.[1]?.trim()
    assert.ok(fix, `a command in ${line}`)
    const argv = fix.split(/\s+/)
    if (argv[1] === 'svcgw') {
      const r = await svcgwRun(set.kubeconfig, argv.slice(2))
      assert.equal(r.status, 0, `${fix}: ${r.stderr}`)
    } else {
      const context = argv[argv.indexOf('--context') + 1]
      const rest = argv.slice(1).filter((_, i, all) => !(all[i] === '--context' || all[i - 1] === '--context'))
      k(context, rest)
    }
  }

  before(async function () {
    this.timeout(400_000)
    const started = await clusters()
    if (!started) this.skip()
    set = started
    g = await installDoctorGateway(set.kubeconfig)
    nodeB = set.nodes.find((n) => n.context === 'ctx-b')!.ip
  })

  after(() => {
    if (g) removeDoctorGateway(g)
  })

  it('a healthy gateway: every hop ✓, each probe with its latency and the client that served it, exit 0 (timed: target ≤ 5 s)', async () => {
    const run = await healthyAgain('the install', 60_000)
    const times: number[] = []
    let last = run
    for (let i = 0; i < 3; i++) {
      const t = Date.now()
      last = await doctor()
      times.push(Date.now() - t)
      assert.equal(last.status, 0, last.stderr)
    }
    capture('healthy', last)
    const median = [...times].sort((a, b) => a - b)[1]
    measured(`doctor on a healthy gateway (2 clients, 5 services): ${(median / 1000).toFixed(1)} s (median of 3, the whole command; ${times.map((t) => (t / 1000).toFixed(1)).join(', ')} s)`)
    assert.doesNotMatch(last.stdout, /[✗?] /, 'no hop broken or unchecked')
    const json = await doctor(['-o', 'json'])
    assert.equal(json.status, 0, json.stderr)
    const report = JSON.parse(json.stdout) as Report
    assert.equal(report.services.length, 5)
    for (const s of report.services) {
      assert.equal(s.verdict, 'ok')
      assert.deepEqual(s.clients.map((c) => c.client).sort(), ['ctx-b', 'local'])
      for (const c of s.clients) assert.deepEqual(c.hops.map((h) => h.id), ['backend', 'client-pod', 'certificate', 'client-policy', 'tunnel', 'provider-service', 'endpoints', 'dns', 'probe'])
      assert.equal(s.probe?.state, 'ok')
      assert.ok(typeof s.probe?.latencyMs === 'number', 'the probe has a latency')
      assert.match(s.probe!.detail, /served by (ctx-b|local)/)
    }
    const http = await doctor(['web1', '--http'])
    assert.equal(http.status, 0, http.stderr)
    assert.match(http.stdout, /GET \/ through web1:80: HTTP\/1\.[01] 200 OK in [\d.]+ ms, served by (ctx-b|local)/)
    assert.match(http.stdout, /GET \/ via ctx-b \(10\.8\.0\.\d+:\d+\): HTTP\/1\.[01] 200 OK/)
    capture('healthy-http', http)
    const probeLine = http.stdout.split('\n').find((l) => l.includes('end to end'))!
    measured(`doctor --http: ${probeLine.trim()}`)
    // From a pod of its own, through the consumer Service's DNS name and kube-proxy; the pod is gone after.
    const fromPod = await doctor(['web1', '--http', '--probe-pod'])
    assert.equal(fromPod.status, 0, fromPod.stderr)
    assert.match(fromPod.stdout, new RegExp(`GET / through web1\\.${g.gw}\\.svc:80 from a probe pod: HTTP/1\\.[01] 200 OK in [\\d.]+ ms, served by (ctx-b|local)`))
    capture('healthy-probe-pod', fromPod)
    await until('the probe pod gone', async () => k('ctx-a', ['get', 'pods', '-n', g.gw, '-l', 'app.kubernetes.io/component=doctor', '-o', 'name']).trim() === '', 30_000)
  })

  it('a client scaled to 0: the client pod hop, fixed by the scale it names', async () => {
    k('ctx-b', ['scale', 'deployment/svcgw-client', '-n', g.remote, '--replicas', '0'])
    const {line} = await namesFault('client scaled to 0', /via ctx-b: client pod: deployment\/svcgw-client in ctx-b\/\S+ is scaled to 0.*fix: kubectl --context ctx-b -n \S+ scale deployment\/svcgw-client --replicas 1/)
    await applyFix(line)
    await healthyAgain('the scale')
  })

  it('the provider Service deleted: the provider Service hop', async () => {
    const saved = k('ctx-b', ['get', 'service', 'web1', '-n', g.app, '-o', 'json'])
    k('ctx-b', ['delete', 'service', 'web1', '-n', g.app])
    await namesFault('provider Service deleted', new RegExp(`via ctx-b: provider Service: no Service ${g.app}/web1 in ctx-b .*fix: create it again, or retarget`))
    const svc = JSON.parse(saved) as {metadata: Record<string, unknown>; spec: Record<string, unknown>}
    for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields']) delete svc.metadata[field]
    delete svc.spec.clusterIP
    delete svc.spec.clusterIPs
    k('ctx-b', ['create', '-f', '-'], JSON.stringify(svc))
    await healthyAgain('the Service')
  })

  it('a provider Service with no ready endpoint: the endpoints hop', async () => {
    k('ctx-b', ['scale', 'deployment/web1', '-n', g.app, '--replicas', '0'])
    await namesFault('no ready endpoints', new RegExp(`via ctx-b: endpoints: Service ${g.app}/web1 in ctx-b has no ready endpoint \\(its selector app=web1 matches 0 pods.*fix: .*get pods -l app=web1`))
    k('ctx-b', ['scale', 'deployment/web1', '-n', g.app, '--replicas', '1'])
    await healthyAgain('the endpoints')
  })

  it('a wrong clientService.port (the provider Service moved to 8081): the provider Service hop, fixed by the expose it names', async () => {
    const setPort = (port: number) => {
      for (const ctx of ['ctx-a', 'ctx-b']) k(ctx, ['patch', 'service', 'web1', '-n', g.app, '--type', 'json', '-p', JSON.stringify([{op: 'replace', path: '/spec/ports/0/port', value: port}])])
    }
    setPort(8081)
    try {
      const {line} = await namesFault('wrong clientService.port', /provider Service: Service \S+\/web1 in ctx-\w has no port 80 \(its ports: 8081\).*fix: kubectl svcgw expose web1 --port 8081 --service-namespace \S+ --local-port 80 --overwrite/)
      await applyFix(line)
      await healthyAgain('the port')
    } finally {
      // Back as it was, for the faults after this one.
      setPort(80)
      const r = await svcgwRun(set.kubeconfig, ['expose', 'web1', '--port', '80', '--service-namespace', g.app, '--overwrite', ...g.home])
      assert.equal(r.status, 0, r.stderr)
    }
    await healthyAgain('the port, back')
  })

  it('a client certificate revoked: the certificate hop, fixed by the rotation it names', async () => {
    const r = await svcgwRun(set.kubeconfig, ['certs', 'revoke', '--client', 'ctx-b', '--yes', ...g.home])
    assert.equal(r.status, 0, r.stderr)
    const {line} = await namesFault('client certificate revoked', /via ctx-b: certificate: serial [0-9a-f]+ of ctx-b \(it is revoked .*fix: kubectl svcgw certs rotate --client ctx-b/)
    await applyFix(line)
    await healthyAgain('the revocation')
  })

  it('a client certificate expired (issued by the gateway CA with notAfter in the past, written into the provider Secret): the certificate hop', async () => {
    const ca = readKeyPair(set.kubeconfig, 'ctx-a', g.gw, 'service-gw-ca')
    const held = readKeyPair(set.kubeconfig, 'ctx-b', g.remote, 'service-gw-client-certificates')
    installKeyPair(set.kubeconfig, 'ctx-b', g.remote, expiredCertificate(ca, 'ctx-b'), held.ca!)
    const {line} = await namesFault('client certificate expired', /via ctx-b: certificate: serial [0-9a-f]+ held by ctx-b\/\S+ \(it expired at .*fix: kubectl svcgw certs rotate --client ctx-b/)
    await applyFix(line)
    await healthyAgain('the expired certificate')
  })

  it('a client signed by another CA: the certificate hop', async () => {
    const held = readKeyPair(set.kubeconfig, 'ctx-b', g.remote, 'service-gw-client-certificates')
    installKeyPair(set.kubeconfig, 'ctx-b', g.remote, foreignCertificate('ctx-b'), held.ca!)
    const {line} = await namesFault('client signed by another CA', /via ctx-b: certificate: .*issued by "some-other-ca" \(it is not signed by the gateway's current CA.*fix: kubectl svcgw certs rotate --client ctx-b/)
    await applyFix(line)
    await healthyAgain('the foreign certificate')
  })

  it('a server address the client cannot reach (client install --address): the tunnel hop names the refusal and the published address', async () => {
    const r = await svcgwRun(set.kubeconfig, ['client', 'install', '--to', 'ctx-b', '--client-namespace', g.remote, '--address', nodeB, '--no-wait', ...g.home])
    assert.equal(r.status, 0, r.stderr)
    const {line} = await namesFault('wrong server address', new RegExp(`via ctx-b: tunnel: .*not connected.*it dials ${nodeB.replace(/\./g, '\\.')}:\\d+, but the server's Service publishes [\\d.]+:\\d+ now; its log says ".*Connection refused.*fix: kubectl svcgw client install --to ctx-b`))
    await applyFix(line)
    await healthyAgain('the address')
  })

  it("a client the server refuses (its client-config-dir entry removed by hand): the drift of svcgw-server-ccd, then, while the pod has not the entry back, AUTH_FAILED and the missing entry", async () => {
    k('ctx-a', ['patch', 'configmap', 'svcgw-server-ccd', '-n', g.gw, '--type', 'json', '-p', JSON.stringify([{op: 'remove', path: '/data/ctx-b'}])])
    const pod = k('ctx-a', ['get', 'pod', '-n', g.gw, '-l', 'app.kubernetes.io/component=server', '-o', 'name']).trim()
    k('ctx-a', ['annotate', '-n', g.gw, pod, `svcgw.dev/config-changed-at=${Date.now()}`, '--overwrite'])
    // Cut the session once the pod has lost the entry: the client's next handshake is refused.
    await until('the entry gone from the server pod', async () => !k('ctx-a', ['exec', '-n', g.gw, pod, '-c', 'openvpn', '--', 'ls', '/etc/svcgw/ccd']).split(/\s+/).includes('ctx-b'), 90_000)
    k('ctx-a', ['exec', '-n', g.gw, pod, '-c', 'openvpn', '--', 'sh', '/etc/svcgw/scripts/openvpn-kick.sh', 'ctx-b'])
    await namesFault('client-config-dir entry removed', /web1: server pod: .* \(svcgw-server-ccd differs from what the registry renders .*fix: kubectl svcgw server install --service-type NodePort/)
    const r = await svcgwRun(set.kubeconfig, ['server', 'install', '--service-type', 'NodePort', ...g.home])
    assert.equal(r.status, 0, r.stderr)
    // The ConfigMap is right again; the pod sees it at the kubelet's next sync. Until then doctor names the refusal.
    const refused = await doctor(['web1'])
    // A race with the kubelet's sync: asserted when doctor gets there first and sees the refusal.
    if (refused.status === 8 && /AUTH_FAILED/.test(refused.stderr)) {
      assert.match(refused.stderr, /via ctx-b: tunnel: .*AUTH_FAILED\): the server pod's client-config-dir has no entry for ctx-b yet.*fix: kubectl --context ctx-a -n \S+ annotate pod \S+ svcgw\.dev\/config-changed-at=/, refused.stderr)
      capture('client-refused-AUTH_FAILED', refused)
      await applyFix(refused.stderr.trim().split('\n').at(-1)!)
    }
    measured(`refused client (AUTH_FAILED, entry missing in the pod) ${refused.status === 8 && /AUTH_FAILED/.test(refused.stderr) ? 'named before the kubelet synced the pod' : 'not seen: the kubelet synced the pod first'}`)
    await healthyAgain('the client-config-dir')
  })

  it('NetworkPolicy denying egress from the client namespace: named from reading the policy (the test nodes\' bridge CNI does not enforce NetworkPolicies)', async () => {
    k('ctx-b', ['apply', '-n', g.remote, '-f', '-'], JSON.stringify({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'deny-egress'}, spec: {podSelector: {}, policyTypes: ['Egress']}}))
    await namesFault('NetworkPolicy denying egress', /via ctx-b: network policy: NetworkPolicy deny-egress in \S+ \(ctx-b\) selects the client pod \(no rule allows egress to the server \([\d.]+\) on \d+\/TCP.*does not enforce.*fix: add an egress rule/)
    k('ctx-b', ['delete', 'networkpolicy', 'deny-egress', '-n', g.remote])
    await healthyAgain('the policy')
  })

  it('DNS failing in the provider (kube-dns without endpoints): the DNS hop', async () => {
    const saved = k('ctx-b', ['get', 'endpointslice', 'kube-dns', '-n', 'kube-system', '-o', 'json'])
    k('ctx-b', ['delete', 'endpointslice', 'kube-dns', '-n', 'kube-system'])
    try {
      await namesFault('DNS failing', /via ctx-b: DNS: web1\.\S+\.svc\.cluster\.local does not resolve from \S+ \(the cluster's DNS \(kube-system\/kube-dns\) has no ready endpoint in ctx-b.*fix: bring CoreDNS back/)
    } finally {
      const slice = JSON.parse(saved) as {metadata: Record<string, unknown>}
      for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation']) delete slice.metadata[field]
      k('ctx-b', ['create', '-f', '-'], JSON.stringify(slice))
    }
    await healthyAgain('DNS')
  })

  it('the server pod crash-looping (a broken OpenVPN config pushed by hand): the server pod hop with its last log line and the drift', async () => {
    const conf = k('ctx-a', ['get', 'configmap', 'svcgw-server-openvpn', '-n', g.gw, '-o', 'jsonpath={.data.server\\.conf}'])
    const broken = conf.replace('\ndev tun0\n', '\ndev tun0\nbogus-option 1\n')
    k('ctx-a', ['patch', 'configmap', 'svcgw-server-openvpn', '-n', g.gw, '--type', 'merge', '-p', JSON.stringify({data: {'server.conf': broken}})])
    k('ctx-a', ['delete', 'pod', '-n', g.gw, '-l', 'app.kubernetes.io/component=server', '--wait=false'])
    await namesFault('server pod crash-looping', /web1: server pod: \S+: container openvpn is crash-looping .*Unrecognized option.*bogus-option.*fix: svcgw-server-openvpn differs from what the registry renders .*kubectl svcgw server install --service-type NodePort/, ['web1'], 120_000)
    const r = await svcgwRun(set.kubeconfig, ['server', 'install', '--service-type', 'NodePort', '--no-wait', ...g.home])
    assert.equal(r.status, 0, r.stderr)
    k('ctx-a', ['delete', 'pod', '-n', g.gw, '-l', 'app.kubernetes.io/component=server', '--wait=false'])
    await healthyAgain('the server config', 180_000)
  })
  it("doctor's RBAC: with the viewer Roles only, the hops it cannot check are '?' naming the permission (exit 9); with the doctor Roles, every hop ✓ (exit 0)", async () => {
    const restricted = restrictedEnv({kubeconfig: set.kubeconfig})
    const roles = async (role: string) => {
      const out: Array<[string, string]> = []
      for (const [ctx, args] of [
        ['ctx-a', ['-n', g.gw]],
        ['ctx-b', ['--side', 'provider', '--client-namespace', g.remote]],
        ['ctx-a', ['--side', 'provider', '--client-namespace', g.local]],
      ] as const) {
        const r = await svcgwRun(set.kubeconfig, ['rbac', role, ...args, '--user', RESTRICTED_USER])
        assert.equal(r.status, 0, r.stderr)
        out.push([ctx, r.stdout])
      }
      return out
    }
    const viewer = await roles('viewer')
    const doctorRoles = await roles('doctor')
    try {
      for (const [ctx, yaml] of viewer) k(ctx, ['apply', '-f', '-'], yaml)
      const limited = await svcgwRun(restricted.kubeconfig, ['doctor', 'web1', ...g.home])
      capture('viewer-only', limited)
      assert.equal(limited.status, 9, limited.stdout + limited.stderr)
      assert.match(limited.stdout, /\? certificate .*\n\s+needs: get secrets in namespace /)
      assert.match(limited.stdout, /needs: create pods\/exec in namespace /)
      assert.doesNotMatch(limited.stdout, /✗/, 'nothing is called broken for want of a permission')
      for (const [ctx, yaml] of doctorRoles) k(ctx, ['apply', '-f', '-'], yaml)
      const full = await until('doctor with its Roles to exit 0', async () => {
        const r = await svcgwRun(restricted.kubeconfig, ['doctor', ...g.home])
        return r.status === 0 ? r : undefined
      }, 30_000)
      assert.doesNotMatch(full.stdout, /[✗?] /)
    } finally {
      for (const [ctx, yaml] of [...viewer, ...doctorRoles]) k(ctx, ['delete', '--ignore-not-found', '-f', '-'], yaml)
    }
  })
})
