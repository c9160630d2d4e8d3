import {strict as assert} from 'node:assert'
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BIN} from './run-cli.js'

/** Two contexts whose cluster is a closed loopback port. */
function kubeconfig(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'svcgw-tty-')), 'config')
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: u, user: {token: x}}]
contexts:
- {name: home, context: {cluster: dead, user: u}}
- {name: provider-b, context: {cluster: dead, user: u}}
current-context: home
`,
  )
  return path
}

/**
 * Runs the plugin on a real pseudo-terminal (util-linux `script`), typing
 * `keys` once the prompt is up; returns what the terminal showed and the exit code.
 */
function onTerminal(args: string[], keys: string): Promise<{screen: string; status: number}> {
  return new Promise((resolve) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')
    const child = spawn('script', ['-qec', command, '/dev/null'], {env: {...process.env, NO_COLOR: '1', KUBECONFIG: kubeconfig()}})
    let screen = ''
    let typed = false
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString()
      if (!typed && screen.includes('?')) {
        typed = true
        setTimeout(() => child.stdin.write(keys), 300)
      }
    })
    child.on('close', (code) => resolve({screen, status: code ?? -1}))
  })
}

describe('interactive use on a terminal (real pty via script)', function () {
  this.timeout(30_000)

  before(function () {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) this.skip()
  })

  it('asks before a destructive action, and "no" changes nothing', async () => {
    const {screen, status} = await onTerminal(['server', 'uninstall'], 'n\r')
    assert.match(screen, /Remove the gateway server from namespace svcgw of home\?/)
    assert.match(screen, /error: cancelled: nothing was changed/)
    assert.equal(status, 2)
  })

  it('offers the kubeconfig contexts when --to is missing, and goes on with the one picked', async () => {
    // Down to the second context, select it, confirm.
    const {screen, status} = await onTerminal(['client', 'install'], '\u001B[B \r')
    assert.match(screen, /Provider contexts/)
    assert.match(screen, /home/)
    assert.match(screen, /provider-b/)
    // It went on: the home cluster is unreachable, which it reports for the context it used.
    assert.match(screen, /cannot reach the cluster of context "home"/)
    assert.equal(status, 5)
  })
})
