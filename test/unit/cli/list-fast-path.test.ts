import {strict as assert} from 'node:assert'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

import {parseListArgs} from '../../../src/fastpath/list.js'
import {readDirect} from '../../../src/kube/direct-read.js'

describe("list's fast path: what it takes on and what it leaves to the full CLI", () => {
  it('takes the connection and output flags in both spellings', () => {
    assert.deepEqual(parseListArgs([]), {})
    assert.deepEqual(parseListArgs(['--context', 'a', '-n', 'gw', '-o', 'json', '--kubeconfig=/k']), {context: 'a', namespace: 'gw', output: 'json', kubeconfig: '/k'})
    assert.deepEqual(parseListArgs(['--namespace=gw', '--output', 'yaml']), {namespace: 'gw', output: 'yaml'})
  })

  it('declines anything else, so oclif parses and reports it', () => {
    for (const argv of [['--verbose'], ['--help'], ['-h'], ['extra'], ['-n'], ['-n', '--context'], ['-n', 'a', '-n', 'b'], ['-o', 'wide'], ['--namespace='], ['-ojson'], ['--no-color']]) {
      assert.equal(parseListArgs(argv), undefined, argv.join(' '))
    }
  })

  // These never reach a network: each kubeconfig is one the reader must refuse before any request.
  const kubeconfig = (user: string, server = 'https://127.0.0.1:1') => {
    const path = join(mkdtempSync(join(tmpdir(), 'svcgw-direct-')), 'config')
    writeFileSync(path, `apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: "${server}"}}]\nusers: [{name: u, user: ${user}}]\n`)
    return path
  }

  it('leaves exec plugins, auth providers, basic auth, plain http and merged kubeconfigs to the Kubernetes client', async () => {
    const declined = [
      kubeconfig('{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false}}'),
      kubeconfig('{auth-provider: {name: oidc}}'),
      kubeconfig('{username: a, password: b}'),
      kubeconfig('{token: t}', 'http://127.0.0.1:1'),
    ]
    for (const path of declined) assert.equal(await readDirect('/api', {kubeconfig: path}), undefined, path)
    const two = [kubeconfig('{token: t}'), kubeconfig('{token: t}')].join(delimiter)
    assert.equal(await readDirect('/api', {}, {KUBECONFIG: two}), undefined)
    assert.equal(await readDirect('/api', {kubeconfig: '/nonexistent/kubeconfig'}), undefined)
    assert.equal(await readDirect('/api', {kubeconfig: kubeconfig('{token: t}'), context: 'missing'}), undefined)
  })

  it('answers undefined, not an error, when the server cannot be reached (the full CLI then says why)', async () => {
    assert.equal(await readDirect('/api', {kubeconfig: kubeconfig('{token: t}')}), undefined)
  })
})
