import {strict as assert} from 'node:assert'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BIN, COMPLETE, kubectlComplete, pluginPath} from './run-cli.js'

function kubeconfig(contexts: string[], server: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-kc-')), 'config')
  const entries = contexts.map((c) => `- name: ${c}\n  context: {cluster: c, user: u}`).join('\n')
  writeFileSync(path, `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${server}"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n${entries}\ncurrent-context: ${contexts[0]}\n`)
  return path
}

describe('completion through the real kubectl (kubectl __complete svcgw …, kubectl_complete-svcgw on PATH)', function () {
  this.timeout(60_000)

  it('kubectl finds the completion program and passes the words on', () => {
    const {values, directive} = kubectlComplete([''])
    assert.deepEqual(values.sort(), ['adopt', 'certs', 'client', 'completion', 'doctor', 'expose', 'list', 'rbac', 'server', 'status', 'unexpose', 'version'])
    assert.equal(directive, 4)
  })

  it('subcommands of a topic, with their summaries, filtered by what is typed', () => {
    const {lines} = kubectlComplete(['certs', 'r'])
    assert.deepEqual(lines, ["revoke\tRevoke a client's certificate and cut its open session at once.", 'rotate\tIssue a new client, server or CA certificate, distribute it, and revoke the old one.'])
  })

  it('flags of the command only, each once, --no-wait for a negatable one; a given flag is not offered again', () => {
    const {values} = kubectlComplete(['unexpose', '--dry-run', '--'])
    assert.ok(values.includes('--wait') && values.includes('--no-wait') && values.includes('--context'))
    assert.ok(!values.includes('--dry-run'), 'given already')
    assert.ok(!values.includes('--port'), 'an expose flag')
  })

  it('values of an option flag, in both forms', () => {
    assert.deepEqual(kubectlComplete(['list', '-o', '']).values, ['text', 'json', 'yaml'])
    assert.deepEqual(kubectlComplete(['status', '--output=y']).values, ['--output=yaml'])
    assert.deepEqual(kubectlComplete(['rbac', '']).values, ['viewer', 'operator', 'admin', 'doctor'])
  })

  it('file flags leave it to the shell (directive 0: files)', () => {
    assert.equal(kubectlComplete(['expose', '-f', '']).directive, 0)
    assert.equal(kubectlComplete(['list', '--kubeconfig', '']).directive, 0)
  })

  it('contexts for --context and --to from the kubeconfig, no cluster contacted', () => {
    const path = kubeconfig(['prod-eu', 'prod-us', 'dev'], 'https://127.0.0.1:9')
    assert.deepEqual(kubectlComplete(['client', 'install', '--to', 'prod'], {KUBECONFIG: path}).values, ['prod-eu', 'prod-us'])
    assert.deepEqual(kubectlComplete(['status', '--kubeconfig', path, '--context', '']).values, ['prod-eu', 'prod-us', 'dev'])
  })

  describe('a cluster that never answers', () => {
    let server: Server
    before((done) => {
      // Accepts connections and says nothing: a TLS handshake that never finishes.
      server = createServer(() => undefined).listen(0, '127.0.0.1', done)
    })
    after(() => server.close())

    it('offers nothing, prints nothing else, and gives up within its timeout', () => {
      const port = (server.address() as {port: number}).port
      const KUBECONFIG = kubeconfig(['silent'], `https://127.0.0.1:${port}`)
      // Timed on the program itself: kubectl spends 5 s of its own on such a cluster before it calls a plugin.
      const started = Date.now()
      const direct = spawnSync(COMPLETE, ['unexpose', ''], {encoding: 'utf8', env: {...process.env, KUBECONFIG}})
      const took = Date.now() - started
      assert.equal(direct.stdout, ':4\n')
      assert.equal(direct.stderr, '')
      assert.ok(took < 4000, `took ${took} ms`)
      assert.deepEqual(kubectlComplete(['unexpose', ''], {KUBECONFIG}).lines, [])
    })
  })

  it('kubectl-svcgw __complete answers the same (cobra convention, for the scripts)', () => {
    const r = spawnSync(process.execPath, [BIN, '__complete', 'server', 'un'], {encoding: 'utf8'})
    assert.equal(r.stdout, 'uninstall\tRemove the gateway server from the home cluster.\n:4\n')
  })

  it('the bash script completes kubectl-svcgw typed directly (real bash)', () => {
    const script = `source <(kubectl-svcgw completion bash); COMP_WORDS=(kubectl-svcgw certs st); COMP_CWORD=2; _kubectl_svcgw; echo "\${COMPREPLY[@]}"`
    const out = execFileSync('bash', ['-c', script], {encoding: 'utf8', env: {...process.env, PATH: pluginPath()}})
    assert.equal(out.trim(), 'status')
  })

  it('every shell gets a script; another shell is a usage error', () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const r = spawnSync(process.execPath, [BIN, 'completion', shell], {encoding: 'utf8'})
      assert.equal(r.status, 0, shell)
      assert.match(r.stdout, /kubectl_complete-svcgw/)
    }
    assert.equal(spawnSync(process.execPath, [BIN, 'completion', 'tcsh'], {encoding: 'utf8'}).status, 2)
  })
})
