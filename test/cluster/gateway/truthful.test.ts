import {strict as assert} from 'node:assert'
import {X509Certificate} from 'node:crypto'
import {existsSync, lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import yaml from 'js-yaml'

import {clusters} from '../fixture.js'
import {assertOneLineError} from '../../unit/cli/run-cli.js'
import {deleteNamespaces, type Env, expectOk, kubectl, kubectlApply, kubectlJson, RESTRICTED_USER, restrictedEnv, svcgw, uniqueName} from './harness.js'
import {changedBetween, snapshot} from './snapshot.js'

interface Registry {
  clients: Array<{name: string; serial: string; superseded?: Array<{serial: string}>}>
  revoked: Array<{serial: string}>
}

/**
 * NodePort, as the e2e suite installs it, with a fixed address: this suite
 * checks what commands write, not the tunnel, so it needs no node to route.
 */
const SERVER = ['--service-type', 'NodePort', '--address', '192.0.2.10']

/** kubectl auth can-i's answer (it exits 1 for "no"). */
function canI(env: Env, context: string, verb: string, resource: string): string {
  try {
    return kubectl(env, ['--context', context, 'auth', 'can-i', verb, resource, '-A']).trim()
  } catch (error) {
    return String((error as {stdout?: string}).stdout ?? '').trim()
  }
}

const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '')

describe('commands do exactly what they say (two real apiservers)', function () {
  this.timeout(240_000)
  let env: Env
  const serverNs = uniqueName('tgw')
  const clientNs = uniqueName('tgwc')
  const appNs = uniqueName('tapp')
  const made: Array<[string, string]> = [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]]
  const home = () => ['--context', 'ctx-a', '-n', serverNs]
  const registry = (): Registry =>
    JSON.parse(kubectlJson<{data: Record<string, string>}>(env, ['--context', 'ctx-a', '-n', serverNs, 'get', 'configmap', 'svcgw-registry']).data['registry.json']) as Registry
  const watched = () => made.map(([, ns]) => ns)
  const both = () => ({a: snapshot(env, 'ctx-a', watched()), b: snapshot(env, 'ctx-b', watched())})
  /** Runs a command that must change nothing in either cluster. */
  async function changesNothing(args: string[]): Promise<{stdout: string; stderr: string}> {
    const before = both()
    const result = expectOk(await svcgw(env, args), args.join(' '))
    const after = both()
    assert.deepEqual(changedBetween(before.a, after.a), [], `${args.join(' ')} changed ctx-a`)
    assert.deepEqual(changedBetween(before.b, after.b), [], `${args.join(' ')} changed ctx-b`)
    return result
  }

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', appNs])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'nginx', '--tcp=80:8080'])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'api', '--tcp=8080:8080'])
  })

  after(() => deleteNamespaces(env, made))

  describe('--dry-run', () => {
    it('server install --dry-run changes nothing and shows a diff, Secrets masked, unvalidated objects marked', async () => {
      const {stdout, stderr} = await changesNothing(['server', 'install', ...home(), ...SERVER, '--dry-run'])
      assert.match(stdout, new RegExp(`^diff -u -N live/ctx-a/v1\\.Namespace\\.${serverNs} merged/ctx-a/v1\\.Namespace\\.${serverNs}$`, 'm'))
      assert.match(stdout, /^\+\s+tls\.key: "\*\*\*"$/m, 'key material masked')
      assert.match(stdout, new RegExp(`# not checked by the apiserver: namespace ${serverNs} does not exist yet`))
      assert.doesNotMatch(stdout + stderr, /PRIVATE KEY|LS0tLS1CRUdJTi/)
      assert.match(stderr, /dry run: \d+ object\(s\) would change, \d+ unchanged; nothing was changed/)
    })

    it('a real install, then its dry re-run finds nothing to change (it converges)', async () => {
      expectOk(await svcgw(env, ['server', 'install', ...home(), ...SERVER, '--no-wait']), 'server install')
      const {stdout, stderr} = await changesNothing(['server', 'install', ...home(), ...SERVER, '--dry-run'])
      assert.equal(stdout.trim(), '', stdout)
      assert.match(stderr, /dry run: 0 object\(s\) would change/)
    })

    it('the dry run is the apiserver\'s: an object it would refuse fails in one line, changing nothing', async () => {
      // A headless Service of the same name cannot become a NodePort: only the apiserver knows that.
      const ns = uniqueName('tclash')
      made.push(['ctx-a', ns])
      kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', ns])
      kubectl(env, ['--context', 'ctx-a', '-n', ns, 'create', 'service', 'clusterip', 'svcgw-server', '--clusterip=None'])
      const before = both()
      assertOneLineError(
        await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', ns, ...SERVER, '--dry-run']),
        2,
        /applying service\/svcgw-server: rejected by context "ctx-a" \(.*may not be set to 'None' for NodePort services/,
      )
      assert.deepEqual(changedBetween(before.a, snapshot(env, 'ctx-a', watched())), [])
    })

    it('client install --to --dry-run changes neither cluster and shows both sides', async () => {
      const {stdout} = await changesNothing(['client', 'install', ...home(), '--to', 'ctx-b', '--client-namespace', clientNs, '--dry-run'])
      assert.match(stdout, new RegExp(`^diff -u -N live/ctx-b/apps\\.v1\\.Deployment\\.${clientNs}\\.svcgw-client`, 'm'))
      assert.match(stdout, new RegExp(`^diff -u -N live/ctx-a/v1\\.ConfigMap\\.${serverNs}\\.svcgw-registry`, 'm'))
      assert.match(stdout, new RegExp(`^diff -u -N live/ctx-a/v1\\.ConfigMap\\.${serverNs}\\.svcgw-server-ccd`, 'm'))
      assert.equal(registry().clients.length, 0)
    })

    it('-o yaml prints the would-be objects instead, Secrets masked unless --show-secrets', async () => {
      const masked = (await changesNothing(['client', 'install', ...home(), '--to', 'ctx-b', '--client-namespace', clientNs, '--dry-run', '-o', 'yaml'])).stdout
      const objects = yaml.loadAll(masked) as Array<{kind: string; metadata: {name: string}; data?: Record<string, string>}>
      assert.deepEqual(objects.find((o) => o.metadata.name === 'service-gw-client-certificates')?.data, {'tls.crt': '***', 'tls.key': '***', 'ca.crt': '***'})
      const shown = (await changesNothing(['client', 'install', ...home(), '--to', 'ctx-b', '--client-namespace', clientNs, '--dry-run', '--show-secrets', '-o', 'yaml'])).stdout
      const secret = (yaml.loadAll(shown) as typeof objects).find((o) => o.metadata.name === 'service-gw-client-certificates')
      assert.match(Buffer.from(secret?.data?.['tls.key'] ?? '', 'base64').toString(), /PRIVATE KEY/)
    })

    it('expose, unexpose, rotate, revoke, export and both uninstalls change nothing with --dry-run', async () => {
      expectOk(await svcgw(env, ['client', 'install', ...home(), '--to', 'ctx-b', '--client-namespace', clientNs, '--no-wait']), 'client install')
      const exposeDiff = (await changesNothing(['expose', 'nginx', '--port', '80', '--service-namespace', appNs, ...home(), '--dry-run'])).stdout
      assert.match(exposeDiff, new RegExp(`^diff -u -N live/ctx-a/v1\\.Service\\.${serverNs}\\.nginx`, 'm'))
      assert.match(exposeDiff, new RegExp(`^diff -u -N live/ctx-b/v1\\.ConfigMap\\.${clientNs}\\.svcgw-client-haproxy`, 'm'))
      expectOk(await svcgw(env, ['expose', 'nginx', '--port', '80', '--service-namespace', appNs, ...home(), '--no-wait']), 'expose')
      const file = join(mkdtempSync(join(tmpdir(), 'svcgw-dry-')), 'far.yaml')
      for (const args of [
        ['unexpose', 'nginx'],
        ['certs', 'rotate', '--to', 'ctx-b'],
        ['certs', 'revoke', '--client', 'ctx-b'],
        ['certs', 'export', '--client', 'far', '--address', '192.0.2.10', '--file', file],
        ['client', 'uninstall', '--to', 'ctx-b'],
        ['server', 'uninstall'],
      ]) {
        const {stderr} = await changesNothing([...args, ...home(), '--dry-run'])
        assert.match(stderr, /nothing was changed/, args.join(' '))
      }
      assert.equal(existsSync(file), false, 'a dry-run export writes no file')
      const reg = registry()
      assert.deepEqual([reg.clients.map((c) => c.name), reg.revoked], [['ctx-b'], []])
    })

    it('read-only commands offer neither --dry-run nor --yes', async () => {
      assertOneLineError(await svcgw(env, ['list', ...home(), '--dry-run']), 2, /Nonexistent flag: --dry-run/)
      assertOneLineError(await svcgw(env, ['status', ...home(), '-y']), 2, /Nonexistent flag: -y/)
      assertOneLineError(await svcgw(env, ['certs', 'status', ...home(), '--dry-run']), 2, /Nonexistent flag: --dry-run/)
    })
  })

  describe('certificates', () => {
    it('a rotation that fails before the client runs the new certificate leaves the old one held, recorded and valid, and revokes the new one', async () => {
      const old = registry().clients[0].serial
      assertOneLineError(await svcgw(env, ['certs', 'rotate', '--to', 'ctx-b', ...home(), '--timeout', '1ms']), 7, /did not become available in time/)
      const reg = registry()
      assert.equal(reg.clients[0].serial, old, 'still recorded')
      assert.ok(!reg.revoked.some((r) => r.serial === old), 'still valid')
      const held = Buffer.from(kubectl(env, ['--context', 'ctx-b', '-n', clientNs, 'get', 'secret', 'service-gw-client-certificates', '-o', 'jsonpath={.data.tls\\.crt}']), 'base64').toString()
      assert.equal(serialOf(held), old, 'the provider holds the old certificate again')
      assert.equal(reg.revoked.length, 1, 'the certificate issued for the failed rotation is revoked')
    })

    it('a rotation that may not write to the provider leaves the old certificate recorded and valid', async () => {
      const restricted = restrictedEnv(env)
      kubectlApply(env, 'ctx-a', expectOk(await svcgw(env, ['rbac', 'admin', '-n', serverNs, '--user', RESTRICTED_USER]), 'rbac').stdout)
      try {
        const before = registry()
        assertOneLineError(await svcgw(restricted, ['certs', 'rotate', '--to', 'ctx-b', ...home()]), 6, /forbidden in context "ctx-b"/)
        const after = registry()
        assert.deepEqual(after.clients, before.clients)
        assert.ok(!after.revoked.some((r) => r.serial === before.clients[0].serial))
        assert.ok(after.revoked.length <= before.revoked.length + 1, 'at most the unused new serial is revoked')
      } finally {
        kubectl(env, ['--context', 'ctx-a', 'delete', 'clusterrolebindings,clusterroles', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw', '--ignore-not-found'])
      }
    })

    it('export: a new client gets its key; a registered one its config only, re-issuing nothing; --reissue keeps the old certificate valid until revoke --superseded', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'svcgw-export-'))
      const first = join(dir, 'far.yaml')
      expectOk(await svcgw(env, ['certs', 'export', '--client', 'far', '--address', '192.0.2.10', '--file', first, ...home(), '--no-wait']), 'export new')
      assert.equal(lstatSync(first).mode & 0o777, 0o600)
      assert.ok((yaml.loadAll(readFileSync(first, 'utf8')) as Array<{kind: string}>).some((o) => o.kind === 'Secret'))
      const serial = registry().clients.find((c) => c.name === 'far')!.serial
      const revokedBefore = registry().revoked.length

      const configOnly = join(dir, 'far-config.yaml')
      const out = expectOk(await svcgw(env, ['certs', 'export', '--client', 'far', '--file', configOnly, ...home()]), 'export config').stdout
      assert.match(out, /no certificate: it keeps serial/)
      assert.ok(!(yaml.loadAll(readFileSync(configOnly, 'utf8')) as Array<{kind: string}>).some((o) => o.kind === 'Secret'), 'no Secret in a config-only export')
      assert.equal(registry().clients.find((c) => c.name === 'far')!.serial, serial)
      assert.equal(registry().revoked.length, revokedBefore, 'nothing revoked')

      const reissued = expectOk(await svcgw(env, ['certs', 'export', '--client', 'far', '--reissue', '--file', join(dir, 'far-new.yaml'), ...home()]), 'export --reissue').stdout
      assert.match(reissued, new RegExp(`previous certificate ${serial} stays valid`))
      const far = registry().clients.find((c) => c.name === 'far')!
      assert.notEqual(far.serial, serial)
      assert.deepEqual(far.superseded?.map((s) => s.serial), [serial])
      assert.ok(!registry().revoked.some((r) => r.serial === serial))
      assert.match(expectOk(await svcgw(env, ['certs', 'status', ...home()]), 'certs status').stdout, new RegExp(`^far\\s+client\\s+superseded\\s+${serial}`, 'm'))
      expectOk(await svcgw(env, ['certs', 'revoke', '--client', 'far', '--superseded', '--yes', ...home(), '--no-wait']), 'revoke --superseded')
      assert.ok(registry().revoked.some((r) => r.serial === serial))
      assert.equal(registry().clients.find((c) => c.name === 'far')!.superseded, undefined)
    })

    it('export replaces a symlink at the target instead of writing through it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'svcgw-link-'))
      const victim = join(dir, 'victim')
      writeFileSync(victim, 'keep')
      const link = join(dir, 'far.yaml')
      symlinkSync(victim, link)
      expectOk(await svcgw(env, ['certs', 'export', '--client', 'far', '--config-only', '--file', link, ...home()]), 'export over a symlink')
      assert.equal(readFileSync(victim, 'utf8'), 'keep')
      assert.ok(lstatSync(link).isFile())
      assert.equal(lstatSync(link).mode & 0o777, 0o600)
    })
  })
})

describe('namespaces are never weakened silently (real apiserver)', function () {
  this.timeout(120_000)
  let env: Env

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
  })

  const labels = (ns: string) => kubectlJson<{metadata: {labels: Record<string, string>; annotations?: Record<string, string>}}>(env, ['--context', 'ctx-a', 'get', 'namespace', ns]).metadata

  it('an existing restricted namespace is refused in one line that names the choices; nothing is created', async () => {
    const ns = uniqueName('strict')
    kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', ns])
    kubectl(env, ['--context', 'ctx-a', 'label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted'])
    try {
      const before = labels(ns)
      assertOneLineError(
        await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', ns, '--no-wait']),
        4,
        new RegExp(`namespace "${ns}" in context "ctx-a" enforces Pod Security "restricted".*-n with a new name.*--relabel-namespace`),
      )
      assert.deepEqual(labels(ns), before)
      assert.equal(kubectlJson(env, ['--context', 'ctx-a', '-n', ns, 'get', 'configmaps,secrets,deployments,services', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw']).items.length, 0)

      // With the flag it is raised, what it was is recorded, and uninstall puts it back.
      expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', ns, '--relabel-namespace', '--no-wait']), 'install --relabel-namespace')
      const raised = labels(ns)
      assert.equal(raised.labels['pod-security.kubernetes.io/enforce'], 'privileged')
      assert.ok(raised.annotations?.['svcgw.dev/pod-security-before'])
      assert.equal(raised.labels['app.kubernetes.io/managed-by'], undefined, 'no other label is added')
      expectOk(await svcgw(env, ['server', 'uninstall', '--context', 'ctx-a', '-n', ns, '--yes']), 'uninstall')
      assert.deepEqual(labels(ns).labels, before.labels)
      assert.equal(labels(ns).annotations?.['svcgw.dev/pod-security-before'], undefined)
    } finally {
      kubectl(env, ['--context', 'ctx-a', 'delete', 'namespace', ns, '--wait=false'])
    }
  })

  it('an existing namespace that admits the pods keeps its labels exactly, and is not deleted by uninstall', async () => {
    const ns = uniqueName('team')
    kubectl(env, ['--context', 'ctx-a', 'create', 'namespace', ns])
    kubectl(env, ['--context', 'ctx-a', 'label', 'namespace', ns, 'team=x'])
    try {
      const before = labels(ns)
      expectOk(await svcgw(env, ['server', 'install', '--context', 'ctx-a', '-n', ns, '--no-wait']), 'install')
      assert.deepEqual(labels(ns).labels, before.labels)
      expectOk(await svcgw(env, ['server', 'uninstall', '--context', 'ctx-a', '-n', ns, '--yes']), 'uninstall')
      assert.equal(kubectlJson<{status: {phase: string}}>(env, ['--context', 'ctx-a', 'get', 'namespace', ns]).status.phase, 'Active')
      assert.deepEqual(labels(ns).labels, before.labels)
    } finally {
      kubectl(env, ['--context', 'ctx-a', 'delete', 'namespace', ns, '--wait=false'])
    }
  })

  it('the gateway namespace is svcgw, not the namespace the context names', async () => {
    const config = yaml.load(readFileSync(env.kubeconfig, 'utf8')) as {contexts: Array<{name: string; context: Record<string, string>}>}
    for (const c of config.contexts) c.context.namespace = 'default'
    const withNs = join(mkdtempSync(join(tmpdir(), 'svcgw-ctxns-')), 'kubeconfig')
    writeFileSync(withNs, yaml.dump(config), {mode: 0o600})
    const out = expectOk(await svcgw({kubeconfig: withNs}, ['server', 'install', '--context', 'ctx-a', '--dry-run', '-o', 'json']), 'dry run').stdout
    const items = (JSON.parse(out) as {items: Array<{kind: string; metadata: {name: string; namespace?: string}}>}).items
    assert.ok(items.length > 5)
    for (const o of items) assert.equal(o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace, 'svcgw', `${o.kind}/${o.metadata.name}`)
  })
})

describe('least privilege: each task works with exactly its documented Roles (restricted user)', function () {
  this.timeout(240_000)
  let env: Env
  let restricted: Env
  const serverNs = uniqueName('rgw')
  const clientNs = uniqueName('rgwc')
  const appNs = uniqueName('rapp')
  const home = () => ['--context', 'ctx-a', '-n', serverNs]
  const grant = async (role: string) => {
    kubectlApply(env, 'ctx-a', expectOk(await svcgw(env, ['rbac', role, '-n', serverNs, '--user', RESTRICTED_USER]), 'rbac').stdout)
    kubectlApply(env, 'ctx-b', expectOk(await svcgw(env, ['rbac', role, '--side', 'provider', '--client-namespace', clientNs, '--user', RESTRICTED_USER]), 'rbac').stdout)
  }
  const revokeGrants = () => {
    for (const ctx of ['ctx-a', 'ctx-b']) {
      kubectl(env, ['--context', ctx, 'delete', 'rolebindings,roles', '-A', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw', '--ignore-not-found'])
      kubectl(env, ['--context', ctx, 'delete', 'clusterrolebindings,clusterroles', '-l', 'app.kubernetes.io/managed-by=kubectl-svcgw', '--ignore-not-found'])
    }
  }

  before(async function () {
    const started = await clusters()
    if (!started) this.skip()
    env = {kubeconfig: started.kubeconfig}
    restricted = restrictedEnv(env)
    kubectl(env, ['--context', 'ctx-b', 'create', 'namespace', appNs])
    kubectl(env, ['--context', 'ctx-b', '-n', appNs, 'create', 'service', 'clusterip', 'api', '--tcp=8080:8080'])
    expectOk(await svcgw(env, ['server', 'install', ...home(), '--service-type', 'NodePort']), 'server install')
    expectOk(await svcgw(env, ['client', 'install', ...home(), '--to', 'ctx-b', '--client-namespace', clientNs, '--no-wait']), 'client install')
  })

  afterEach(revokeGrants)

  after(() => deleteNamespaces(env, [['ctx-a', serverNs], ['ctx-b', clientNs], ['ctx-b', appNs]]))

  it('with no Role, every command fails with exit 6 in one line naming the context', async () => {
    assertOneLineError(await svcgw(restricted, ['list', ...home()]), 6, /forbidden in context "ctx-a"/)
    assertOneLineError(await svcgw(restricted, ['expose', 'api', '--port', '8080', '--service-namespace', appNs, ...home()]), 6, /forbidden in context "ctx-a"/)
    assertOneLineError(await svcgw(restricted, ['status', ...home()]), 6, /forbidden in context "ctx-a"/)
  })

  it('viewer: list and status work; expose is forbidden', async () => {
    await grant('viewer')
    expectOk(await svcgw(restricted, ['list', ...home()]), 'list as viewer')
    const status = await svcgw(restricted, ['status', ...home(), '-o', 'json'])
    assert.ok([0, 8, 9].includes(status.status), `status exits ${status.status}: ${status.stderr}`)
    assert.ok(JSON.parse(status.stdout).server, 'a whole report')
    assertOneLineError(await svcgw(restricted, ['expose', 'api', '--port', '8080', '--service-namespace', appNs, ...home(), '--no-wait']), 6, /forbidden/)
  })

  it('status says UNKNOWN (exit 9), never DOWN, when it may read the gateway but not its live data', async () => {
    // The viewer's Role less port-forward: the server is seen Ready, its HAProxy stats cannot be read.
    const list = JSON.parse(expectOk(await svcgw(env, ['rbac', 'viewer', '-n', serverNs, '--user', RESTRICTED_USER, '-o', 'json']), 'rbac').stdout) as {items: Array<{kind: string; rules?: Array<{resources: string[]}>}>}
    for (const role of list.items) if (role.rules) role.rules = role.rules.filter((r) => !r.resources.includes('pods/portforward'))
    const blind = JSON.stringify(list)
    assert.doesNotMatch(blind, /portforward/)
    kubectlApply(env, 'ctx-a', blind)
    kubectlApply(env, 'ctx-b', expectOk(await svcgw(env, ['rbac', 'viewer', '--side', 'provider', '--client-namespace', clientNs, '--user', RESTRICTED_USER]), 'rbac').stdout)
    kubectl(env, ['--context', 'ctx-a', '-n', serverNs, 'wait', '--for=condition=Available', 'deployment/svcgw-server', '--timeout=120s'])
    kubectl(env, ['--context', 'ctx-b', '-n', clientNs, 'wait', '--for=condition=Available', 'deployment/svcgw-client', '--timeout=120s'])
    const result = await svcgw(restricted, ['status', ...home()])
    assertOneLineError(result, 9, /gateway health is unknown: live data unreadable: .*forbidden/)
    assert.match(result.stdout, /^UNKNOWN: /m)
    assert.doesNotMatch(result.stdout, /no backend up|DOWN/)
  })

  it('operator: expose and unexpose work with no access to any Secret; certificate commands are forbidden', async () => {
    await grant('operator')
    for (const ctx of ['ctx-a', 'ctx-b']) assert.equal(canI(restricted, ctx, 'get', 'secrets'), 'no', `the role really has no Secret access in ${ctx}`)
    assert.equal(canI(restricted, 'ctx-a', 'create', 'pods/exec'), 'no', 'nor exec')
    expectOk(await svcgw(restricted, ['expose', 'api', '--port', '8080', '--as', 'op-api', '--service-namespace', appNs, ...home()]), 'expose as operator')
    expectOk(await svcgw(restricted, ['unexpose', 'op-api', ...home()]), 'unexpose as operator')
    assertOneLineError(await svcgw(restricted, ['certs', 'rotate', '--to', 'ctx-b', ...home()]), 6, /forbidden/)
  })

  it('admin: certificates and uninstalls work', async () => {
    await grant('admin')
    expectOk(await svcgw(restricted, ['certs', 'status', ...home()]), 'certs status as admin')
    expectOk(await svcgw(restricted, ['client', 'uninstall', '--to', 'ctx-b', '--yes', ...home(), '--no-wait']), 'client uninstall as admin')
    expectOk(await svcgw(restricted, ['server', 'uninstall', '--yes', ...home()]), 'server uninstall as admin')
  })
})
