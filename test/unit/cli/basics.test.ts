import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {assertOneLineError, runCli} from './run-cli.js'

/** A kubeconfig whose only cluster is a closed loopback port: anything that dials it fails. */
function deadKubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-kc-'))
  const path = join(dir, 'config')
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: dead
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: u
  user: {token: "x"}
contexts:
- name: dead
  context: {cluster: dead, user: u}
current-context: dead
`,
  )
  return path
}

/** An empty directory as HOME, and no KUBECONFIG: a machine that never had a kubeconfig. */
function noKubeconfigEnv(): NodeJS.ProcessEnv {
  return {HOME: mkdtempSync(join(tmpdir(), 'svcgw-home-')), KUBECONFIG: ''}
}

describe('kubeconfig errors a newcomer meets (built CLI as a process)', function () {
  this.timeout(60_000)

  it('no kubeconfig at all: says where it looked and names --kubeconfig and KUBECONFIG', () => {
    assertOneLineError(runCli(['list'], noKubeconfigEnv()), 2, /no kubeconfig found \(KUBECONFIG is not set and .*\.kube\/config does not exist\): pass --kubeconfig PATH or set KUBECONFIG/)
  })

  it('KUBECONFIG naming a missing file: says KUBECONFIG is the culprit', () => {
    assertOneLineError(runCli(['list'], {KUBECONFIG: '/nonexistent'}), 2, /no file of KUBECONFIG \(\/nonexistent\) exists: point KUBECONFIG at a kubeconfig file/)
  })

  it('--kubeconfig naming a missing file', () => {
    assertOneLineError(runCli(['list', '--kubeconfig', '/nonexistent'], {}), 2, /kubeconfig \/nonexistent \(from --kubeconfig\) does not exist/)
  })

  it('an empty kubeconfig: one line, no library internals', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'svcgw-kc-')), 'config')
    writeFileSync(path, '')
    const result = runCli(['list'], {KUBECONFIG: path})
    assertOneLineError(result, 2, /kubeconfig .*config.*(empty or not a kubeconfig|has no contexts)/)
    assert.doesNotMatch(result.stderr, /Cannot read properties/)
  })

  it('a kubeconfig with no contexts', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'svcgw-kc-')), 'config')
    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n')
    assertOneLineError(runCli(['status'], {KUBECONFIG: path}), 2, /has no contexts: add one with "kubectl config set-context"/)
  })
})

describe('hostile values never reach a config file', function () {
  this.timeout(60_000)
  const hostile = ['1.2.3.4\nplugin /x', 'a; rm', 'gw.example.com:443', '-x']

  for (const value of hostile) {
    it(`--address ${JSON.stringify(value)} is refused before any cluster is contacted`, () => {
      // The dead kubeconfig would answer with exit 5: exit 2 shows nothing was dialled.
      const env = {KUBECONFIG: deadKubeconfig()}
      assertOneLineError(runCli(['server', 'install', '--address', value], env), 2, /invalid --address/)
      assertOneLineError(runCli(['client', 'install', '--to', 'dead', '--address', value], env), 2, /invalid --address/)
    })
  }

  it('--cluster-domain, --client-namespace, -n, --name and image references are checked too', () => {
    const env = {KUBECONFIG: deadKubeconfig()}
    assertOneLineError(runCli(['server', 'install', '--cluster-domain', 'a; rm'], env), 2, /invalid --cluster-domain/)
    assertOneLineError(runCli(['server', 'install', '--cluster-domain', 'cluster.local\n  server x'], env), 2, /invalid --cluster-domain/)
    assertOneLineError(runCli(['server', 'install', '--openvpn-image', 'img\nx'], env), 2, /invalid --openvpn-image/)
    assertOneLineError(runCli(['client', 'install', '--to', 'dead', '--client-namespace', 'a; rm'], env), 2, /invalid --client-namespace/)
    assertOneLineError(runCli(['client', 'install', '--to', 'dead', '--name', 'a\nb'], env), 2, /invalid client name/)
    assertOneLineError(runCli(['list', '-n', 'Bad NS'], env), 2, /invalid namespace/)
  })
})

describe('cli (built bin/run.js as a process)', function () {
  this.timeout(60_000)

  it('--help lists the command groups', () => {
    const result = runCli(['--help'])
    assert.equal(result.status, 0)
    for (const topic of ['server', 'client', 'certs', 'expose', 'unexpose', 'list', 'status', 'version']) {
      assert.match(result.stdout, new RegExp(`^\\s+${topic}\\s`, 'm'), `--help lacks ${topic}`)
    }
  })

  it('version prints the package version, and as json', () => {
    const {version} = JSON.parse(runCli(['version', '-o', 'json']).stdout) as {version: string}
    assert.match(version, /^\d+\.\d+\.\d+/)
    assert.equal(runCli(['version']).stdout.trim(), `kubectl-svcgw ${version}`)
  })

  it('a bad flag is a one-line usage error with exit 2', () => {
    assertOneLineError(runCli(['version', '--bogus']), 2, /Nonexistent flag: --bogus/)
    assertOneLineError(runCli(['server', 'install', '--dry-run', '--proto', 'sctp']), 2, /--proto/)
    assertOneLineError(runCli(['server', 'install', '--dry-run', '--timeout', 'soon']), 2, /invalid duration "soon": use a value like/)
    assertOneLineError(runCli(['expose', 'nginx', '--port', '70000']), 2, /invalid port "70000"/)
  })

  it('a bad service name is a one-line usage error before any cluster is contacted', () => {
    const env = {KUBECONFIG: deadKubeconfig()}
    assertOneLineError(runCli(['expose', 'Bad_Name', '--port', '80'], env), 2, /invalid service name "Bad_Name": use at most 63/)
    assertOneLineError(runCli(['expose', 'nginx', '--port', '80', '--as', 'svcgw-server'], env), 4, /gateway's own Service name/)
  })

  it('an unknown context is "not found" (exit 3, as the README says) and names the ones there are', () => {
    assertOneLineError(runCli(['list', '--context', 'nope'], {KUBECONFIG: deadKubeconfig()}), 3, /no context "nope" in the kubeconfig: use one of: dead/)
  })

  it('client install takes no server setting it would ignore: those are the server\'s, stored with the registry', () => {
    for (const flag of ['--proto', '--port', '--tunnel-network', '--openvpn-image']) {
      assertOneLineError(runCli(['client', 'install', '--to', 'x', flag, 'v']), 2, new RegExp(`Nonexistent flag: ${flag}`))
    }
  })

  it('usage lines name the command as kubectl runs it', () => {
    assert.match(runCli(['expose', '--help']).stdout, /\$ kubectl svcgw expose \[SERVICE\]/)
  })

  it('conflicting flags say why in one line, without --verbose', () => {
    assertOneLineError(runCli(['expose', '-f', 'values.yaml', '--as', 'x'], {KUBECONFIG: deadKubeconfig()}), 2, /--as=x cannot also be provided when using --filename/)
    assertOneLineError(runCli(['server', 'install', '--show-secrets'], {KUBECONFIG: deadKubeconfig()}), 2, /--dry-run.*must also be provided when using --show-secrets|All of the following must be provided when using --show-secrets: --dry-run/)
  })

  it('an unreachable cluster is exit 5 naming the context, and --verbose shows the stack', () => {
    const env = {KUBECONFIG: deadKubeconfig()}
    assertOneLineError(runCli(['list'], env), 5, /cannot reach the cluster of context "dead"/)
    const verbose = runCli(['list', '--verbose'], env)
    assert.equal(verbose.status, 5)
    assert.match(verbose.stderr, /\n\s+at /)
  })

  it('destructive commands refuse to prompt without a TTY and name --yes', () => {
    assertOneLineError(runCli(['server', 'uninstall'], {KUBECONFIG: deadKubeconfig()}), 2, /needs confirmation: pass --yes/)
  })

  it('a missing Service name without a TTY names the argument', () => {
    assertOneLineError(runCli(['expose', '--port', '80'], {KUBECONFIG: deadKubeconfig()}), 2, /no Service named: pass the Service name/)
  })

  it('a missing provider context without a TTY names --to', () => {
    assertOneLineError(runCli(['client', 'install'], {KUBECONFIG: deadKubeconfig()}), 2, /no provider context given: pass --to CONTEXT/)
  })
})
