import {strict as assert} from 'node:assert'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import yaml from 'js-yaml'

import {binaryKind} from './binaries.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}).version
const RUNTIME_VERSION = (JSON.parse(readFileSync(join(ROOT, 'release', 'runtimes.json'), 'utf8')) as {version: string}).version

interface KrewPlatform {
  selector: {matchLabels: {os: string; arch: string}}
  uri: string
  sha256: string
  bin: string
  files: Array<{from: string; to: string}>
}

/** A directory of links to the tools a user's PATH has (kubectl, krew, coreutils), and no node. */
function pathWithoutNode(krew: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'svcgw-nonode-'))
  symlinkSync(krew, join(bin, 'kubectl-krew'))
  for (const tool of ['kubectl', 'readlink', 'bash', 'sh', 'cat', 'env']) {
    const found = execFileSync('bash', ['-c', `command -v ${tool}`], {encoding: 'utf8'}).trim()
    symlinkSync(found, join(bin, tool))
  }
  return bin
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): string {
  return execFileSync(command, args, {encoding: 'utf8', env: {HOME: process.env.HOME, ...env}, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000})
}

/**
 * Installation as users do it: the linux/amd64 release archive through the real krew (built from
 * its Go module) with no Node.js on PATH, and the npm tarball through the real npm. Needs Go (for
 * krew) and the npm registry once (the Node.js runtime, then cached); skipped without Go.
 */
describe('release: archives, krew and npm (real krew, real npm, real kubectl)', function () {
  this.timeout(15 * 60_000)
  const out = mkdtempSync(join(tmpdir(), 'svcgw-release-'))
  let krew = ''
  let archive = ''
  let manifestPath = ''

  before(function () {
    const built = spawnSync('bash', [join(ROOT, 'test', 'release', 'build-krew.sh')], {encoding: 'utf8'})
    if (built.status === 3) {
      process.stderr.write(`  release suite skipped: ${built.stderr.trim()}\n`)
      this.skip()
    }
    assert.equal(built.status, 0, built.stderr)
    krew = built.stdout.trim()
    // dist/ is what `npm run build` made before the suites ran.
    const release = execFileSync('bash', [join(ROOT, 'release', 'build.sh'), '--platforms', 'linux-amd64', '--out', out], {
      encoding: 'utf8',
      env: {...process.env, SVCGW_RELEASE_NO_BUILD: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    archive = /^archive linux-amd64 (.+)$/m.exec(release)![1]
    manifestPath = /^manifest (.+)$/m.exec(release)![1]
  })

  after(() => rmSync(out, {recursive: true, force: true}))

  it('the archive holds the launchers, the runtime, the bundle, manifests/ and the licences', () => {
    const entries = run('tar', ['-tvzf', archive], {PATH: process.env.PATH}).trim().split('\n')
    const names = entries.map((l) => l.split(/\s+/).at(-1))
    for (const name of ['kubectl-svcgw', 'kubectl_complete-svcgw', 'node/bin/node', 'node/LICENSE', 'LICENSE', 'dist/THIRD-PARTY-NOTICES', 'dist/run.js', 'bin/run.js', 'bin/complete.js', 'package.json', 'oclif.manifest.json', 'manifests/server/deployment.yaml']) {
      assert.ok(names.includes(name), `${name} missing`)
    }
    assert.ok(!names.some((n) => n?.includes('node_modules/')), 'no node_modules: everything is bundled')
    for (const line of entries.filter((l) => / (kubectl-svcgw|kubectl_complete-svcgw|node\/bin\/node)$/.test(l))) assert.match(line, /^-rwxr-xr-x 0\/0 /)
  })

  it('the krew manifest: v-prefixed version, selector, uri, sha256 of the archive, bin, files, descriptions, caveats', () => {
    const plugin = yaml.load(readFileSync(manifestPath, 'utf8')) as {metadata: {name: string}; spec: {version: string; shortDescription: string; description: string; caveats: string; platforms: KrewPlatform[]}}
    assert.equal(plugin.metadata.name, 'svcgw')
    assert.equal(plugin.spec.version, `v${VERSION}`)
    assert.ok(plugin.spec.shortDescription.length > 0 && !plugin.spec.shortDescription.includes('\n'))
    assert.match(plugin.spec.caveats, /completion/)
    const [platform] = plugin.spec.platforms
    assert.deepEqual(platform.selector, {matchLabels: {os: 'linux', arch: 'amd64'}})
    assert.equal(platform.sha256, execFileSync('sha256sum', [archive], {encoding: 'utf8'}).split(' ')[0])
    assert.ok(platform.uri.endsWith(`/kubectl-svcgw_v${VERSION}_linux_amd64.tar.gz`))
    assert.equal(platform.bin, 'kubectl-svcgw')
  })

  describe('installed with krew, no Node.js on PATH', () => {
    let env: NodeJS.ProcessEnv

    before(() => {
      const krewRoot = join(out, 'krew-root')
      const tools = pathWithoutNode(krew)
      env = {KREW_ROOT: krewRoot, PATH: `${join(krewRoot, 'bin')}:${tools}`}
      assert.equal(spawnSync('bash', ['-c', 'command -v node'], {env}).status, 1, 'node must not be on this PATH')
      run('kubectl', ['krew', 'install', `--manifest=${manifestPath}`, `--archive=${archive}`], env)
    })

    it('kubectl svcgw version runs on the runtime shipped in the archive', () => {
      const version = JSON.parse(run('kubectl', ['svcgw', 'version', '-o', 'json'], env)) as {version: string; node: string; platform: string}
      assert.deepEqual(version, {version: VERSION, node: `v${RUNTIME_VERSION}`, platform: 'linux/x64'})
    })

    it('a command that loads the Kubernetes client prints no warning on the shipped runtime (no built-in punycode)', () => {
      const r = spawnSync('kubectl', ['svcgw', 'server', 'install', '--dry-run', '--offline', '-o', 'yaml'], {encoding: 'utf8', env: {HOME: process.env.HOME, ...env}})
      assert.equal(r.status, 0, r.stderr)
      assert.doesNotMatch(r.stderr, /Warning/)
    })

    it('a command that reads manifests/ works from the krew store (the bundle finds them)', () => {
      assert.match(run('kubectl', ['svcgw', 'rbac', 'viewer'], env), /kind: Role/)
    })

    it("TAB completion after sourcing the plugin's bash script: kubectl finds kubectl_complete-svcgw", () => {
      const out = run('bash', ['-c', 'source <(kubectl svcgw completion bash) && kubectl __complete svcgw cert'], env)
      assert.match(out, /^certs\t/)
      assert.match(out, /:4\n$/)
    })

    it('kubectl lists it as a plugin, through the link krew made', () => {
      assert.match(run('kubectl', ['plugin', 'list'], env), /krew-root\/bin\/kubectl-svcgw/)
    })
  })

  it('the Windows launcher (node with sea-main.cjs injected) runs the CLI and completion; checked here with a Linux executable made the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'svcgw-sea-'))
    run('tar', ['-xzf', archive, '-C', dir], {PATH: process.env.PATH})
    execFileSync('cp', [join(ROOT, 'release', 'launchers', 'sea-boot.cjs'), join(dir, 'bin')])
    const node = join(dir, 'node', 'bin', 'node')
    const blob = join(dir, 'sea.blob')
    const config = join(dir, 'sea.json')
    execFileSync('bash', ['-c', `printf '{"main":"%s","output":"%s","disableExperimentalSEAWarning":true}' "$1" "$2" >"$3"`, '_', join(ROOT, 'release', 'launchers', 'sea-main.cjs'), blob, config])
    execFileSync(node, ['--experimental-sea-config', config], {stdio: 'ignore'})
    execFileSync('cp', [node, join(dir, 'kubectl-svcgw-sea')])
    execFileSync('npx', ['--no-install', 'postject', join(dir, 'kubectl-svcgw-sea'), 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {cwd: ROOT, stdio: 'ignore'})
    assert.equal(run(join(dir, 'kubectl-svcgw-sea'), ['version'], {}).trim(), `kubectl-svcgw ${VERSION}`)
    assert.match(run(join(dir, 'kubectl-svcgw-sea'), ['__complete', 'server', 'in'], {}), /^install\t.*\n:4\n$/)
  })

  it('npm pack, then npm install -g of the tarball into a fresh prefix: kubectl svcgw and its completion run', () => {
    const pack = mkdtempSync(join(tmpdir(), 'svcgw-pack-'))
    const tarball = join(pack, execFileSync('npm', ['pack', '--pack-destination', pack, '--silent'], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n').at(-1)!)
    const prefix = join(pack, 'prefix')
    mkdirSync(prefix)
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {stdio: 'ignore', timeout: 300_000})
    assert.ok(existsSync(join(prefix, 'bin', 'kubectl-svcgw')) && existsSync(join(prefix, 'bin', 'kubectl_complete-svcgw')))
    assert.ok(!existsSync(join(prefix, 'lib', 'node_modules', 'kubectl-svcgw', 'node_modules')), 'no dependency installed: all bundled')
    const env = {PATH: `${join(prefix, 'bin')}:${process.env.PATH}`}
    assert.equal(run('kubectl', ['svcgw', 'version'], env).trim(), `kubectl-svcgw ${VERSION}`)
    assert.match(run('kubectl', ['__complete', 'svcgw', 'serv'], env), /^server\t/)
  })

  describe('every platform (all five built; the runtimes come from the npm registry once, then the cache)', () => {
    const all = join(out, 'all')
    const archives: Record<string, string> = {}
    let plugin: {spec: {platforms: KrewPlatform[]}}

    before(function () {
      this.timeout(30 * 60_000)
      const release = execFileSync('bash', [join(ROOT, 'release', 'build.sh'), '--out', all], {
        encoding: 'utf8',
        env: {...process.env, SVCGW_RELEASE_NO_BUILD: '1'},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      for (const m of release.matchAll(/^archive (\S+) (.+)$/gm)) archives[m[1]] = m[2]
      plugin = yaml.load(readFileSync(/^manifest (.+)$/m.exec(release)![1], 'utf8')) as typeof plugin
    })

    const expected = {
      'linux-amd64': {format: 'elf', arch: 'amd64'},
      'linux-arm64': {format: 'elf', arch: 'arm64'},
      'darwin-amd64': {format: 'mach-o', arch: 'amd64', signed: true},
      'darwin-arm64': {format: 'mach-o', arch: 'arm64', signed: true},
      'windows-amd64': {format: 'pe', arch: 'amd64'},
    }
    for (const [platform, kind] of Object.entries(expected)) {
      it(`${platform}: its runtime, launchers and files, and its entry in the krew manifest`, () => {
        const dir = mkdtempSync(join(tmpdir(), `svcgw-${platform}-`))
        const windows = platform.startsWith('windows')
        if (windows) execFileSync('unzip', ['-q', archives[platform], '-d', dir])
        else execFileSync('tar', ['-xzf', archives[platform], '-C', dir])
        const exe = join(dir, windows ? 'kubectl-svcgw.exe' : 'node/bin/node')
        // macOS: Node's own signed binary, untouched (injecting into it would break the signature).
        assert.deepEqual(binaryKind(readFileSync(exe)), kind)
        if (windows) {
          assert.ok(readFileSync(exe).includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1'), 'the SEA blob is injected')
          assert.match(readFileSync(join(dir, 'kubectl_complete-svcgw.cmd'), 'utf8'), /kubectl-svcgw\.exe" __complete %\*/)
          assert.ok(existsSync(join(dir, 'bin', 'sea-boot.cjs')))
        } else {
          for (const launcher of ['kubectl-svcgw', 'kubectl_complete-svcgw']) assert.match(readFileSync(join(dir, launcher), 'utf8'), /^#!\/bin\/sh\n[\s\S]*exec "\$here\/node\/bin\/node"/)
        }
        for (const file of ['LICENSE', 'node/LICENSE', 'dist/THIRD-PARTY-NOTICES', 'bin/run.js', 'bin/complete.js', 'oclif.manifest.json', 'manifests/server/deployment.yaml']) assert.ok(existsSync(join(dir, file)), `${platform}: ${file}`)
        const [os, arch] = platform.split('-')
        const entry = plugin.spec.platforms.find((p) => p.selector.matchLabels.os === os && p.selector.matchLabels.arch === arch)!
        assert.equal(entry.sha256, execFileSync('sha256sum', [archives[platform]], {encoding: 'utf8'}).split(' ')[0])
        assert.equal(entry.bin, windows ? 'kubectl-svcgw.exe' : 'kubectl-svcgw')
        rmSync(dir, {recursive: true, force: true})
      })
    }
  })
})
