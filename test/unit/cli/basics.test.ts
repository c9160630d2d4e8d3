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

  it('an unknown context names the ones there are', () => {
    assertOneLineError(runCli(['list', '--context', 'nope'], {KUBECONFIG: deadKubeconfig()}), 2, /no context "nope" in the kubeconfig: use one of: dead/)
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
